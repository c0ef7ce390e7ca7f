import type { z } from 'zod';
import type { TypeSuggestion } from '../types/warehouse-types.js';
import type { ExtractRequest, ExtractResult } from '../extract/extract.js';

/** The kinds of source a connection can point at. */
export const SOURCE_KINDS = ['postgresql', 'mysql', 'bigquery', 'firestore', 'gcs', 's3', 'azure_blob', 'local_files'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** File formats the file sources read. */
export const FILE_FORMATS = ['csv', 'parquet', 'json', 'jsonl'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Per-call options: every call to a source has a time limit and can be cancelled. */
export interface CallOptions {
  /** Aborts the call; a source passes it on to its driver or HTTP client. */
  signal?: AbortSignal;
  /** @defaultValue 10 000 */
  timeoutMs?: number;
}

/** A table, view or collection, with what the source knows of its size. */
export interface TableInfo {
  name: string;
  kind: 'table' | 'view' | 'collection';
  /** Approximate rows (or documents), from catalog statistics or metadata. */
  rowCount?: number;
  sizeBytes?: number;
  /** ISO 8601. */
  lastModified?: string;
}

/** A file in a file store. */
export interface FileInfo {
  path: string;
  size: number;
  /** ISO 8601. */
  modified?: string;
  etag?: string;
  /** From the name (and gzip suffix); undefined when it is not a format we read. */
  format?: FileFormat;
  gzip: boolean;
}

/** What a table's or file set's column looks like, and what we suggest for the warehouse. */
export interface ColumnPreview {
  name: string;
  /** The source's own type name (`timestamp with time zone`, `int(10) unsigned`, `STRING`, `text` for CSV). */
  sourceType: string;
  nullable: boolean;
  primaryKey: boolean;
  /** A time-like column a transactional load could use as its watermark. */
  timestampCandidate: boolean;
  suggested: TypeSuggestion;
  /** Up to five sample values, as JSON-safe values (dates as ISO strings, bigints as strings). */
  samples: unknown[];
}

/** A preview: the columns and the first rows. */
export interface Preview {
  columns: ColumnPreview[];
  rows: Record<string, unknown>[];
  /** For CSV: the dialect found (delimiter, quote, header, encoding, gzip), which a person can override. */
  csv?: CsvDialect;
}

/** How a CSV file is written. */
export interface CsvDialect {
  delimiter: string;
  quote: string;
  header: boolean;
  encoding: 'utf8' | 'utf16le' | 'latin1';
  gzip: boolean;
}

/** What to preview (and later read): a table, a set of files, or a collection. */
export type SourceTarget =
  | { schema: string; table: string }
  | { path: string; pattern?: string; format?: FileFormat; csv?: Partial<CsvDialect> }
  | { collection: string; sampleSize?: number };

/**
 * One kind of source, opened with a connection's settings and credentials. Every method throws
 * SourceError with a code and a hint; each call honours `CallOptions` (timeout and cancel).
 */
export interface Source {
  readonly kind: SourceKind;
  /** Proves the settings work: connects and authenticates, and checks the database, bucket or project exists. */
  test(options?: CallOptions): Promise<void>;
  /** Schemas (databases, datasets); file stores and Firestore answer one pseudo-schema. */
  listSchemas(options?: CallOptions): Promise<string[]>;
  /** Tables and views of a schema, or Firestore's collections. */
  listTables(schema: string, options?: CallOptions): Promise<TableInfo[]>;
  /** Files under a prefix matching a glob pattern (file stores only). */
  listFiles?(prefix: string, pattern: string | undefined, options?: CallOptions): Promise<FileInfo[]>;
  /** Columns with suggested types, and the first rows. */
  preview(target: SourceTarget, options?: CallOptions & { limit?: number }): Promise<Preview>;
  /**
   * Reads the target's selected columns into staged Parquet parts (the ETL extractor's work).
   * Kinds that cannot be extracted yet leave it out, and a job on them fails with a clear message.
   */
  extract?(target: SourceTarget, request: ExtractRequest): Promise<ExtractResult>;
  /** Releases pools and clients. */
  close(): Promise<void>;
}

/** What the platform needs to know about a kind: its settings, its secret fields, how to open it. */
export interface SourceModule<C = unknown, S = unknown> {
  kind: SourceKind;
  /** Shown in the wizard's tiles. */
  label: string;
  group: 'Databases' | 'Files' | 'NoSQL' | 'Warehouses';
  /** Non-secret settings, stored with the connection. */
  config: z.ZodType<C>;
  /** Secret settings, stored only in the secret store. */
  credentials: z.ZodType<S>;
  defaultPort?: number;
  /** The host (or endpoint) a connection reaches, for the network guard; undefined for none. */
  host?(config: C): string | undefined;
  /** A short description for cards: host and database, or bucket and prefix. */
  describe(config: C): string;
  open(config: C, credentials: S, deps: SourceDeps): Source;
}

/** What the platform gives a source when opening it. */
export interface SourceDeps {
  /** The folder `local_files` connections are confined to. */
  localFilesRoot: string;
  /** Overrides of Google Cloud endpoints, for contract tests. */
  gcpEndpoints?: { bigquery?: string; storage?: string; firestore?: string };
}
