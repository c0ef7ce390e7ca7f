import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalWarehouse } from '../../shared/src/warehouse/local/local-warehouse.js';
import type { LoadRequest, StagedPart } from '../../shared/src/warehouse/warehouse.js';
import { fingerprintSql, RETAIL_COLUMNS, RETAIL_KEY, RETAIL_PARQUET, StagingArea, toFingerprint } from '../support/warehouse-staging.js';

let tmp: string;
let staging: StagingArea;
let warehouse: LocalWarehouse;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-warehouse-volume-'));
  await mkdir(path.join(tmp, 'staging'));
  staging = await StagingArea.open(path.join(tmp, 'staging'));
  await staging.retailSource('retail', RETAIL_PARQUET);
  warehouse = new LocalWarehouse({ root: path.join(tmp, 'warehouse'), memoryLimit: '1GB', threads: 2 });
});

afterAll(async () => {
  await warehouse?.close();
  staging?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const request = (runId: string, parts: StagedPart[], extra: Partial<LoadRequest> = {}): LoadRequest => ({
  projectId: 'volume',
  table: 'sales',
  jobId: 'job-retail',
  runId,
  mode: 'append',
  columns: RETAIL_COLUMNS,
  parts,
  marker: { watermarkAfter: null },
  ...extra,
});

async function timed<T>(what: string, timings: string[], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  timings.push(`${what}: ${Math.round(performance.now() - started)} ms`);
  return result;
}

test('the whole Online Retail set lands exactly once through a 500,000-row append and an overlapping deduped append (timings printed)', async () => {
  const timings: string[] = [];
  const [boundary] = await staging.run('SELECT InvoiceDate::VARCHAR AS t FROM retail WHERE rn = 31283');
  const from = String(boundary?.t);
  const run1 = await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 500000', { parts: 4 });
  const run2 = await staging.stage('run-2', `SELECT * FROM retail WHERE InvoiceDate >= TIMESTAMP '${from}'`, { parts: 4 });

  const first = await timed('append of 500,000 rows (new table)', timings, () => warehouse.load(request('run-1', run1)));
  const staged2 = run2.reduce((sum, p) => sum + p.rows, 0);
  const second = await timed(`deduped append of ${staged2} rows against the table's ${first.marker.rowsLoaded}`, timings, () =>
    warehouse.load(request('run-2', run2, { dedupe: { key: RETAIL_KEY, timestampColumn: 'InvoiceDate', from } })),
  );

  const expected = await staging.fingerprint('SELECT * FROM retail');
  expect(first.marker.rowsLoaded).toBe(500_000);
  expect(second.marker.rowsLoaded).toBe(expected.rows - 500_000);
  const actual = await timed('query: count and checksum of every row', timings, async () =>
    toFingerprint((await warehouse.query('volume', fingerprintSql('SELECT * FROM sales')))[0]),
  );
  expect(actual).toEqual(expected);

  for (let i = 0; i < 3; i++) await timed(`query: count(*) #${i + 1}`, timings, () => warehouse.query('volume', 'SELECT count(*) AS n FROM sales'));
  const byCountry = await timed('query: revenue by country', timings, () =>
    warehouse.query('volume', 'SELECT Country, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY 1 ORDER BY 2 DESC'),
  );
  expect(byCountry.length).toBeGreaterThan(30);
  await timed('query: one customer ($1)', timings, () => warehouse.query('volume', 'SELECT * FROM sales WHERE CustomerID = $1', [17850]));
  console.log(`local warehouse timings (threads 2, memory 1GB):\n  ${timings.join('\n  ')}`);
}, 180_000);
