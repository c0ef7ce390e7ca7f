import type { WarehouseType } from '../types/warehouse-types.js';

/**
 * A warehouse holds the tables ETL jobs load: `local` (Parquet under DATA_DIR, read with DuckDB),
 * `postgres` (a schema per project, loaded with COPY) and `bigquery` (a dataset per project).
 * Every warehouse keeps the same promises, and the same integration tests run against each.
 *
 * The exactly-once contract: `load` is atomic (a reader sees the table before or after it, never
 * between) and idempotent per run (a retried load of a run that already committed changes
 * nothing and answers the committed marker). The marker is stored in the same commit as the rows,
 * so the loader can move the job's watermark in the metadata database afterwards, even after a
 * crash between the two commits: the watermark never passes a row that is not in the warehouse.
 */
export interface Warehouse {
  readonly kind: 'local' | 'postgres' | 'bigquery';
  /** Loads a run's staged parts into a table, creating or evolving it, as one commit. */
  load(request: LoadRequest, options?: { signal?: AbortSignal }): Promise<LoadResult>;
  /** The marker of a run's committed load, or null if the run never committed into this table. */
  findLoad(projectId: string, table: string, runId: string): Promise<LoadMarker | null>;
  /** The table's columns, or null when it does not exist. */
  describe(projectId: string, table: string): Promise<ColumnSpec[] | null>;
  /** The project's tables with their row counts. */
  listTables(projectId: string): Promise<{ name: string; rows: number }[]>;
  /**
   * Runs a read-only query in the warehouse's own dialect against the project's tables (named as
   * they are, unqualified), with positional parameters ($1, $2, ...). For datasets and tests.
   */
  query(projectId: string, sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A destination column. Names are already sanitized (see `sanitizeColumnNames`). */
export interface ColumnSpec {
  name: string;
  type: WarehouseType;
  nullable: boolean;
}

/** A Parquet part file the extractor staged: a local path or a `gs://` URI. */
export interface StagedPart {
  uri: string;
  rows: number;
  bytes: number;
}

/** What a load does to the table. */
export type LoadMode =
  /** Transactional: add the staged rows that are not in the table yet (see `dedupe`). */
  | 'append'
  /** Catalog: the staged rows become the whole table, atomically. */
  | 'replace';

export interface LoadRequest {
  projectId: string;
  /** Destination table, sanitized. */
  table: string;
  jobId: string;
  runId: string;
  mode: LoadMode;
  /** The staged parts' columns, including `_extracted_at` (TIMESTAMP) and `_run_id` (STRING). */
  columns: ColumnSpec[];
  parts: StagedPart[];
  /**
   * For appends that re-read an overlap (rows at the watermark's boundary, late rows inside the
   * look-back window): staged rows already in the table are not added again. Rows are the same
   * when their `key` columns are equal (the primary key, or every source column when there is none,
   * in which case identical rows are told apart by how many times each occurs). Only table rows
   * with `timestampColumn >= from` are compared, which bounds the work to the window.
   */
  dedupe?: { key: string[]; timestampColumn?: string; from?: string };
  /** Catalog loads may keep the replaced snapshot as `<table>__<snapshotDate>`. */
  keepSnapshotAs?: string;
  /** Stored with the commit and answered by `findLoad`. */
  marker: { watermarkAfter: unknown };
}

export interface LoadMarker {
  runId: string;
  jobId: string;
  rowsLoaded: number;
  watermarkAfter: unknown;
  committedAt: string;
}

export interface LoadResult {
  marker: LoadMarker;
  /** True when this run had committed before, and this call changed nothing. */
  alreadyLoaded: boolean;
  /** Columns added or promoted by this load, for the run's log. */
  schemaChanges: SchemaChange[];
}

/** A change a load made to the destination's columns. */
export type SchemaChange =
  | { kind: 'added'; column: string; type: string }
  | { kind: 'promoted'; column: string; from: string; to: string };
