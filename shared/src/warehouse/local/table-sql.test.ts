import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ColumnSpec } from '../warehouse.js';
import { ident, literal, newRowsSelect, tableSelect } from './table-sql.js';

let tmp: string;
let instance: DuckDBInstance;
let db: DuckDBConnection;
const rows = async (sql: string) => (await db.run(sql)).getRowsJS();

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-table-sql-'));
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
});
afterAll(async () => {
  db?.closeSync();
  instance?.closeSync();
  await rm(tmp, { recursive: true, force: true });
});

describe('table SQL', () => {
  test('names and texts are quoted, so a column or file name cannot end the statement', async () => {
    expect(ident('a"b')).toBe('"a""b"');
    expect(literal("it's")).toBe("'it''s'");
    expect(await rows(`SELECT 1 AS ${ident('x"; DROP TABLE y; --')}, ${literal("'; --")} AS t`)).toEqual([[1, "'; --"]]);
  });

  test('a table reads files of older schemas with promoted types, and columns they lack as null', async () => {
    await db.run(`COPY (SELECT 1::BIGINT AS id, 'a' AS name) TO '${tmp}/old.parquet' (FORMAT parquet)`);
    await db.run(`COPY (SELECT 2.5::DECIMAL(38,9) AS id, 'b' AS name, DATE '2026-01-02' AS born) TO '${tmp}/new.parquet' (FORMAT parquet)`);
    const columns: ColumnSpec[] = [
      { name: 'id', type: 'NUMERIC', nullable: false },
      { name: 'Name', type: 'STRING', nullable: true },
      { name: 'born', type: 'DATE', nullable: true },
    ];
    const select = tableSelect(tmp, columns, [
      { path: 'old.parquet', rows: 1, bytes: 0, columns: [{ name: 'id', type: 'INT64' }, { name: 'name', type: 'STRING' }] },
      { path: 'new.parquet', rows: 1, bytes: 0, columns: [{ name: 'id', type: 'NUMERIC' }, { name: 'name', type: 'STRING' }, { name: 'born', type: 'DATE' }] },
    ]);

    const result = await db.run(`SELECT * FROM (${select}) ORDER BY id`);
    expect(result.columnNames()).toEqual(['id', 'Name', 'born']);
    expect(result.columnTypes().map(String)).toEqual(['DECIMAL(38,9)', 'VARCHAR', 'DATE']);
    expect(await rows(`SELECT id::VARCHAR, Name, born::VARCHAR FROM (${select}) ORDER BY id`)).toEqual([
      ['1.000000000', 'a', null],
      ['2.500000000', 'b', '2026-01-02'],
    ]);
    expect(await rows(tableSelect(tmp, columns, []))).toEqual([]);
  });

  test('new rows are a multiset difference on the key: repeated rows land as often as they are new, null keys match', async () => {
    const staged = `SELECT * FROM (VALUES (1, NULL), (1, NULL), (1, NULL), (2, 'x'), (3, 'y')) AS s(a, b)`;
    const table = `SELECT * FROM (VALUES (1, NULL), (2, 'x'), (9, 'old')) AS t(a, b)`;

    const added = await rows(`SELECT a, b FROM (${newRowsSelect(staged, { table, key: ['a', 'b'] })}) ORDER BY ALL`);
    expect(added).toEqual([
      [1, null],
      [1, null],
      [3, 'y'],
    ]);
  });

  test('only table rows inside the window are compared', async () => {
    const staged = `SELECT * FROM (VALUES (1, DATE '2026-01-01'), (2, DATE '2026-01-05')) AS s(a, d)`;
    const table = `SELECT * FROM (VALUES (1, DATE '2026-01-01'), (2, DATE '2026-01-05')) AS t(a, d)`;
    const window = { column: { name: 'd', type: 'DATE' as const, nullable: true }, from: '2026-01-03' };

    expect(await rows(`SELECT a FROM (${newRowsSelect(staged, { table, key: ['a', 'd'], window })})`)).toEqual([[1]]);
  });
});
