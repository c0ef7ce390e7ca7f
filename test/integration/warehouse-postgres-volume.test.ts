import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { DuckDBInstance } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DUCKDB_TYPES } from '../../shared/src/warehouse/physical-types.js';
import { PostgresWarehouse } from '../../shared/src/warehouse/postgres/postgres-warehouse.js';
import type { ColumnSpec, LoadRequest, StagedPart } from '../../shared/src/warehouse/warehouse.js';
import { REPO } from '../support/processes.js';
import { createTestEnv, type TestEnv } from '../support/test-env.js';

const SAMPLE = path.join(REPO, 'test/fixtures/files/online_retail_sample.csv');
const ROWS = 500_000;
const COPIES = ROWS / 2000;

const COLUMNS: ColumnSpec[] = [
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
  { name: '_extracted_at', type: 'TIMESTAMP', nullable: false },
  { name: '_run_id', type: 'STRING', nullable: false },
];

let env: TestEnv;
let warehouse: PostgresWarehouse;
let tmp: string;
let parts: StagedPart[];

beforeAll(async () => {
  env = await createTestEnv();
  warehouse = new PostgresWarehouse({ url: env.config.databaseUrl });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-pg-volume-'));
  // 500,000 rows: the retail sample 250 times, a day apart, staged as two parts as the extractor would.
  const duckdb = await DuckDBInstance.create(':memory:');
  const duck = await duckdb.connect();
  try {
    const select = COLUMNS.map((c) => `CAST(${c.name} AS ${DUCKDB_TYPES[c.type]}) AS ${c.name}`).join(', ');
    await duck.run(`
      CREATE TABLE rows AS SELECT ${select}, copy FROM (
        SELECT InvoiceNo AS invoice_no, StockCode AS stock_code, Description AS description, Quantity AS quantity,
          CAST(InvoiceDate AS TIMESTAMP) + to_days(CAST(copy AS INTEGER)) AS invoice_date, UnitPrice AS unit_price, CustomerID AS customer_id,
          Country AS country, starts_with(InvoiceNo, 'C') AS cancelled, json_object('country', Country, 'copy', copy)::VARCHAR AS attrs,
          TIMESTAMPTZ '2026-11-22 10:00:00+00' AS _extracted_at, 'volume' AS _run_id, copy
        FROM read_csv('${SAMPLE}', header = true, all_varchar = true), range(${COPIES}) AS copies(copy))`);
    parts = [];
    for (const half of [0, 1]) {
      const uri = path.join(tmp, `part-${half}.parquet`);
      await duck.run(`COPY (SELECT * EXCLUDE (copy) FROM rows WHERE copy % 2 = ${half}) TO '${uri}' (FORMAT parquet)`);
      parts.push({ uri, rows: ROWS / 2, bytes: (await stat(uri)).size });
    }
  } finally {
    duck.closeSync();
    duckdb.closeSync();
  }
}, 120_000);

afterAll(async () => {
  await warehouse?.close();
  await env?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function request(projectId: string, extra: Partial<LoadRequest> = {}): LoadRequest {
  return { projectId, table: 'orders', jobId: 'job-volume', runId: randomUUID(), mode: 'append', columns: COLUMNS, parts, marker: { watermarkAfter: null }, ...extra };
}

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`${what}: ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return result;
}

test('500,000 rows: an append, the same rows read again with a dedupe, and a replace (timings printed, not asserted)', async () => {
  const project = randomUUID();
  const bytes = parts.reduce((sum, part) => sum + part.bytes, 0);
  console.log(`staged: ${ROWS} rows in ${parts.length} Parquet parts, ${(bytes / 1e6).toFixed(1)} MB`);

  const append = await timed(`append of ${ROWS} rows into a new table`, () => warehouse.load(request(project)));
  expect(append.marker.rowsLoaded).toBe(ROWS);

  // Every source column is the key and the window is everything: the worst case of an overlap re-read.
  const dedupe = { key: COLUMNS.slice(0, -2).map((c) => c.name), timestampColumn: 'invoice_date', from: '2010-12-01T00:00:00' };
  const again = await timed(`append of the same ${ROWS} rows with a dedupe over all columns (none new)`, () => warehouse.load(request(project, { dedupe })));
  expect(again.marker.rowsLoaded).toBe(0);

  const replace = await timed(`replace of a ${ROWS}-row table by ${ROWS} rows`, () => warehouse.load(request(project, { mode: 'replace' })));
  expect(replace.marker.rowsLoaded).toBe(ROWS);
  expect(await warehouse.listTables(project)).toEqual([{ name: 'orders', rows: ROWS }]);
}, 300_000);
