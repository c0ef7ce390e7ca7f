import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PermanentError } from '../../shared/src/jobs/errors.js';
import { PostgresWarehouse } from '../../shared/src/warehouse/postgres/postgres-warehouse.js';
import { DUCKDB_TYPES } from '../../shared/src/warehouse/physical-types.js';
import { SchemaChangeError } from '../../shared/src/warehouse/schema-evolution.js';
import type { ColumnSpec, LoadRequest, StagedPart } from '../../shared/src/warehouse/warehouse.js';
import { REPO } from '../support/processes.js';
import { createTestEnv, type TestEnv } from '../support/test-env.js';

const SAMPLE = path.join(REPO, 'test/fixtures/files/online_retail_sample.csv');

/** The source's columns as the extractor would stage them, one of each type the tests need. */
const SOURCE: ColumnSpec[] = [
  { name: 'invoice_no', type: 'STRING', nullable: false },
  { name: 'stock_code', type: 'STRING', nullable: false },
  { name: 'description', type: 'STRING', nullable: true },
  { name: 'quantity', type: 'INT64', nullable: false },
  { name: 'invoice_date', type: 'DATETIME', nullable: false },
  { name: 'unit_price', type: 'NUMERIC', nullable: false },
  { name: 'customer_id', type: 'INT64', nullable: true },
  { name: 'country', type: 'STRING', nullable: false },
  { name: 'cancelled', type: 'BOOL', nullable: false },
  { name: 'attrs', type: 'JSON', nullable: false },
];
const METADATA: ColumnSpec[] = [
  { name: '_extracted_at', type: 'TIMESTAMP', nullable: false },
  { name: '_run_id', type: 'STRING', nullable: false },
];
const COLUMNS = [...SOURCE, ...METADATA];

/** One line per row over the source columns, rendered alike by DuckDB and PostgreSQL. */
const DUCKDB_LINE = `concat_ws('|', invoice_no, stock_code, coalesce(description, '∅'), quantity::VARCHAR, strftime(invoice_date, '%Y-%m-%d %H:%M:%S'),
  unit_price::VARCHAR, coalesce(customer_id::VARCHAR, '∅'), country, cancelled::VARCHAR, json_extract_string(attrs, '$.country'))`;
const POSTGRES_LINE = `concat_ws('|', invoice_no, stock_code, coalesce(description, '∅'), quantity::text, to_char(invoice_date, 'YYYY-MM-DD HH24:MI:SS'),
  unit_price::text, coalesce(customer_id::text, '∅'), country, cancelled::text, attrs->>'country')`;

let env: TestEnv;
let warehouse: PostgresWarehouse;
let duckdb: DuckDBInstance;
let duck: DuckDBConnection;
let tmp: string;
let parts = 0;

beforeAll(async () => {
  env = await createTestEnv();
  warehouse = new PostgresWarehouse({ url: env.config.databaseUrl });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-pg-warehouse-'));
  duckdb = await DuckDBInstance.create(':memory:');
  duck = await duckdb.connect();
  // The source: the retail sample with a line number (to pick rows by), a BOOL and a JSON column.
  await duck.run(`
    CREATE TABLE source AS
    SELECT row_number() OVER () AS line, InvoiceNo AS invoice_no, StockCode AS stock_code, Description AS description,
      CAST(Quantity AS BIGINT) AS quantity, CAST(InvoiceDate AS TIMESTAMP) AS invoice_date, CAST(UnitPrice AS DECIMAL(38,9)) AS unit_price,
      CAST(CustomerID AS BIGINT) AS customer_id, Country AS country, starts_with(InvoiceNo, 'C') OR CAST(Quantity AS BIGINT) < 0 AS cancelled,
      json_object('country', Country, 'quantity', CAST(Quantity AS BIGINT))::VARCHAR AS attrs
    FROM read_csv('${SAMPLE}', header = true, all_varchar = true)`);
});

afterAll(async () => {
  await warehouse?.close();
  duck?.closeSync();
  duckdb?.closeSync();
  await env?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/**
 * Stages the rows of `select` (over `source`) as a Parquet part the way the extractor does: each
 * column cast to the DuckDB type of its warehouse type, plus `_extracted_at` and `_run_id`.
 */
async function stage(select: string, runId: string, columns: ColumnSpec[] = COLUMNS): Promise<StagedPart> {
  const uri = path.join(tmp, `part-${++parts}.parquet`);
  const values = columns.map((c) => {
    const value = c.name === '_extracted_at' ? `TIMESTAMPTZ '2026-11-22 10:00:00+00'` : c.name === '_run_id' ? `'${runId}'` : `"${c.name}"`;
    return `CAST(${value} AS ${DUCKDB_TYPES[c.type]}) AS "${c.name}"`;
  });
  await duck.run(`COPY (SELECT ${values.join(', ')} FROM (${select})) TO '${uri}' (FORMAT parquet)`);
  const rows = Number((await duck.runAndReadAll(`SELECT count(*) FROM '${uri}'`)).getRows()[0]?.[0]);
  return { uri, rows, bytes: (await stat(uri)).size };
}

function request(projectId: string, table: string, runId: string, staged: StagedPart[], extra: Partial<LoadRequest> = {}): LoadRequest {
  return { projectId, table, jobId: 'job-orders', runId, mode: 'append', columns: COLUMNS, parts: staged, marker: { watermarkAfter: null }, ...extra };
}

/** How many rows and which: the sorted lines of the table, hashed. */
async function tableChecksum(projectId: string, table: string): Promise<{ rows: number; checksum: string }> {
  const rows = await warehouse.query(projectId, `SELECT ${POSTGRES_LINE} AS line FROM "${table}"`);
  return checksum(rows.map((r) => String(r.line)));
}

async function sourceChecksum(where = 'true'): Promise<{ rows: number; checksum: string }> {
  const reader = await duck.runAndReadAll(`SELECT ${DUCKDB_LINE} FROM source WHERE ${where}`);
  return checksum(reader.getRows().map((r) => String(r[0])));
}

function checksum(lines: string[]): { rows: number; checksum: string } {
  return { rows: lines.length, checksum: createHash('sha256').update(lines.sort().join('\n')).digest('hex') };
}

async function count(projectId: string, table: string): Promise<number> {
  const [row] = await warehouse.query(projectId, `SELECT count(*) AS n FROM "${table}"`);
  return Number(row?.n);
}

async function markers(projectId: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: env.config.databaseUrl });
  await client.connect();
  try {
    const schema = `p_${projectId.replace(/-/g, '')}`;
    return (await client.query(`SELECT run_id, table_name, rows_loaded::int FROM "${schema}"."_recs_loads" ORDER BY run_id`)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgresWarehouse', () => {
  test('a first append creates the table with its columns and commits the marker with the rows', async () => {
    const project = randomUUID();
    const runId = randomUUID();
    const part = await stage(`SELECT * FROM source WHERE line <= 500`, runId);
    const result = await warehouse.load(request(project, 'orders', runId, [part], { marker: { watermarkAfter: { invoice_date: '2010-12-01T09:00:00' } } }));

    expect(result.alreadyLoaded).toBe(false);
    expect(result.schemaChanges).toEqual([]);
    expect(result.marker).toMatchObject({ runId, jobId: 'job-orders', rowsLoaded: 500, watermarkAfter: { invoice_date: '2010-12-01T09:00:00' } });
    expect(await warehouse.findLoad(project, 'orders', runId)).toEqual(result.marker);
    expect(await warehouse.findLoad(project, 'orders', randomUUID())).toBeNull();
    expect(await warehouse.findLoad(randomUUID(), 'orders', runId)).toBeNull();
    expect(await warehouse.describe(project, 'orders')).toEqual(COLUMNS.map((c) => ({ ...c, nullable: true })));
    expect(await warehouse.describe(project, 'missing')).toBeNull();
    expect(await warehouse.listTables(project)).toEqual([{ name: 'orders', rows: 500 }]);
    expect(await tableChecksum(project, 'orders')).toEqual(await sourceChecksum('line <= 500'));

    const [first] = await warehouse.query(project, `SELECT * FROM orders WHERE stock_code = $1 AND invoice_no = $2`, ['85123A', '536365']);
    expect(first).toEqual({
      invoice_no: '536365',
      stock_code: '85123A',
      description: 'WHITE HANGING HEART T-LIGHT HOLDER',
      quantity: 6n,
      invoice_date: new Date('2010-12-01T08:26:00Z'),
      unit_price: '2.550000000',
      customer_id: 17850n,
      country: 'United Kingdom',
      cancelled: false,
      attrs: { country: 'United Kingdom', quantity: 6 },
      _extracted_at: new Date('2026-11-22T10:00:00Z'),
      _run_id: runId,
    });
    // Queries read, and only read, one statement at a time.
    await expect(warehouse.query(project, `DELETE FROM orders`)).rejects.toThrow(/read-only transaction/);
    await expect(warehouse.query(project, `SELECT 1; DELETE FROM orders`)).rejects.toThrow(/multiple commands/);
    expect(await count(project, 'orders')).toBe(500);
  });

  test('values survive the trip: quotes, commas, line breaks, empty strings, nulls, bytes, infinities and every type', async () => {
    const project = randomUUID();
    const runId = randomUUID();
    const columns: ColumnSpec[] = [
      { name: 'id', type: 'INT64', nullable: false },
      { name: 'text', type: 'STRING', nullable: true },
      { name: 'ratio', type: 'FLOAT64', nullable: true },
      { name: 'big', type: 'BIGNUMERIC', nullable: true },
      { name: 'blob', type: 'BYTES', nullable: true },
      { name: 'day', type: 'DATE', nullable: true },
      { name: 'clock', type: 'TIME', nullable: true },
      { name: 'shape', type: 'GEOGRAPHY', nullable: true },
      { name: 'doc', type: 'JSON', nullable: true },
      ...METADATA,
    ];
    const part = await stage(
      `SELECT * FROM (VALUES
        (1, 'say "hi", then
leave', 0.1, '12345678901234567890123456789012345678901234.5678', '\\x00\\xFFab'::BLOB, DATE '2024-02-29', TIME '23:59:59.5', 'POINT(1 2)', '{"a": [1, "x,y"]}'),
        (2, '', 'inf'::DOUBLE, '-1', ''::BLOB, DATE '0044-03-15 (BC)', TIME '00:00:00', '', '"\\\\."'),
        (3, '\\.', 'nan'::DOUBLE, NULL, NULL, NULL, NULL, NULL, 'null'),
        (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
      ) AS t(id, text, ratio, big, blob, day, clock, shape, doc)`,
      runId,
      columns,
    );
    await warehouse.load(request(project, 'odd', runId, [part], { columns }));
    const rows = await warehouse.query(
      project,
      `SELECT id, text, ratio::text, big::text, encode(blob, 'hex') AS blob, day::text, clock::text, shape, doc FROM odd ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1n, text: 'say "hi", then\nleave', ratio: '0.1', big: '12345678901234567890123456789012345678901234.5678', blob: '00ff6162', day: '2024-02-29', clock: '23:59:59.5', shape: 'POINT(1 2)', doc: { a: [1, 'x,y'] } },
      { id: 2n, text: '', ratio: 'Infinity', big: '-1', blob: '', day: '0044-03-15 BC', clock: '00:00:00', shape: '', doc: '\\.' },
      { id: 3n, text: '\\.', ratio: 'NaN', big: null, blob: null, day: null, clock: null, shape: null, doc: null },
      { id: 4n, text: null, ratio: null, big: null, blob: null, day: null, clock: null, shape: null, doc: null },
    ]);
    // JSON null is a value, SQL NULL is not.
    const [nulls] = await warehouse.query(project, `SELECT count(*) FILTER (WHERE doc IS NULL) AS sql, count(*) FILTER (WHERE doc = 'null'::jsonb) AS json FROM odd`);
    expect(nulls).toEqual({ sql: 1n, json: 1n });
    expect((await warehouse.describe(project, 'odd'))?.map((c) => c.type)).toEqual(columns.map((c) => (c.type === 'GEOGRAPHY' ? 'STRING' : c.type)));
  });

  test('an overlapping second append adds every source row exactly once: boundary rows, late rows and a row the source holds twice', async () => {
    const project = randomUUID();
    const watermark = '2010-12-01 11:49:00';
    const from = '2010-12-01 10:49:00';
    // Rows that reach the source after run 1 read it, though their time is inside run 2's window:
    // two single rows and one copy of a row the source holds twice.
    await duck.run(`CREATE OR REPLACE TABLE late AS
      SELECT min(line) AS line FROM source WHERE invoice_no = '536409' AND stock_code = '22111'
      UNION ALL (SELECT line FROM source WHERE invoice_date > TIMESTAMP '${from}' AND invoice_date < TIMESTAMP '${watermark}' AND invoice_no <> '536409' ORDER BY line LIMIT 2)`);
    const run1 = randomUUID();
    const inRun1 = `invoice_date <= TIMESTAMP '${watermark}' AND line NOT IN (SELECT line FROM late)`;
    const first = await warehouse.load(
      request(project, 'orders', run1, [
        await stage(`SELECT * FROM source WHERE ${inRun1} AND line % 2 = 0`, run1),
        await stage(`SELECT * FROM source WHERE ${inRun1} AND line % 2 = 1`, run1),
      ]),
    );
    const run1Rows = (await sourceChecksum(inRun1)).rows;
    expect(first.marker.rowsLoaded).toBe(run1Rows);

    // Run 2 reads from an hour before the watermark: the rows at the watermark again, the late rows, what is new.
    const run2 = randomUUID();
    const dedupe = { key: SOURCE.map((c) => c.name), timestampColumn: 'invoice_date', from: from.replace(' ', 'T') };
    const secondPart = await stage(`SELECT * FROM source WHERE invoice_date >= TIMESTAMP '${from}'`, run2);
    const second = await warehouse.load(request(project, 'orders', run2, [secondPart], { dedupe }));

    const all = await sourceChecksum();
    expect(all.rows).toBe(2000);
    expect(secondPart.rows).toBeGreaterThan(second.marker.rowsLoaded);
    expect(second.marker.rowsLoaded).toBe(all.rows - run1Rows);
    expect(await tableChecksum(project, 'orders')).toEqual(all);
    // The source holds this row three times, all at the watermark; so does the table.
    const [triple] = await warehouse.query(project, `SELECT count(*)::int AS n FROM orders WHERE invoice_no = '536412' AND stock_code = '21448' AND quantity = 2`);
    expect(triple).toEqual({ n: 3 });

    // Reading the same window again (a third run) adds nothing.
    const run3 = randomUUID();
    const third = await warehouse.load(request(project, 'orders', run3, [await stage(`SELECT * FROM source WHERE invoice_date >= TIMESTAMP '${from}'`, run3)], { dedupe }));
    expect(third.marker.rowsLoaded).toBe(0);
    expect(await tableChecksum(project, 'orders')).toEqual(all);
  });

  test('a dedupe on a key treats NULL key values as equal and compares only the window', async () => {
    const project = randomUUID();
    const run1 = randomUUID();
    const select = `SELECT * FROM source WHERE (invoice_no IN ('536365', '536414') OR (invoice_no = '536544' AND line <= 1450))`;
    await warehouse.load(request(project, 'lines', run1, [await stage(select, run1)]));
    const before = await count(project, 'lines');
    // customer_id is NULL on invoices 536414 and 536544: with it in the key, those rows are still found.
    const key = { key: ['invoice_no', 'stock_code', 'quantity', 'customer_id'] };
    const run2 = randomUUID();
    const again = await warehouse.load(request(project, 'lines', run2, [await stage(`${select} QUALIFY row_number() OVER (PARTITION BY invoice_no, stock_code, quantity) = 1`, run2)], { dedupe: key }));
    expect(again.marker.rowsLoaded).toBe(0);
    // Outside the window nothing is compared: rows before `from` land again.
    const run3 = randomUUID();
    const windowed = await warehouse.load(
      request(project, 'lines', run3, [await stage(`${select} AND invoice_no = '536365' QUALIFY row_number() OVER (PARTITION BY invoice_no, stock_code, quantity) = 1`, run3)], {
        dedupe: { ...key, timestampColumn: 'invoice_date', from: '2010-12-01T09:00:00' },
      }),
    );
    expect(windowed.marker.rowsLoaded).toBe(7);
    expect(await count(project, 'lines')).toBe(before + 7);
  });

  test('a retried load of a committed run changes nothing and answers the committed marker', async () => {
    const project = randomUUID();
    const runId = randomUUID();
    const part = await stage(`SELECT * FROM source WHERE line <= 300`, runId);
    const first = await warehouse.load(request(project, 'orders', runId, [part], { marker: { watermarkAfter: 'w1' } }));
    const before = await tableChecksum(project, 'orders');

    const retry = await warehouse.load(request(project, 'orders', runId, [part], { marker: { watermarkAfter: 'w1' } }));
    expect(retry).toEqual({ marker: first.marker, alreadyLoaded: true, schemaChanges: [] });
    // Even when the retry brings other rows (the parts were staged again), the committed run stands.
    const other = await stage(`SELECT * FROM source WHERE line > 300 AND line <= 400`, runId);
    expect(await warehouse.load(request(project, 'orders', runId, [other], { marker: { watermarkAfter: 'w2' } }))).toEqual({ marker: first.marker, alreadyLoaded: true, schemaChanges: [] });
    // Two tries of one run at once (neither sees the other's marker before staging): one commits.
    const twin = randomUUID();
    const twinPart = await stage(`SELECT * FROM source WHERE line > 400 AND line <= 450`, twin);
    const results = await Promise.all([warehouse.load(request(project, 'orders', twin, [twinPart])), warehouse.load(request(project, 'orders', twin, [twinPart]))]);
    expect(results.map((r) => r.alreadyLoaded).sort()).toEqual([false, true]);
    expect(results[0]?.marker).toEqual(results[1]?.marker);

    expect(await count(project, 'orders')).toBe(before.rows + 50);
    expect(await markers(project)).toHaveLength(2);
    // A run loads one table.
    await expect(warehouse.load(request(project, 'other', runId, [part]))).rejects.toThrow(/already committed into table orders/);
  });

  test('a catalog replace under a concurrent reader: the reader sees the old or the new rows, never none or some', async () => {
    const project = randomUUID();
    const schema = `p_${project.replace(/-/g, '')}`;
    const small = 1200;
    const large = 2000;
    const snapshots = [await stage(`SELECT * FROM source WHERE line <= ${small}`, 'catalog'), await stage(`SELECT * FROM source`, 'catalog')];
    const replace = (i: number) => warehouse.load(request(project, 'catalog', randomUUID(), [snapshots[i % 2]!], { mode: 'replace' }));
    await replace(0);

    const reader = new pg.Client({ connectionString: env.config.databaseUrl });
    await reader.connect();
    const seen: number[] = [];
    let done = false;
    const reading = (async () => {
      while (!done) {
        const { rows } = await reader.query(`SELECT count(*)::int AS n FROM "${schema}"."catalog"`);
        seen.push(rows[0].n);
      }
    })();
    try {
      for (let i = 1; i <= 8; i++) expect((await replace(i)).marker.rowsLoaded).toBe(i % 2 ? large : small);
    } finally {
      done = true;
      await reading.finally(() => reader.end());
    }
    expect(seen.length).toBeGreaterThan(8);
    expect([...new Set(seen)].sort()).toEqual([small, large].sort());
    expect(await warehouse.listTables(project)).toEqual([{ name: 'catalog', rows: small }]);
  });

  test('two concurrent appends of different runs both land, into a table neither had created', async () => {
    const project = randomUUID();
    const [a, b] = [randomUUID(), randomUUID()];
    const even = await stage(`SELECT * FROM source WHERE line % 2 = 0`, a);
    const odd = await stage(`SELECT * FROM source WHERE line % 2 = 1`, b);
    const results = await Promise.all([warehouse.load(request(project, 'orders', a, [even])), warehouse.load(request(project, 'orders', b, [odd]))]);
    expect(results.map((r) => r.alreadyLoaded)).toEqual([false, false]);
    expect(results.map((r) => r.marker.rowsLoaded)).toEqual([1000, 1000]);
    expect(await tableChecksum(project, 'orders')).toEqual(await sourceChecksum());
    expect((await markers(project)).map((m) => m.run_id).sort()).toEqual([a, b].sort());
  });

  test('a column the source adds is null for the rows loaded before it', async () => {
    const project = randomUUID();
    const run1 = randomUUID();
    const withoutAttrs = COLUMNS.filter((c) => c.name !== 'attrs');
    await warehouse.load(request(project, 'orders', run1, [await stage(`SELECT * FROM source WHERE line <= 100`, run1, withoutAttrs)], { columns: withoutAttrs }));
    const run2 = randomUUID();
    const result = await warehouse.load(request(project, 'orders', run2, [await stage(`SELECT * FROM source WHERE line > 100 AND line <= 150`, run2)]));

    expect(result.schemaChanges).toEqual([{ kind: 'added', column: 'attrs', type: 'JSON' }]);
    expect((await warehouse.describe(project, 'orders'))?.map((c) => c.name)).toEqual([...withoutAttrs.map((c) => c.name), 'attrs']);
    const rows = await warehouse.query(project, `SELECT _run_id, count(*)::int AS n, count(attrs)::int AS with_attrs FROM orders GROUP BY 1 ORDER BY 2 DESC`);
    expect(rows).toEqual([
      { _run_id: run1, n: 100, with_attrs: 0 },
      { _run_id: run2, n: 50, with_attrs: 50 },
    ]);
  });

  test('INT64 widens to NUMERIC and DATE to TIMESTAMP, keeping the values already loaded', async () => {
    const project = randomUUID();
    const before: ColumnSpec[] = [
      { name: 'invoice_no', type: 'STRING', nullable: false },
      { name: 'stock_code', type: 'STRING', nullable: false },
      { name: 'quantity', type: 'INT64', nullable: false },
      { name: 'invoice_date', type: 'DATE', nullable: false },
      ...METADATA,
    ];
    const after = before.map((c): ColumnSpec => (c.name === 'quantity' ? { ...c, type: 'NUMERIC' } : c.name === 'invoice_date' ? { ...c, type: 'TIMESTAMP' } : c));
    const run1 = randomUUID();
    await warehouse.load(request(project, 'orders', run1, [await stage(`SELECT * FROM source WHERE line <= 10`, run1, before)], { columns: before }));
    const run2 = randomUUID();
    const result = await warehouse.load(
      request(project, 'orders', run2, [await stage(`SELECT * REPLACE (quantity + 0.25 AS quantity) FROM source WHERE line > 10 AND line <= 20`, run2, after)], { columns: after }),
    );

    expect(result.schemaChanges).toEqual([
      { kind: 'promoted', column: 'quantity', from: 'INT64', to: 'NUMERIC' },
      { kind: 'promoted', column: 'invoice_date', from: 'DATE', to: 'TIMESTAMP' },
    ]);
    expect((await warehouse.describe(project, 'orders'))?.map((c) => [c.name, c.type])).toEqual(after.map((c) => [c.name, c.type]));
    const rows = await warehouse.query(project, `SELECT _run_id = $1 AS first, quantity, invoice_date FROM orders WHERE stock_code IN ('85123A', '22752', '22745') ORDER BY 1 DESC, 2`, [run1]);
    expect(rows).toEqual([
      { first: true, quantity: '2.000000000', invoice_date: new Date('2010-12-01T00:00:00Z') },
      { first: true, quantity: '6.000000000', invoice_date: new Date('2010-12-01T00:00:00Z') },
      { first: false, quantity: '6.250000000', invoice_date: new Date('2010-12-01T08:34:00Z') },
    ]);
    // A narrower type still fits afterwards: INT64 into the NUMERIC column, with no change.
    const run3 = randomUUID();
    const again = await warehouse.load(request(project, 'orders', run3, [await stage(`SELECT * FROM source WHERE line = 21`, run3, before)], { columns: before }));
    expect(again.schemaChanges).toEqual([]);
    expect(await count(project, 'orders')).toBe(21);
  });

  test('a narrowing fails with SchemaChangeError naming the column and both types, and changes nothing', async () => {
    const project = randomUUID();
    const run1 = randomUUID();
    await warehouse.load(request(project, 'orders', run1, [await stage(`SELECT * FROM source WHERE line <= 100`, run1)]));
    const columnsBefore = await warehouse.describe(project, 'orders');
    const tablesBefore = await warehouse.listTables(project);
    const markersBefore = await markers(project);

    // The source now sends invoice_date as epoch seconds, and a new column besides.
    const narrowed: ColumnSpec[] = [...COLUMNS.map((c): ColumnSpec => (c.name === 'invoice_date' ? { ...c, type: 'INT64' } : c)), { name: 'channel', type: 'STRING', nullable: true }];
    const run2 = randomUUID();
    const part = await stage(`SELECT * REPLACE (epoch(invoice_date) AS invoice_date), 'web' AS channel FROM source WHERE line > 100 AND line <= 200`, run2, narrowed);
    const error = await warehouse.load(request(project, 'orders', run2, [part], { columns: narrowed })).then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(SchemaChangeError);
    expect(error).toMatchObject({ column: 'invoice_date', from: 'DATETIME', to: 'INT64' });
    expect((error as Error).message).toMatch(/Column "invoice_date" is DATETIME in the warehouse but the source now sends INT64/);
    expect(await warehouse.describe(project, 'orders')).toEqual(columnsBefore);
    expect(await warehouse.listTables(project)).toEqual(tablesBefore);
    expect(await markers(project)).toEqual(markersBefore);
    expect(await warehouse.findLoad(project, 'orders', run2)).toBeNull();
  });

  test('keepSnapshotAs keeps the replaced table as <table>__<name>', async () => {
    const project = randomUUID();
    const v1 = await stage(`SELECT * FROM source WHERE line <= 100`, 'v1');
    const v2 = await stage(`SELECT * FROM source WHERE line > 100 AND line <= 300`, 'v2');
    const v3 = await stage(`SELECT * FROM source WHERE line > 300 AND line <= 600`, 'v3');
    const replace = (part: StagedPart, keepSnapshotAs?: string) =>
      warehouse.load(request(project, 'products', randomUUID(), [part], { mode: 'replace', ...(keepSnapshotAs ? { keepSnapshotAs } : {}) }));

    await replace(v1);
    await replace(v2, '20261122');
    expect(await warehouse.listTables(project)).toEqual([
      { name: 'products', rows: 200 },
      { name: 'products__20261122', rows: 100 },
    ]);
    expect(await warehouse.query(project, `SELECT DISTINCT _run_id FROM products__20261122`)).toEqual([{ _run_id: 'v1' }]);
    // A second replace the same day: the newer snapshot takes the name.
    await replace(v3, '20261122');
    expect(await warehouse.listTables(project)).toEqual([
      { name: 'products', rows: 300 },
      { name: 'products__20261122', rows: 200 },
    ]);
    // Without keepSnapshotAs the replaced table is dropped.
    await replace(v1);
    expect(await warehouse.listTables(project)).toEqual([
      { name: 'products', rows: 100 },
      { name: 'products__20261122', rows: 200 },
    ]);
    // A snapshot never takes the name of a table that loads commit into.
    await warehouse.load(request(project, 'products__old', randomUUID(), [v1]));
    await expect(replace(v2, 'old')).rejects.toThrow(/would keep its snapshot as products__old, but that is the destination table of another job/);
    expect(await warehouse.listTables(project)).toEqual([
      { name: 'products', rows: 100 },
      { name: 'products__20261122', rows: 200 },
      { name: 'products__old', rows: 100 },
    ]);
  });

  test('a load that fails on a bad value, or is aborted, leaves nothing behind, and the next load works', async () => {
    const project = randomUUID();
    const run1 = randomUUID();
    await warehouse.load(request(project, 'orders', run1, [await stage(`SELECT * FROM source WHERE line <= 100`, run1)]));
    const before = await tableChecksum(project, 'orders');
    const next = `SELECT * FROM source WHERE line > 100 AND line <= 200`;

    // DuckDB cannot read "many" as an INT64.
    const quantityAsText = COLUMNS.map((c): ColumnSpec => (c.name === 'quantity' ? { ...c, type: 'STRING' } : c));
    const bad1 = randomUUID();
    const part1 = await stage(`SELECT * REPLACE (CASE WHEN line = 150 THEN 'many' ELSE quantity::VARCHAR END AS quantity) FROM (${next})`, bad1, quantityAsText);
    const error1 = await warehouse.load(request(project, 'orders', bad1, [part1])).catch((e: unknown) => e);
    expect(error1).toBeInstanceOf(PermanentError);
    expect((error1 as Error).message).toMatch(new RegExp(`run ${bad1} into PostgreSQL for table orders failed: Conversion Error: Could not convert string 'many' to INT64[^\\n]*\\. Nothing was loaded\\.`));
    // PostgreSQL cannot read "not json" as JSON; the error says where.
    const bad2 = randomUUID();
    const part2 = await stage(`SELECT * REPLACE (CASE WHEN line = 150 THEN 'not json' ELSE attrs END AS attrs) FROM (${next})`, bad2);
    const error2 = await warehouse.load(request(project, 'orders', bad2, [part2])).catch((e: unknown) => e);
    expect(error2).toBeInstanceOf(PermanentError);
    expect((error2 as Error).message).toMatch(/invalid input syntax for type json \(.*COPY _recs_stage, line \d+, column attrs: "not json"\)/);
    // Aborted while it works.
    const aborted = randomUUID();
    const controller = new AbortController();
    const loading = warehouse.load(request(project, 'orders', aborted, [await stage(next, aborted)]), { signal: controller.signal });
    setImmediate(() => controller.abort());
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });

    expect(await tableChecksum(project, 'orders')).toEqual(before);
    expect((await markers(project)).map((m) => m.run_id)).toEqual([run1]);
    const run2 = randomUUID();
    expect((await warehouse.load(request(project, 'orders', run2, [await stage(next, run2)]))).marker.rowsLoaded).toBe(100);
  });

  test('names PostgreSQL would truncate or that the warehouse keeps are refused before anything is loaded', async () => {
    const project = randomUUID();
    const runId = randomUUID();
    const part = await stage(`SELECT * FROM source WHERE line <= 10`, runId);
    await expect(warehouse.load(request(project, 'x'.repeat(64), runId, [part]))).rejects.toThrow(/64 bytes long; PostgreSQL names hold at most 63/);
    await expect(warehouse.load(request(project, '_recs_loads', runId, [part]))).rejects.toThrow(/keeps for its own tables/);
    const long = [...COLUMNS, { name: 'c'.repeat(70), type: 'STRING' as const, nullable: true }];
    await expect(warehouse.load(request(project, 'orders', runId, [part], { columns: long }))).rejects.toThrow(/names must be 1 to 63 bytes/);
    await expect(warehouse.load(request(project, 'orders', runId, [{ ...part, uri: 'gs://bucket/part.parquet' }]))).rejects.toThrow(/not an absolute local path/);
    await expect(warehouse.load(request(project, 'orders', runId, [{ ...part, rows: part.rows + 1 }]))).rejects.toThrow(/hold 10 rows, but the extractor recorded 11/);
    await expect(warehouse.load(request(project, 'orders', runId, [part], { dedupe: { key: ['nope'] } }))).rejects.toThrow(/dedupe key column "nope"/);
    expect(await warehouse.listTables(project)).toEqual([]);
  });
});
