import path from 'node:path';
import { DUCKDB_TYPES } from '../physical-types.js';
import type { ColumnSpec } from '../warehouse.js';
import type { DataFile, FileColumn } from './table-manifest.js';

/** A DuckDB identifier, quoted. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A DuckDB string literal. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function fileList(paths: readonly string[]): string {
  return `[${paths.map(literal).join(', ')}]`;
}

/**
 * The rows of a table version, each column cast to the manifest's type: a column a file lacks
 * (added later) reads as null, a column a file holds in a narrower type (promoted later) reads
 * promoted. Files are grouped by their physical columns, so every `read_parquet` reads files of one
 * schema and no type is left to DuckDB's guessing across files.
 */
export function tableSelect(tableDir: string, columns: readonly ColumnSpec[], files: readonly DataFile[]): string {
  if (files.length === 0) {
    return `SELECT ${columns.map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${ident(c.name)}`).join(', ')} LIMIT 0`;
  }
  const groups = new Map<string, { columns: FileColumn[]; paths: string[] }>();
  for (const file of files) {
    const key = JSON.stringify(file.columns.map((c) => [c.name, c.type]));
    const group = groups.get(key) ?? { columns: file.columns, paths: [] };
    group.paths.push(path.join(tableDir, file.path));
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((group) => {
      const byName = new Map(group.columns.map((c) => [c.name.toLowerCase(), c]));
      const list = columns.map((c) => {
        const target = DUCKDB_TYPES[c.type];
        const stored = byName.get(c.name.toLowerCase());
        if (!stored) return `CAST(NULL AS ${target}) AS ${ident(c.name)}`;
        // An uncast column keeps DuckDB's filter pushdown into Parquet statistics.
        if (DUCKDB_TYPES[stored.type] === target) return `${ident(stored.name)} AS ${ident(c.name)}`;
        return `CAST(${ident(stored.name)} AS ${target}) AS ${ident(c.name)}`;
      });
      return `SELECT ${list.join(', ')} FROM read_parquet(${fileList(group.paths)})`;
    })
    .join('\nUNION ALL\n');
}

/**
 * The staged rows in the table's columns and types: staged columns are cast to the table's types
 * (already checked by `planSchemaChange`), table columns the load does not bring are null.
 */
export function stagedSelect(partPaths: readonly string[], staged: readonly ColumnSpec[], columns: readonly ColumnSpec[]): string {
  const incoming = new Map(staged.map((c) => [c.name.toLowerCase(), c]));
  const list = columns.map((c) => {
    const source = incoming.get(c.name.toLowerCase());
    const value = source ? ident(source.name) : 'NULL';
    return `CAST(${value} AS ${DUCKDB_TYPES[c.type]}) AS ${ident(c.name)}`;
  });
  return `SELECT ${list.join(', ')} FROM read_parquet(${fileList(partPaths)}, union_by_name = true)`;
}

/** How a dedupe reads the table: its current rows and the window to compare against. */
export interface DedupeSql {
  /** The table's current rows (`tableSelect`). */
  table: string;
  /** Key columns, as named in the table's columns. */
  key: readonly string[];
  /** Only table rows with `column >= value` are compared. */
  window?: { column: ColumnSpec; from: string };
}

/**
 * The staged rows that are not in the table yet, as a multiset difference on the key: rows are
 * numbered within each key on both sides, and a staged row is new when its (key, number) is not in
 * the table. A source row that genuinely occurs twice lands twice, and re-reading an overlap adds
 * nothing. Keys compare with IS NOT DISTINCT FROM, so null keys (common without a primary key) match.
 */
export function newRowsSelect(staged: string, dedupe: DedupeSql): string {
  const n = ident('__recs_dedupe_n');
  const key = dedupe.key.map(ident);
  const partition = `row_number() OVER (PARTITION BY ${key.join(', ')}) AS ${n}`;
  const where = dedupe.window
    ? ` WHERE ${ident(dedupe.window.column.name)} >= CAST(${literal(dedupe.window.from)} AS ${DUCKDB_TYPES[dedupe.window.column.type]})`
    : '';
  const on = [...key.map((k) => `s.${k} IS NOT DISTINCT FROM t.${k}`), `s.${n} = t.${n}`].join(' AND ');
  return [
    `WITH staged AS (${staged}),`,
    `s AS (SELECT *, ${partition} FROM staged),`,
    `t AS (SELECT ${key.join(', ')}, ${partition} FROM (${dedupe.table}) AS current_rows${where})`,
    `SELECT s.* EXCLUDE (${n}) FROM s ANTI JOIN t ON ${on}`,
  ].join('\n');
}
