import type * as BigQuerySdk from '@google-cloud/bigquery';
import type { BigQuery, BigQueryOptions, TableField, TableMetadata } from '@google-cloud/bigquery';
import { lazyModule } from '../../runtime/lazy-module.js';
import type { JWT } from 'google-auth-library';
import { mapBigQueryType } from '../../types/sql-type-mapping.js';
import { isTimestampCandidate } from '../../types/text-inference.js';
import { jsonSafe, previewLimit, samplesOf } from '../files/column-preview.js';
import type { CallOptions, ColumnPreview, Preview, Source, SourceTarget, TableInfo } from '../source.js';
import { DEFAULT_SOURCE_TIMEOUT_MS, SourceError, withTimeout } from '../source-error.js';
import { gcpSourceError, type GcpErrorContext } from './gcp-errors.js';
import { GCP_SCOPES, parseServiceAccountKey, serviceAccountAuth, type ServiceAccountKey } from './service-account.js';
import { untilAborted } from './until-aborted.js';

const bigQuerySdk = lazyModule<typeof BigQuerySdk>('@google-cloud/bigquery');

/** Where a BigQuery connection reads, and who pays for its queries. */
export interface BigQueryConfig {
  /** The billing project: queries (and the dry run that tests the connection) run as jobs here. */
  projectId: string;
  /** The project that holds the datasets, when another one does (a partner's, or `bigquery-public-data`). */
  dataProjectId?: string;
  /** Where jobs run (`EU`, `US`, `europe-west1`); it must match the datasets'. BigQuery picks when absent. */
  location?: string;
}

/** Overrides for contract tests and emulators. */
export interface BigQuerySourceOptions {
  /** E.g. `http://127.0.0.1:9050`; BigQuery's public endpoint when absent. */
  apiEndpoint?: string;
  /** Where the service account's token exchange goes; see {@link serviceAccountAuth}. */
  tokenUrl?: string;
}

/**
 * How many tables of a dataset get their size from table metadata (one `tables.get` each, eight at
 * a time); the rest are listed without it, so a dataset of thousands of tables still lists in time.
 */
export const MAX_TABLES_WITH_STATS = 200;
const STATS_CONCURRENCY = 8;

/** Retries on 5xx and network errors: one, so a person browsing is told soon when BigQuery is down. */
const RETRY_OPTIONS = { autoRetry: true, maxRetries: 1 };

/**
 * A BigQuery project as a source: datasets are schemas, tables and views are tables. Table sizes
 * come from table metadata and previews from `tabledata.list`, which are free; the only job is the
 * dry run in `test`, which is free too. Views and external tables have no stored rows to list, so
 * their preview has columns but no rows (a query would bill a full scan).
 *
 * Google's clients take no AbortSignal: each call is bounded by the same time limit twice, by
 * `withTimeout` for the caller and by the client's own request timeout for the socket.
 */
export class BigQuerySource implements Source {
  readonly kind = 'bigquery' as const;
  private readonly key?: ServiceAccountKey;
  private readonly keyError?: SourceError;
  private auth?: JWT;

  constructor(
    private readonly config: BigQueryConfig,
    serviceAccountJson: string,
    private readonly options: BigQuerySourceOptions = {},
  ) {
    try {
      this.key = parseServiceAccountKey(serviceAccountJson);
    } catch (error) {
      this.keyError = error as SourceError;
    }
  }

  private get dataProject(): string {
    return this.config.dataProjectId || this.config.projectId;
  }

  async test(options: CallOptions = {}): Promise<void> {
    const { projectId, location } = this.config;
    await this.run(`BigQuery project ${projectId}`, options, async (bq) => {
      // A dry run checks the key, the billing project and the right to create jobs, and costs nothing.
      await this.call(() => bq.createQueryJob({ query: 'SELECT 1', dryRun: true, location }), {
        action: `a dry-run query in billing project ${projectId}`,
        resource: `project ${projectId}`,
        role: `BigQuery Job User (roles/bigquery.jobUser) on project ${projectId}`,
        project: projectId,
      });
      if (this.dataProject !== projectId) {
        await this.call(() => bq.getDatasets({ projectId: this.dataProject, maxResults: 1, autoPaginate: false }), this.datasetsContext());
      }
    });
  }

  async listSchemas(options: CallOptions = {}): Promise<string[]> {
    return this.run(`Listing the datasets of ${this.dataProject}`, options, async (bq, signal) => {
      const names: string[] = [];
      let pageToken: string | undefined;
      do {
        const [datasets, next] = await this.call(() => bq.getDatasets({ projectId: this.dataProject, maxResults: 1000, pageToken, autoPaginate: false }), this.datasetsContext());
        for (const dataset of datasets) if (dataset.id) names.push(dataset.id);
        pageToken = (next as { pageToken?: string } | null)?.pageToken;
      } while (pageToken && !signal.aborted);
      return names.sort((a, b) => a.localeCompare(b));
    });
  }

  async listTables(schema: string, options: CallOptions = {}): Promise<TableInfo[]> {
    return this.run(`Listing the tables of ${this.dataProject}.${schema}`, options, async (bq, signal) => {
      const dataset = bq.dataset(schema, { projectId: this.dataProject });
      const context = this.datasetContext(schema, 'listing the tables of');
      const listed: { id: string; type?: string }[] = [];
      let pageToken: string | undefined;
      do {
        const [tables, next] = await this.call(() => dataset.getTables({ maxResults: 1000, pageToken, autoPaginate: false }), context);
        for (const table of tables) if (table.id) listed.push({ id: table.id, type: (table.metadata as TableMetadata | undefined)?.type });
        pageToken = (next as { pageToken?: string } | null)?.pageToken;
      } while (pageToken && !signal.aborted);

      // tables.list carries no sizes: those come from each table's metadata.
      const stats = new Map<string, TableMetadata>();
      const todo = listed.slice(0, MAX_TABLES_WITH_STATS);
      const worker = async () => {
        for (let next = todo.shift(); next && !signal.aborted; next = todo.shift()) {
          try {
            const [metadata] = await dataset.table(next.id).getMetadata();
            stats.set(next.id, metadata as TableMetadata);
          } catch {
            // One unreadable table (a missing right, a table deleted since the list) leaves it without a size.
          }
        }
      };
      await Promise.all(Array.from({ length: STATS_CONCURRENCY }, worker));

      return listed
        .map(({ id, type }): TableInfo => {
          const metadata = stats.get(id);
          const kind = tableKind(metadata?.type ?? type);
          return {
            name: id,
            kind,
            rowCount: kind === 'table' ? numberOf(metadata?.numRows) : undefined,
            sizeBytes: kind === 'table' ? numberOf(metadata?.numBytes) : undefined,
            lastModified: isoFromMillis(metadata?.lastModifiedTime),
          };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  async preview(target: SourceTarget, options: CallOptions & { limit?: number } = {}): Promise<Preview> {
    if (!('table' in target)) {
      throw new SourceError('invalid_config', 'A BigQuery preview needs a dataset and a table', 'Choose a table from the list of a dataset.');
    }
    const { schema, table } = target;
    const limit = previewLimit(options.limit);
    return this.run(`Previewing ${this.dataProject}.${schema}.${table}`, options, async (bq) => {
      const ref = bq.dataset(schema, { projectId: this.dataProject }).table(table);
      const context: Omit<GcpErrorContext, 'service' | 'endpoint' | 'principal'> = {
        action: `reading table ${schema}.${table}`,
        resource: `table ${table} in dataset ${schema} of project ${this.dataProject}`,
        role: `BigQuery Data Viewer (roles/bigquery.dataViewer) on dataset ${schema}`,
        project: this.dataProject,
      };
      const [metadata] = await this.call(() => ref.getMetadata(), context);
      const table_ = metadata as TableMetadata;
      const fields: TableField[] = table_.schema?.fields ?? [];
      // tabledata.list reads stored rows only: views and external tables have none.
      const listable = !table_.type || table_.type === 'TABLE' || table_.type === 'SNAPSHOT' || table_.type === 'CLONE';
      let rows: Record<string, unknown>[] = [];
      if (listable && fields.length > 0) {
        const [raw] = await this.call(() => ref.getRows({ maxResults: limit, autoPaginate: false, wrapIntegers: true, parseJSON: true }), context);
        rows = (raw as Record<string, unknown>[]).slice(0, limit).map((row) => {
          const out: Record<string, unknown> = {};
          for (const field of fields) if (field.name) out[field.name] = bigQueryJson(row[field.name]);
          return out;
        });
      }
      const keys = new Set(table_.tableConstraints?.primaryKey?.columns ?? []);
      const columns = fields.filter((field) => field.name).map((field) => columnOf(field, keys, rows));
      return { columns, rows };
    });
  }

  async close(): Promise<void> {
    // Nothing is pooled: each call builds its client (cheap); the token lives on the auth client.
  }

  /** Runs a call with a client whose request timeout is the call's own limit. */
  private async run<T>(what: string, options: CallOptions, work: (bq: BigQuery, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.keyError) throw this.keyError;
    const timeoutMs = options.timeoutMs;
    return withTimeout(what, (signal) => untilAborted(work(this.client(timeoutMs), signal), signal), options);
  }

  private client(timeoutMs: number | undefined): BigQuery {
    this.auth ??= serviceAccountAuth(this.key!, GCP_SCOPES.bigquery, this.options.tokenUrl);
    const settings: BigQueryOptions & { timeout?: number } = {
      projectId: this.config.projectId,
      location: this.config.location || undefined,
      apiEndpoint: this.options.apiEndpoint,
      authClient: this.auth,
      retryOptions: RETRY_OPTIONS,
      timeout: timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS,
    };
    return new (bigQuerySdk().BigQuery)(settings);
  }

  /** Runs one client call, turning its failure into a SourceError. */
  private async call<T>(work: () => Promise<T>, context: Omit<GcpErrorContext, 'service' | 'endpoint' | 'principal'>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw gcpSourceError(error, {
        ...context,
        service: 'BigQuery',
        endpoint: this.options.apiEndpoint ?? 'bigquery.googleapis.com',
        principal: this.key?.client_email,
      });
    }
  }

  private datasetsContext() {
    return {
      action: `listing the datasets of project ${this.dataProject}`,
      resource: `project ${this.dataProject}`,
      role: `BigQuery Metadata Viewer (roles/bigquery.metadataViewer) or Data Viewer on project ${this.dataProject}`,
      project: this.dataProject,
    };
  }

  private datasetContext(schema: string, verb: string) {
    return {
      action: `${verb} dataset ${schema}`,
      resource: `dataset ${schema} in project ${this.dataProject}`,
      role: `BigQuery Metadata Viewer (roles/bigquery.metadataViewer) or Data Viewer on dataset ${schema}`,
      project: this.dataProject,
    };
  }
}

/** A column of the preview, from the table's schema; samples from the rows read. */
function columnOf(field: TableField, primaryKey: ReadonlySet<string>, rows: readonly Record<string, unknown>[]): ColumnPreview {
  const name = field.name!;
  const type = (field.type ?? 'STRING').toUpperCase();
  const mode = field.mode === 'REQUIRED' || field.mode === 'REPEATED' ? field.mode : 'NULLABLE';
  const suggested = mapBigQueryType(type, mode);
  return {
    name,
    sourceType: sourceTypeOf(field, type, mode),
    nullable: mode === 'NULLABLE',
    primaryKey: primaryKey.has(name),
    timestampCandidate: isTimestampCandidate(name, suggested),
    suggested,
    samples: samplesOf(rows.map((row) => row[name])),
  };
}

/** The type as BigQuery's standard SQL writes it: `NUMERIC(10, 2)`, `STRING(50)`, `ARRAY<STRING>`, `RANGE<DATE>`. */
function sourceTypeOf(field: TableField, type: string, mode: string): string {
  let name = type === 'RECORD' ? 'STRUCT' : type;
  const f = field as TableField & { rangeElementType?: { type?: string } };
  if (type === 'RANGE' && f.rangeElementType?.type) name = `RANGE<${f.rangeElementType.type}>`;
  else if (field.precision) name = `${name}(${field.precision}${field.scale ? `, ${field.scale}` : ''})`;
  else if (field.maxLength) name = `${name}(${field.maxLength})`;
  return mode === 'REPEATED' ? `ARRAY<${name}>` : name;
}

/** BigQuery's table types: views (logical and materialized) against everything that stores rows. */
function tableKind(type: string | undefined): TableInfo['kind'] {
  return type === 'VIEW' || type === 'MATERIALIZED_VIEW' ? 'view' : 'table';
}

function numberOf(value: string | number | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function isoFromMillis(value: string | number | undefined): string | undefined {
  const ms = numberOf(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * A value as the BigQuery client decodes it, made JSON-safe: INT64 as a number when it fits a
 * double exactly and as text otherwise; NUMERIC and BIGNUMERIC as plain decimal text; TIMESTAMP,
 * DATE, DATETIME, TIME and GEOGRAPHY as their text; BYTES as base64; records and arrays all the way down.
 */
export function bigQueryJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const { BigQueryInt, BigQueryTimestamp, BigQueryDate, BigQueryDatetime, BigQueryTime, Geography } = bigQuerySdk();
  if (value instanceof BigQueryInt) {
    const n = Number(value.value);
    return Number.isSafeInteger(n) ? n : value.value;
  }
  if (value instanceof BigQueryTimestamp || value instanceof BigQueryDate || value instanceof BigQueryDatetime || value instanceof BigQueryTime || value instanceof Geography) {
    return value.value;
  }
  if (Array.isArray(value)) return value.map(bigQueryJson);
  if (typeof value === 'object') {
    // big.js (NUMERIC, BIGNUMERIC): toFixed() writes every digit, never exponent notation.
    if (value.constructor?.name === 'Big' && typeof (value as { toFixed?: unknown }).toFixed === 'function') return (value as { toFixed(): string }).toFixed();
    // RANGE: its bounds, null for an unbounded end.
    if (value.constructor?.name === 'BigQueryRange') {
      const range = value as { start?: { value: string }; end?: { value: string } };
      return { start: range.start?.value ?? null, end: range.end?.value ?? null };
    }
    if (value instanceof Uint8Array) return jsonSafe(value);
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, bigQueryJson(inner)]));
  }
  return jsonSafe(value);
}
