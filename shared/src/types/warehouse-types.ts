/**
 * The warehouse's column types. BigQuery's names are the canonical set: every source type maps to
 * one of them, and each warehouse (local DuckDB, PostgreSQL, BigQuery) maps them to its own.
 */
export const WAREHOUSE_TYPES = [
  'STRING', 'INT64', 'FLOAT64', 'NUMERIC', 'BIGNUMERIC', 'BOOL', 'DATE', 'TIME', 'DATETIME', 'TIMESTAMP', 'JSON', 'BYTES', 'GEOGRAPHY',
] as const;
export type WarehouseType = (typeof WAREHOUSE_TYPES)[number];

/** A suggested warehouse type, how sure we are (0–1), and anything a person should know. */
export interface TypeSuggestion {
  type: WarehouseType;
  confidence: number;
  /** E.g. "dates like 03/04/2011 could be day-first or month-first". */
  note?: string;
  /** For text dates and times: the format found, e.g. `DD/MM/YYYY`, `epoch_ms`, `iso8601`. */
  format?: string;
  /** Whether the source column holds an array of the type (e.g. PostgreSQL `int[]`); stored as JSON. */
  repeated?: boolean;
}
