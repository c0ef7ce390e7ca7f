import { DUCKDB_TYPES } from '../warehouse/physical-types.js';
import type { WarehouseType } from '../types/warehouse-types.js';
import type { ExtractColumn, ExtractWindow, RejectedRow } from './extract.js';
import { isConversionError, sqlColumns, sqlIdent, sqlString } from './duckdb-sql.js';
import { shorten } from './csv-to-parquet.js';
import { MAX_LISTED_REJECTS, type StagingSession } from './staging-session.js';

/** JSON (an array of records, or one per line) or Parquet files, and what becomes of them. */
export interface RecordsLayout {
  format: 'json' | 'jsonl' | 'parquet';
  columns: readonly ExtractColumn[];
  window?: ExtractWindow;
}

/** Local files to convert in one go, with the name each shows in rejects. */
export interface RecordsInput {
  paths: string[];
  fileLabel(localPath: string): string;
}

/**
 * Converts JSON or Parquet files into parts with DuckDB (`read_json`, `read_parquet`), casting
 * each selected field to its warehouse type. A value that does not cast fails the fast pass; then
 * each file is looked at again to list the records whose values do not cast (with their number in
 * the file, the column and the value) as rejects, and the other records are written.
 */
export async function convertRecords(session: StagingSession, layout: RecordsLayout, input: RecordsInput): Promise<void> {
  const windowOutput = layout.window ? layout.columns.find((c) => c.source === layout.window!.column && c.type === layout.window!.type)?.destination : undefined;
  const list = [...layout.columns.map((c) => `${typed(c.source, c.type, 'CAST')} AS ${sqlIdent(c.destination)}`), session.metadataColumns()].join(', ');
  let written: { rows: number };
  try {
    written = await session.writeParts(`SELECT ${list} FROM ${reader(layout, input.paths)}${windowFilter(layout, 'CAST')}`, { split: true, windowColumn: windowOutput });
    session.rowsRead += written.rows;
  } catch (error) {
    if (!isConversionError(error)) throw error;
    session.throwIfAborted();
    written = { rows: 0 };
    for (const path of input.paths) {
      const rows = await convertCarefully(session, layout, path, input.fileLabel(path), windowOutput);
      written.rows += rows;
    }
  }
  if (layout.window && !windowOutput) {
    const w = layout.window;
    const found = await session.duck.runAndReadAll(`SELECT CAST(max(${typed(w.column, w.type, 'TRY_CAST')}) AS VARCHAR) AS m FROM ${reader(layout, input.paths)}${windowFilter(layout, 'TRY_CAST')}`);
    const max = found.getRowObjectsJson()[0]?.m;
    if (typeof max === 'string') session.noteWindowMax(max);
  }
}

/** One file whose values do not all cast: the rejects listed, the rest written. */
async function convertCarefully(session: StagingSession, layout: RecordsLayout, path: string, label: string, windowOutput: string | undefined): Promise<number> {
  // Each (field, type) pair a column reads, with the test that its value does not cast.
  const checks = new Map<string, { source: string; type: WarehouseType; fails: string }>();
  for (const c of layout.columns) {
    const key = `${c.source}\u0000${c.type}`;
    const f = sqlIdent(c.source);
    if (!checks.has(key)) checks.set(key, { source: c.source, type: c.type, fails: `(${f} IS NOT NULL AND ${typed(c.source, c.type, 'TRY_CAST')} IS NULL)` });
  }
  const all = [...checks.values()];
  const anyFails = all.map((c) => c.fails).join(' OR ');
  const numbered = layout.format === 'parquet'
    ? `SELECT file_row_number + 1 AS __n, * FROM ${reader(layout, [path], 'file_row_number=true')}`
    : `SELECT row_number() OVER () AS __n, * FROM ${reader(layout, [path])}`;
  // Record numbers follow the file only while DuckDB keeps the order (JSON).
  await session.duck.run('SET preserve_insertion_order = true');
  let found: Record<string, unknown>[];
  try {
    const reader_ = await session.duck.runAndReadAll(
      `SELECT __n, CASE ${all.map((c) => `WHEN ${c.fails} THEN ${sqlString(c.source)}`).join(' ')} END AS __column,
              CASE ${all.map((c) => `WHEN ${c.fails} THEN CAST(${sqlIdent(c.source)} AS VARCHAR)`).join(' ')} END AS __value,
              CASE ${all.map((c) => `WHEN ${c.fails} THEN ${sqlString(c.type)}`).join(' ')} END AS __type,
              count(*) OVER () AS __total
         FROM (${numbered}) AS r WHERE ${anyFails} ORDER BY __n LIMIT ${MAX_LISTED_REJECTS}`,
    );
    found = reader_.getRowObjectsJson();
  } finally {
    await session.duck.run('SET preserve_insertion_order = false');
  }
  const list = [...layout.columns.map((c) => `${typed(c.source, c.type, 'TRY_CAST')} AS ${sqlIdent(c.destination)}`), session.metadataColumns()].join(', ');
  const filter = windowFilter(layout, 'TRY_CAST');
  const where = filter ? `${filter} AND NOT (${anyFails})` : ` WHERE NOT (${anyFails})`;
  const written = await session.writeParts(`SELECT ${list} FROM ${reader(layout, [path])}${where}`, { split: true, windowColumn: windowOutput });
  const count = Number(found[0]?.__total ?? 0);
  session.rowsRead += written.rows + count;
  const noun = layout.format === 'parquet' ? 'Row' : 'Record';
  const rejects = found.map((r): RejectedRow => {
    const value = r.__value === null || r.__value === undefined ? '' : String(r.__value);
    return {
      file: label,
      line: Number(r.__n),
      column: String(r.__column),
      value: shorten(value),
      reason: `${noun} ${Number(r.__n)} of ${label}: column "${String(r.__column)}": "${shorten(value, 60)}" is not a valid ${String(r.__type)}`,
    };
  });
  if (count > 0) session.reject(rejects, count);
  return written.rows;
}

/** `read_json` or `read_parquet` over the files: JSON fields as text (JSON columns as JSON text), Parquet as stored. */
function reader(layout: RecordsLayout, paths: readonly string[], extra?: string): string {
  const files = `[${paths.map(sqlString).join(', ')}]`;
  if (layout.format === 'parquet') return `read_parquet(${files}, union_by_name=true${extra ? `, ${extra}` : ''})`;
  // A field read as JSON keeps its JSON text ("s" with its quotes); as VARCHAR, a string's content
  // (and an object's or array's JSON text).
  const fields = new Map<string, string>();
  const want = (name: string, type: WarehouseType) => fields.set(name, fields.get(name) === 'JSON' || type === 'JSON' ? 'JSON' : 'VARCHAR');
  for (const c of layout.columns) want(c.source, c.type);
  if (layout.window) want(layout.window.column, layout.window.type);
  const columns = sqlColumns([...fields].map(([name, type]) => ({ name, type })));
  const format = layout.format === 'jsonl' ? 'newline_delimited' : 'auto';
  return `read_json(${files}, format=${sqlString(format)}, records=true, columns=${columns})`;
}

function windowFilter(layout: RecordsLayout, cast: 'CAST' | 'TRY_CAST'): string {
  const w = layout.window;
  if (!w?.from) return '';
  return ` WHERE ${typed(w.column, w.type, cast)} >= CAST(${sqlString(w.from)} AS ${DUCKDB_TYPES[w.type]})`;
}

/**
 * A field as its warehouse type. JSON goes through DuckDB's JSON type, which checks JSON text and
 * writes nested Parquet values (structs, lists) as JSON rather than DuckDB's own text for them.
 */
function typed(source: string, type: WarehouseType, cast: 'CAST' | 'TRY_CAST'): string {
  const f = sqlIdent(source);
  if (type === 'JSON') return `${cast}(${cast}(${f} AS JSON) AS VARCHAR)`;
  return `${cast}(${f} AS ${DUCKDB_TYPES[type]})`;
}
