import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DuckDBBlobVector, listValue, type DuckDBInstance, type DuckDBResult } from '@duckdb/node-api';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { DUCKDB_TYPES } from '../physical-types.js';
import type { ColumnSpec } from '../warehouse.js';
import { ident } from './postgres-identifiers.js';

/** What `copyParquetToPostgres` reads and where it writes. */
export interface ParquetCopy {
  duckdb: DuckDBInstance;
  /** A connection; the COPY runs in whatever transaction it has open. */
  client: pg.ClientBase;
  /** The qualified table to fill; it has (at least) `columns`, typed as POSTGRES_TYPES maps them. */
  target: string;
  columns: readonly ColumnSpec[];
  /** Local Parquet files holding `columns` (a file that lacks one gives nulls). */
  files: readonly string[];
  signal?: AbortSignal;
}

/**
 * Streams Parquet files into a PostgreSQL table with `COPY ... FROM STDIN (FORMAT csv)` and returns
 * the rows copied. PostgreSQL cannot read Parquet, so DuckDB reads the files and renders each row as
 * one CSV line (in C++, from a streaming result, so no temporary file and little memory), and Node
 * only concatenates the lines' bytes into the COPY. Measured on 500k rows against writing a CSV file
 * with DuckDB and then copying it: as fast within the noise, without the disk space (a CSV is many times
 * the size of its Parquet).
 */
export async function copyParquetToPostgres({ duckdb, client, target, columns, files, signal }: ParquetCopy): Promise<number> {
  if (files.length === 0) return 0;
  const line = `encode(${columns.map(csvField).join(` || ',' || `)} || chr(10))`;
  const connection = await duckdb.connect();
  const interrupt = () => connection.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    // union_by_name: the parts of one run may order their columns differently, or lack one.
    const result = await connection.stream(`SELECT ${line} FROM read_parquet($1, union_by_name = true)`, [listValue([...files])]);
    const copy = client.query(pgCopy.from(`COPY ${target} (${columns.map((c) => ident(c.name)).join(', ')}) FROM STDIN (FORMAT csv)`));
    await pipeline(Readable.from(csvChunks(result)), copy, { signal });
    return copy.rowCount;
  } finally {
    signal?.removeEventListener('abort', interrupt);
    connection.closeSync();
  }
}

/** One Buffer of CSV lines per DuckDB chunk (2,048 rows), read as bytes to skip decoding UTF-8. */
async function* csvChunks(result: DuckDBResult): AsyncGenerator<Buffer> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const vector = chunk.getColumnVector(0);
    if (!(vector instanceof DuckDBBlobVector)) throw new Error(`DuckDB answered a ${vector.type.toString()} column where the CSV lines should be a BLOB`);
    const lines = new Array<Uint8Array>(vector.itemCount);
    for (let i = 0; i < vector.itemCount; i++) lines[i] = vector.getItemBytes(i) ?? EMPTY;
    yield Buffer.concat(lines);
  }
}

const EMPTY = new Uint8Array(0);

const duckIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * A DuckDB expression rendering one value as PostgreSQL's CSV reads it: NULL is an empty unquoted
 * field, text is always quoted (so an empty string stays an empty string, and commas, quotes and
 * line breaks survive), bytes use bytea's hex input. Values are cast to the type DUCKDB_TYPES names
 * first, so a part written with a narrower type (INTEGER for INT64) reads the same.
 */
export function csvField(column: ColumnSpec): string {
  const value = `CAST(${duckIdent(column.name)} AS ${DUCKDB_TYPES[column.type]})`;
  let text: string;
  switch (column.type) {
    case 'STRING':
    case 'JSON':
    case 'GEOGRAPHY':
    case 'BIGNUMERIC':
      text = `'"' || replace(${value}, '"', '""') || '"'`;
      break;
    case 'BYTES':
      text = `'\\x' || hex(${value})`;
      break;
    case 'DATE':
    case 'DATETIME':
    case 'TIMESTAMP':
      // DuckDB writes years before 1 AD as "0044-03-15 (BC)"; PostgreSQL reads "0044-03-15 BC".
      // TIMESTAMPTZ prints with its offset, so the instant survives whatever DuckDB's time zone is.
      text = `replace(CAST(${value} AS VARCHAR), ' (BC)', ' BC')`;
      break;
    default:
      // Numbers, booleans and times print as PostgreSQL reads them (doubles as "inf", "-inf", "nan").
      text = `CAST(${value} AS VARCHAR)`;
  }
  return `coalesce(${text}, '')`;
}
