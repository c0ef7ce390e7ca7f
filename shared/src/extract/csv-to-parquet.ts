import type { CsvDialect } from '../sources/source.js';
import type { WarehouseType } from '../types/warehouse-types.js';
import { DUCKDB_TYPES } from '../warehouse/physical-types.js';
import type { ExtractColumn, ExtractWindow, RejectedRow } from './extract.js';
import { isConversionError, sqlColumns, sqlIdent, sqlString } from './duckdb-sql.js';
import { MAX_LISTED_REJECTS, MAX_REJECT_VALUE, type StagingSession } from './staging-session.js';

/** How BYTES columns are written as text: PostgreSQL's `\x0a1b`, plain hex, or the bytes themselves. */
export type BytesText = 'postgres-hex' | 'hex' | 'raw';

/** A field of a CSV file, in file order; one no column or window uses has no type and is not parsed. */
export interface CsvField {
  name: string;
  type?: WarehouseType;
}

/** What a CSV holds and what becomes of it. */
export interface CsvLayout {
  fields: CsvField[];
  columns: readonly ExtractColumn[];
  window?: ExtractWindow;
  /** Drop rows before `window.from` here (files); databases filter in their own query. */
  filterWindow: boolean;
  bytes: BytesText;
  dialect: Pick<CsvDialect, 'delimiter' | 'quote' | 'header' | 'encoding'> & {
    /** Whether a quoted empty value ("") is null too (files), or an empty string (databases, which write null unquoted). */
    quotedEmptyIsNull: boolean;
  };
}

/** CSV files (or a pipe) to convert in one go. */
export interface CsvInput {
  paths: string[];
  /**
   * The paths a second pass reads (careful casts, the window's maximum), once they are whole; the
   * first pass's own paths when omitted. Undefined when there can be no second pass (a pipe that
   * was not copied to disk).
   */
  again?(): Promise<string[] | undefined>;
  /** The name a reject shows for a local file (the file's path in its store); none for database rows. */
  fileLabel?(localPath: string): string;
  /** Database rows: the extraction-wide number of the first row (rejects show row numbers, not lines). */
  firstRow?: number;
  /** Database rows written aside: the row number of each line. */
  rowNumbers?: readonly number[];
  /** Database rows: how many the input holds (known once it is written), so that rejected = read − written exactly. */
  rows?(): number;
  /** The longest line's size in bytes, when known (lines longer than DuckDB's 2 MB default need a bigger buffer). */
  maxRowBytes?: number;
  /** Write as many parts as `partRows` asks for (big files), rather than one part (a database part has the right size). */
  split: boolean;
}

/** DuckDB's default longest line. */
const DEFAULT_MAX_LINE_BYTES = 2 * 1024 * 1024;
const MIN_BUFFER_BYTES = 8 * 1024 * 1024;

const ENCODINGS: Record<CsvDialect['encoding'], string> = { utf8: 'utf-8', latin1: 'latin-1', utf16le: 'utf-16' };
const ENCODING_NAMES: Record<CsvDialect['encoding'], string> = { utf8: 'UTF-8', latin1: 'Latin-1', utf16le: 'UTF-16' };

/**
 * Converts CSV files into parts with DuckDB: `read_csv` with every used field typed as its
 * warehouse type (see DUCKDB_TYPES), so a value that does not parse, a line with too few or too
 * many fields, a broken quote or invalid text makes that row a reject (`store_rejects`) with its
 * line and column, and the other rows load.
 *
 * NUMERIC is the exception, for speed: DuckDB parses DECIMAL(38,9) text six times slower than
 * DECIMAL(18,9), so the first pass reads it as text and casts through DECIMAL(18,9) when the
 * value fits. A value that fits neither fails the whole pass; then a second, careful pass reads
 * the NUMERIC fields as DECIMAL(38,9), which turns such values into rejects like any other.
 */
export async function convertCsv(session: StagingSession, layout: CsvLayout, input: CsvInput): Promise<void> {
  let written: { rows: number };
  let rejects: { rows: RejectedRow[]; count: number };
  const windowOutput = windowOutputColumn(layout);
  const again = async () => (input.again ? input.again() : input.paths);
  try {
    ({ written, rejects } = await convertOnce(session, layout, input, input.paths, false, windowOutput));
  } catch (error) {
    if (!isConversionError(error)) throw error;
    const paths = await again();
    if (!paths) throw error;
    session.throwIfAborted();
    ({ written, rejects } = await convertOnce(session, layout, input, paths, true, windowOutput));
  }
  if (layout.window && !windowOutput) {
    const paths = await again();
    if (!paths) throw new Error('The window column is not among the columns read, and the rows were not kept for a second pass');
    session.noteWindowMax(await windowMax(session, layout, input, paths));
  }
  const count = input.rows ? Math.max(0, input.rows() - written.rows) : rejects.count;
  if (!input.rows) session.rowsRead += written.rows + count;
  if (count > 0) session.reject(rejects.rows, count);
}

let conversions = 0;

async function convertOnce(
  session: StagingSession,
  layout: CsvLayout,
  input: CsvInput,
  paths: readonly string[],
  careful: boolean,
  windowOutput: string | undefined,
): Promise<{ written: { rows: number }; rejects: { rows: RejectedRow[]; count: number } }> {
  const n = conversions++;
  const rejectsTable = `extract_rejects_${n}`;
  const scansTable = `extract_scans_${n}`;
  const limit = Math.min(10_000_000, (session.maxBadRows + 1) * (layout.fields.length + 1) + MAX_LISTED_REJECTS);
  const source = readCsv(layout, paths, input.maxRowBytes, careful, `store_rejects=true, rejects_table=${sqlString(rejectsTable)}, rejects_scan=${sqlString(scansTable)}, rejects_limit=${limit}`);
  const where = windowFilter(layout, careful);
  const select = `SELECT ${[...layout.columns.map((c) => `${castTo(layout, c.source, c.type, careful)} AS ${sqlIdent(c.destination)}`), session.metadataColumns()].join(', ')} FROM ${source}${where}`;
  try {
    const written = await session.writeParts(select, { split: input.split, windowColumn: windowOutput });
    const rejects = await readRejects(session, layout, input, rejectsTable, scansTable);
    return { written, rejects };
  } finally {
    await session.duck.run(`DROP TABLE IF EXISTS ${rejectsTable}; DROP TABLE IF EXISTS ${scansTable}`).catch(() => undefined);
  }
}

/** Whether converting may need to read the rows twice: for careful NUMERIC casts, or the maximum of a window column that is not an output. */
export function needsSecondPass(layout: CsvLayout): boolean {
  return layout.fields.some((f) => f.type === 'NUMERIC') || (layout.window !== undefined && windowOutputColumn(layout) === undefined);
}

/** The output column that is the window column itself (its Parquet statistics give the maximum), if any. */
function windowOutputColumn(layout: CsvLayout): string | undefined {
  const w = layout.window;
  return w ? layout.columns.find((c) => c.source === w.column && c.type === w.type)?.destination : undefined;
}

/** The window column's maximum when it is not an output column: one more pass, over that field only. */
async function windowMax(session: StagingSession, layout: CsvLayout, input: CsvInput, paths: readonly string[]): Promise<string | undefined> {
  const w = layout.window!;
  // Careful casts: a value that does not parse is skipped here, as its row was rejected.
  const source = readCsv(layout, paths, input.maxRowBytes, true, 'ignore_errors=true');
  const reader = await session.duck.runAndReadAll(`SELECT CAST(max(${castTo(layout, w.column, w.type, true)}) AS VARCHAR) AS m FROM ${source}${windowFilter(layout, true)}`);
  const max = reader.getRowObjectsJson()[0]?.m;
  return typeof max === 'string' ? max : undefined;
}

function readCsv(layout: CsvLayout, paths: readonly string[], maxRowBytes: number | undefined, careful: boolean, errors: string): string {
  const { dialect } = layout;
  const options = [
    `columns=${sqlColumns(layout.fields.map((f) => ({ name: f.name, type: readType(layout, f, careful) })))}`,
    `header=${dialect.header}`,
    `delim=${sqlString(dialect.delimiter)}`,
    `quote=${sqlString(dialect.quote)}`,
    `escape=${sqlString(dialect.quote)}`,
    'auto_detect=false',
    'strict_mode=true',
    `allow_quoted_nulls=${dialect.quotedEmptyIsNull}`,
    errors,
  ];
  if (dialect.encoding !== 'utf8') options.push(`encoding=${sqlString(ENCODINGS[dialect.encoding])}`);
  // DuckDB's buffer is 16 times the longest line by default (32 MB); a smaller one saves a third
  // of the process's memory at no cost in speed. It must hold two lines.
  const maxLine = Math.max(DEFAULT_MAX_LINE_BYTES, Math.ceil(((maxRowBytes ?? 0) + 1024) / 1024) * 1024);
  options.push(`max_line_size=${maxLine}`, `buffer_size=${Math.max(2 * maxLine, MIN_BUFFER_BYTES)}`);
  return `read_csv([${paths.map(sqlString).join(', ')}], ${options.join(', ')})`;
}

function readType(layout: CsvLayout, field: CsvField, careful: boolean): string {
  switch (field.type) {
    case undefined:
      return 'VARCHAR';
    case 'NUMERIC':
      return careful ? DUCKDB_TYPES.NUMERIC : 'VARCHAR';
    case 'BYTES':
      return layout.bytes === 'raw' ? 'BLOB' : 'VARCHAR';
    default:
      return DUCKDB_TYPES[field.type];
  }
}

/** A field as `type`: its own typed value, cast when a column reads the field as another type. */
function castTo(layout: CsvLayout, name: string, type: WarehouseType, careful: boolean): string {
  const field = layout.fields.find((f) => f.name === name);
  if (!field) throw new Error(`The CSV has no field ${name}`);
  const f = sqlIdent(field.name);
  let value: string;
  if (field.type === 'NUMERIC' && !careful) value = `COALESCE(TRY_CAST(${f} AS DECIMAL(18,9)), CAST(${f} AS ${DUCKDB_TYPES.NUMERIC}))`;
  else if (field.type === 'BYTES' && layout.bytes === 'postgres-hex') value = `unhex(substr(${f}, 3))`;
  else if (field.type === 'BYTES' && layout.bytes === 'hex') value = `unhex(${f})`;
  else value = f;
  return field.type === type ? value : `CAST(${value} AS ${DUCKDB_TYPES[type]})`;
}

function windowFilter(layout: CsvLayout, careful: boolean): string {
  const w = layout.window;
  if (!layout.filterWindow || !w?.from) return '';
  return ` WHERE ${castTo(layout, w.column, w.type, careful)} >= CAST(${sqlString(w.from)} AS ${DUCKDB_TYPES[w.type]})`;
}

async function readRejects(
  session: StagingSession,
  layout: CsvLayout,
  input: CsvInput,
  rejectsTable: string,
  scansTable: string,
): Promise<{ rows: RejectedRow[]; count: number }> {
  // One reject per line (a line can fail in several columns; a missing or broken field says more
  // than the cast it causes), in file and line order.
  const reader = await session.duck.runAndReadAll(
    `WITH firsts AS (
       SELECT s.file_path AS file, e.line, e.column_name, e.error_type, e.csv_line, e.error_message
         FROM ${rejectsTable} e JOIN ${scansTable} s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
       QUALIFY row_number() OVER (PARTITION BY e.scan_id, e.file_id, e.line ORDER BY e.error_type = 'CAST', e.column_idx) = 1)
     SELECT *, count(*) OVER () AS total FROM firsts ORDER BY file, line LIMIT ${MAX_LISTED_REJECTS}`,
  );
  const found = reader.getRowObjectsJson();
  const rows = found.map((r): RejectedRow => {
    const file = input.fileLabel?.(String(r.file));
    const line = input.rowNumbers?.[Number(r.line) - 1] ?? (input.firstRow !== undefined ? input.firstRow + Number(r.line) - 1 : Number(r.line));
    const column = typeof r.column_name === 'string' ? r.column_name : undefined;
    const message = String(r.error_message ?? '');
    const errorType = String(r.error_type);
    const value = errorType === 'CAST' ? (castValue(message) ?? String(r.csv_line ?? '')) : String(r.csv_line ?? '');
    const where = input.rows ? `Row ${line}` : `Line ${line}${file ? ` of ${file}` : ''}`;
    const fieldType = layout.fields.find((f) => f.name === column)?.type;
    return {
      ...(file !== undefined ? { file } : {}),
      line,
      ...(column !== undefined ? { column } : {}),
      value: shorten(value.replace(/\r?\n$/, '')),
      reason: `${where}: ${reason(errorType, message, column, fieldType, layout, value)}`,
    };
  });
  return { rows, count: Number(found[0]?.total ?? 0) };
}

function reason(errorType: string, message: string, column: string | undefined, type: WarehouseType | undefined, layout: CsvLayout, value: string): string {
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  switch (errorType) {
    case 'CAST':
      return `column "${column}": "${shorten(value, 60)}" is not a valid ${type ?? 'value'}`;
    case 'MISSING COLUMNS':
    case 'TOO MANY COLUMNS':
      return counts ? `the line has ${counts[2]} fields where ${counts[1]} are expected` : message;
    case 'UNQUOTED VALUE':
      return `column "${column}": a quoted value is not closed, or text follows its closing quote`;
    case 'INVALID ENCODING':
    case 'INVALID UNICODE':
      return `the line is not valid ${ENCODING_NAMES[layout.dialect.encoding]} text (check the file's encoding)`;
    case 'LINE SIZE OVER MAXIMUM':
      return 'the line is longer than the reader allows';
    default:
      return message;
  }
}

/** The value DuckDB quotes in a cast error (`Could not convert string "x3" to 'DOUBLE'`). */
function castValue(message: string): string | undefined {
  const rest = message.replace(/^Error when converting column "[^"]*"\.\s*/, '');
  const match = /"((?:[^"]|"")*)"|'((?:[^']|'')*)'/.exec(rest);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** Cuts a value to `max` characters, ending with … when cut. */
export function shorten(value: string, max = MAX_REJECT_VALUE): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
