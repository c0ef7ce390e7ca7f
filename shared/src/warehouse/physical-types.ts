import type { WarehouseType } from '../types/warehouse-types.js';

/**
 * How each warehouse type is stored in staged Parquet (written and read by DuckDB) and in the
 * local warehouse. BIGNUMERIC (up to 76 digits) exceeds DuckDB's DECIMAL(38) and travels as text;
 * TIMESTAMP is an instant (UTC), DATETIME a wall-clock time; JSON and GEOGRAPHY (WKT) are text.
 */
export const DUCKDB_TYPES: Record<WarehouseType, string> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  NUMERIC: 'DECIMAL(38,9)',
  BIGNUMERIC: 'VARCHAR',
  BOOL: 'BOOLEAN',
  DATE: 'DATE',
  TIME: 'TIME',
  DATETIME: 'TIMESTAMP',
  TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'VARCHAR',
  BYTES: 'BLOB',
  GEOGRAPHY: 'VARCHAR',
};

/** The same types in a PostgreSQL warehouse. */
export const POSTGRES_TYPES: Record<WarehouseType, string> = {
  STRING: 'text',
  INT64: 'bigint',
  FLOAT64: 'double precision',
  NUMERIC: 'numeric(38,9)',
  BIGNUMERIC: 'numeric',
  BOOL: 'boolean',
  DATE: 'date',
  TIME: 'time',
  DATETIME: 'timestamp',
  TIMESTAMP: 'timestamptz',
  JSON: 'jsonb',
  BYTES: 'bytea',
  GEOGRAPHY: 'text',
};
