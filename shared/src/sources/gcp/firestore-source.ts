import type * as FirestoreSdk from '@google-cloud/firestore';
import type { DocumentData, Firestore, Query, QueryDocumentSnapshot, Timestamp } from '@google-cloud/firestore';
import { lazyModule } from '../../runtime/lazy-module.js';
import type { Readable } from 'node:stream';
import { inferFromValues, isTimestampCandidate } from '../../types/text-inference.js';
import { jsonSafe, previewLimit, samplesOf } from '../files/column-preview.js';
import type { CallOptions, ColumnPreview, Preview, Source, SourceTarget, TableInfo } from '../source.js';
import { DEFAULT_SOURCE_TIMEOUT_MS, SourceError, withTimeout } from '../source-error.js';
import { gcpSourceError, type GcpErrorContext } from './gcp-errors.js';
import { GCP_SCOPES, parseServiceAccountKey, serviceAccountAuth, type ServiceAccountKey } from './service-account.js';
import { untilAborted } from './until-aborted.js';

const firestoreSdk = lazyModule<typeof FirestoreSdk>('@google-cloud/firestore');

/** The Firestore database a connection reads. */
export interface FirestoreConfig {
  projectId: string;
  /** `(default)` or a named database. */
  databaseId: string;
}

/** Overrides for contract tests and emulators. */
export interface FirestoreSourceOptions {
  /** E.g. `http://127.0.0.1:8080`; Firestore's public endpoint when absent. */
  endpoint?: string;
}

/** The database every Firestore project may have without naming it. */
export const DEFAULT_DATABASE = '(default)';

/** How many documents a preview samples to infer columns: 100 unless the target says, at most 1 000. */
export const DEFAULT_SAMPLE_SIZE = 100;
export const MAX_SAMPLE_SIZE = 1_000;

/** Root collections counted by listTables (each count is one aggregation query), four at a time. */
export const MAX_COUNTED_COLLECTIONS = 50;
const COUNT_CONCURRENCY = 4;

/**
 * How long the client may spend on one ListCollectionIds call, retries of UNAVAILABLE and friends
 * included (its default is 60 s): short enough that an unreachable endpoint is reported as such
 * within the default time limit of a call, instead of as a timeout. Firestore's own queries retry
 * by its own rules, bounded by our time limit.
 */
const LIST_COLLECTIONS_BUDGET_MS = 4_000;
const CLIENT_CONFIG = {
  interfaces: {
    'google.firestore.v1.Firestore': {
      // A method's timeout_millis is the total deadline of its retries.
      methods: { ListCollectionIds: { timeout_millis: LIST_COLLECTIONS_BUDGET_MS } },
    },
  },
};

/**
 * A Firestore (Native mode) database as a source: one pseudo-schema (the database), its root
 * collections as tables, and a preview that infers columns from a sample of documents.
 *
 * The client talks REST (`preferRest`): lighter than gRPC for these short calls, and the transport
 * the contract tests check. Integers are read as bigint (`useBigInt`) so that large ones keep
 * every digit and integers stay distinguishable from doubles.
 */
export class FirestoreSource implements Source {
  readonly kind = 'firestore' as const;
  private readonly key?: ServiceAccountKey;
  private readonly keyError?: SourceError;
  private db?: Firestore;

  constructor(
    private readonly config: FirestoreConfig,
    serviceAccountJson: string,
    private readonly options: FirestoreSourceOptions = {},
  ) {
    try {
      this.key = parseServiceAccountKey(serviceAccountJson);
    } catch (error) {
      this.keyError = error as SourceError;
    }
  }

  private get where(): string {
    return `Firestore database ${this.config.databaseId} of project ${this.config.projectId}`;
  }

  async test(options: CallOptions = {}): Promise<void> {
    // Lists the root collections: proves the key, the right to read and that the database exists in Native mode.
    await withTimeout(this.where, (signal) => untilAborted(this.call(() => this.client().listCollections(), this.databaseContext('listing the collections of')), signal), options);
  }

  async listSchemas(options: CallOptions = {}): Promise<string[]> {
    if (this.keyError) throw this.keyError;
    options.signal?.throwIfAborted();
    return [this.config.databaseId];
  }

  async listTables(schema: string, options: CallOptions = {}): Promise<TableInfo[]> {
    this.checkSchema(schema);
    const timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
    // Counts get what is left of the time limit, less a margin, so the listing itself always arrives.
    const deadline = Date.now() + timeoutMs * 0.8;
    return withTimeout(`Listing the collections of ${this.where}`, async (signal) => {
      const db = this.client();
      const collections = await untilAborted(this.call(() => db.listCollections(), this.databaseContext('listing the collections of')), signal);
      const ids = collections.map((c) => c.id).sort((a, b) => a.localeCompare(b));
      const counts = new Map<string, number>();
      const todo = ids.slice(0, MAX_COUNTED_COLLECTIONS);
      const worker = async () => {
        for (let id = todo.shift(); id !== undefined && !signal.aborted; id = todo.shift()) {
          const count = await countWithin(db.collection(id), deadline - Date.now());
          if (count !== undefined) counts.set(id, count);
        }
      };
      await Promise.all(Array.from({ length: COUNT_CONCURRENCY }, worker));
      return ids.map((id): TableInfo => ({ name: id, kind: 'collection', rowCount: counts.get(id) }));
    }, options);
  }

  async preview(target: SourceTarget, options: CallOptions & { limit?: number } = {}): Promise<Preview> {
    if (!('collection' in target)) {
      throw new SourceError('invalid_config', 'A Firestore preview needs a collection', 'Choose a collection from the list.');
    }
    const path = target.collection.replace(/^\/+|\/+$/g, '');
    const limit = previewLimit(options.limit);
    const sampleSize = Math.min(MAX_SAMPLE_SIZE, Math.max(1, Math.floor(target.sampleSize ?? DEFAULT_SAMPLE_SIZE)));
    const context = {
      action: `reading documents of collection ${path}`,
      resource: `collection ${path} in ${this.where}`,
      role: `Cloud Datastore Viewer (roles/datastore.viewer) on project ${this.config.projectId}`,
      project: this.config.projectId,
    };
    return withTimeout(`Previewing collection ${path} of ${this.where}`, async (signal) => {
      let query: Query;
      try {
        query = this.client().collection(path).limit(Math.max(sampleSize, limit));
      } catch (error) {
        throw new SourceError('invalid_config', `${path} is not a collection path: ${(error as Error).message}`, 'Give a collection id (orders) or a subcollection path with an odd number of parts (users/u1/orders).', { cause: error });
      }
      const docs = await untilAborted(this.call(() => collectDocuments(query, signal), context), signal);
      if (docs.length === 0) {
        throw new SourceError('not_found', `Collection ${path} has no documents in ${this.where}`, 'Check the collection id and its case; Firestore has no empty collections, so a collection exists only while it has documents.');
      }
      return previewDocuments(docs, limit);
    }, options);
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    await db?.terminate();
  }

  private checkSchema(schema: string): void {
    if (this.keyError) throw this.keyError;
    if (schema !== this.config.databaseId) {
      throw new SourceError('not_found', `${schema} is not the database of this connection (${this.config.databaseId})`, 'Use the schema that listSchemas returns.');
    }
  }

  private client(): Firestore {
    if (this.keyError) throw this.keyError;
    if (this.db) return this.db;
    const endpoint = this.options.endpoint ? new URL(this.options.endpoint) : undefined;
    this.db = new (firestoreSdk().Firestore)({
      projectId: this.config.projectId,
      databaseId: this.config.databaseId,
      authClient: serviceAccountAuth(this.key!, GCP_SCOPES.firestore),
      preferRest: true,
      useBigInt: true,
      clientConfig: CLIENT_CONFIG,
      ...(endpoint && {
        servicePath: endpoint.hostname,
        port: Number(endpoint.port || (endpoint.protocol === 'http:' ? 80 : 443)),
        protocol: endpoint.protocol.replace(':', ''),
      }),
    });
    return this.db;
  }

  private databaseContext(verb: string) {
    return {
      action: `${verb} ${this.where}`,
      resource: `database ${this.config.databaseId} in project ${this.config.projectId}`,
      role: `Cloud Datastore Viewer (roles/datastore.viewer) on project ${this.config.projectId}`,
      project: this.config.projectId,
    };
  }

  private async call<T>(work: () => Promise<T>, context: Omit<GcpErrorContext, 'service' | 'endpoint' | 'principal'>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const message = String((error as { message?: unknown } | null)?.message ?? '');
      if (/Datastore Mode/i.test(message)) {
        throw new SourceError('invalid_config', `${this.where} is in Datastore mode, which the Firestore API cannot read`, 'Use a Firestore database in Native mode, or export the Datastore entities and load the export.', { cause: error });
      }
      throw gcpSourceError(error, {
        ...context,
        service: 'Firestore',
        endpoint: this.options.endpoint ?? 'firestore.googleapis.com',
        principal: this.key?.client_email,
      });
    }
  }
}

/**
 * A collection's document count by aggregation, or undefined when it does not arrive within
 * `budgetMs` or fails: the count is an estimate for a list, never a reason to fail the list. It is
 * billed as one read per thousand index entries, and its latency grows with the collection.
 */
async function countWithin(query: Query, budgetMs: number): Promise<number | undefined> {
  if (budgetMs <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), budgetMs);
  });
  try {
    const count = query.count().get().then((snapshot) => Number(snapshot.data().count), () => undefined);
    return await Promise.race([count, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a query as a stream, so that an abort (time limit or caller) stops it. */
async function collectDocuments(query: Query, signal: AbortSignal): Promise<QueryDocumentSnapshot[]> {
  const stream = query.stream() as unknown as Readable;
  const onAbort = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  const docs: QueryDocumentSnapshot[] = [];
  try {
    for await (const doc of stream) docs.push(doc as QueryDocumentSnapshot);
    return docs;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Columns as the union of the documents' fields (in order of first appearance), after a
 * `document_id` column; a field missing from some documents is nullable. Maps and arrays are JSON
 * columns, Firestore timestamps TIMESTAMP, geopoints GEOGRAPHY.
 */
export function previewDocuments(docs: readonly QueryDocumentSnapshot[], limit: number): Preview {
  const data = docs.map((doc) => doc.data());
  const names: string[] = [];
  const seen = new Set<string>();
  for (const fields of data) {
    for (const name of Object.keys(fields)) {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  // A field called document_id would collide with ours.
  const idColumn = seen.has('document_id') ? '_document_id' : 'document_id';
  const ids = docs.map((doc) => doc.id);
  const columns: ColumnPreview[] = [{
    name: idColumn,
    sourceType: 'document id',
    nullable: false,
    primaryKey: true,
    timestampCandidate: false,
    suggested: { type: 'STRING', confidence: 1 },
    samples: samplesOf(ids),
  }];
  for (const name of names) {
    const raw = data.map((fields: DocumentData) => fields[name]);
    const suggested = inferFromValues(raw);
    const json = raw.map(firestoreJson);
    columns.push({
      name,
      sourceType: sourceTypeOf(raw),
      nullable: raw.some((value) => value === null || value === undefined),
      primaryKey: false,
      timestampCandidate: isTimestampCandidate(name, suggested),
      suggested,
      samples: samplesOf(json),
    });
  }
  const rows = docs.slice(0, limit).map((doc, i) => {
    const row: Record<string, unknown> = { [idColumn]: doc.id };
    for (const name of names) row[name] = firestoreJson(data[i]![name]);
    return row;
  });
  return { columns, rows };
}

/** Firestore's name for a value's type. */
function firestoreTypeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return 'double';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  const { Timestamp, GeoPoint, DocumentReference, VectorValue } = firestoreSdk();
  if (value instanceof Timestamp) return 'timestamp';
  if (value instanceof GeoPoint) return 'geopoint';
  if (value instanceof DocumentReference) return 'reference';
  if (value instanceof VectorValue) return 'vector';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'array';
  return 'map';
}

/** The types seen, most frequent first: `string`, `integer | double`, `null` when every value is. */
function sourceTypeOf(values: readonly unknown[]): string {
  const counts = new Map<string, number>();
  for (const value of values) {
    const type = firestoreTypeOf(value);
    if (type !== 'null') counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  if (counts.size === 0) return 'null';
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([type]) => type).join(' | ');
}

/**
 * A Firestore value made JSON-safe: timestamps as ISO 8601 with microseconds, integers as numbers
 * when exact and text otherwise, geopoints as WKT (`POINT(lng lat)`, as GEOGRAPHY reads them),
 * references as their paths, vectors as arrays, bytes as base64; maps and arrays all the way down.
 */
export function firestoreJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  const { Timestamp, GeoPoint, DocumentReference, VectorValue } = firestoreSdk();
  if (value instanceof Timestamp) return timestampIso(value);
  if (value instanceof GeoPoint) return `POINT(${value.longitude} ${value.latitude})`;
  if (value instanceof DocumentReference) return value.path;
  if (value instanceof VectorValue) return value.toArray();
  if (Array.isArray(value)) return value.map(firestoreJson);
  if (value instanceof Uint8Array || value instanceof Date) return jsonSafe(value);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, firestoreJson(inner)]));
  return jsonSafe(value);
}

/** `2026-01-01T00:00:00.123456Z`: Firestore keeps microseconds, which Date would cut to milliseconds. */
function timestampIso(value: Timestamp): string {
  const base = new Date(value.seconds * 1000).toISOString().slice(0, 19);
  const micros = Math.floor(value.nanoseconds / 1000);
  return micros ? `${base}.${String(micros).padStart(6, '0')}Z` : `${base}Z`;
}
