import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalWarehouse } from '../../shared/src/warehouse/local/local-warehouse.js';
import { listVersions } from '../../shared/src/warehouse/local/table-manifest.js';
import { SchemaChangeError } from '../../shared/src/warehouse/schema-evolution.js';
import type { ColumnSpec, LoadRequest, StagedPart } from '../../shared/src/warehouse/warehouse.js';
import { startWarehouseChild } from '../support/warehouse-child-process.js';
import { fingerprintSql, RETAIL_COLUMNS, RETAIL_KEY, StagingArea, toFingerprint, type Fingerprint } from '../support/warehouse-staging.js';

let tmp: string;
let root: string;
let staging: StagingArea;
let warehouse: LocalWarehouse;
let projects = 0;
const newProject = () => `p${++projects}`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-warehouse-local-'));
  root = path.join(tmp, 'warehouse');
  await mkdir(path.join(tmp, 'staging'));
  staging = await StagingArea.open(path.join(tmp, 'staging'));
  await staging.retailSource('retail');
  warehouse = new LocalWarehouse({ root, memoryLimit: '512MB', threads: 2 });
});

afterAll(async () => {
  await warehouse?.close();
  staging?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A load request for run `runId`, with the defaults of a transactional append of Online Retail. */
function request(projectId: string, table: string, runId: string, parts: StagedPart[], extra: Partial<LoadRequest> = {}): LoadRequest {
  return { projectId, table, jobId: 'job-retail', runId, mode: 'append', columns: RETAIL_COLUMNS, parts, marker: { watermarkAfter: null }, ...extra };
}

async function tableFingerprint(projectId: string, table: string): Promise<Fingerprint> {
  return toFingerprint((await warehouse.query(projectId, fingerprintSql(`SELECT * FROM "${table}"`)))[0]);
}

async function count(projectId: string, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await warehouse.query(projectId, sql, params))[0]?.n);
}

const dataFiles = async (projectId: string, table: string) => (await readdir(path.join(root, projectId, table, 'data'))).sort();

describe('LocalWarehouse', () => {
  test('the first append creates the table from the staged columns and records the run', async () => {
    const project = newProject();
    const parts = await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 500');
    const result = await warehouse.load(request(project, 'sales', 'run-1', parts, { marker: { watermarkAfter: '2010-12-01 10:00:00' } }));

    expect(result.alreadyLoaded).toBe(false);
    expect(result.schemaChanges).toEqual([]);
    expect(result.marker).toMatchObject({ runId: 'run-1', jobId: 'job-retail', rowsLoaded: 500, watermarkAfter: '2010-12-01 10:00:00' });
    expect(await warehouse.describe(project, 'sales')).toEqual(RETAIL_COLUMNS);
    expect(await warehouse.listTables(project)).toEqual([{ name: 'sales', rows: 500 }]);
    expect(await warehouse.findLoad(project, 'sales', 'run-1')).toEqual(result.marker);
    expect(await warehouse.findLoad(project, 'sales', 'run-2')).toBeNull();
    expect(await tableFingerprint(project, 'sales')).toEqual(await staging.fingerprint('SELECT * FROM retail WHERE rn <= 500'));
    expect(await warehouse.describe(project, 'missing')).toBeNull();
    expect(await warehouse.listTables('nobody')).toEqual([]);
  });

  test('an overlapping append adds each source row exactly once: boundary rows, late rows and rows that exist twice', async () => {
    const project = newProject();
    const boundary = "TIMESTAMP '2010-12-01 12:43:00'"; // 71 rows: run 1's watermark
    const from = '2010-12-01 12:13:00'; // run 2 re-reads 30 minutes before the watermark
    // The source as it stands after both runs: the 4th row at four instants exists twice (before
    // the window, inside it, at the boundary, after it); some rows inside the window and at the
    // boundary, and one copy of a duplicate, were written after run 1 had read the source.
    await staging.run(`
      CREATE OR REPLACE TABLE overlap_source AS
      WITH r AS (SELECT *, row_number() OVER (PARTITION BY InvoiceDate ORDER BY rn) AS k FROM retail)
      SELECT r.* EXCLUDE (k), c.copy,
        (InvoiceDate = ${boundary} AND k IN (2, 3))
          OR (InvoiceDate = TIMESTAMP '2010-12-01 12:23:00' AND k = 1)
          OR (InvoiceDate = TIMESTAMP '2010-12-01 12:31:00' AND k = 4 AND c.copy = 2) AS late
      FROM r JOIN (VALUES (1), (2)) AS c(copy)
        ON c.copy = 1 OR (k = 4 AND InvoiceDate IN (TIMESTAMP '2010-12-01 08:26:00', TIMESTAMP '2010-12-01 12:31:00', ${boundary}, TIMESTAMP '2010-12-01 13:24:00'))`);
    const run1 = `SELECT * FROM overlap_source WHERE NOT late AND InvoiceDate <= ${boundary}`;
    const run2 = `SELECT * FROM overlap_source WHERE InvoiceDate >= TIMESTAMP '${from}'`;
    const [source] = await staging.run('SELECT count(*) AS n, count(*) FILTER (late) AS late FROM overlap_source');
    expect(Number(source?.n)).toBe(2004);
    expect(Number(source?.late)).toBe(4);

    const first = await warehouse.load(request(project, 'sales', 'run-1', await staging.stage('run-1', run1), { marker: { watermarkAfter: '2010-12-01 12:43:00' } }));
    const run1Rows = (await staging.fingerprint(run1)).rows;
    expect(first.marker.rowsLoaded).toBe(run1Rows);

    const second = await warehouse.load(
      request(project, 'sales', 'run-2', await staging.stage('run-2', run2, { parts: 3 }), {
        dedupe: { key: RETAIL_KEY, timestampColumn: 'InvoiceDate', from },
        marker: { watermarkAfter: '2010-12-01 14:35:00' },
      }),
    );

    const expected = await staging.fingerprint('SELECT * FROM overlap_source');
    expect(second.marker.rowsLoaded).toBe(expected.rows - run1Rows);
    expect(await tableFingerprint(project, 'sales')).toEqual(expected);
    // Rows that exist more than once (the sample has 38 such groups of its own) are there as often.
    const repeated = (from: string) =>
      `SELECT count(*) AS n FROM ${from} GROUP BY ${RETAIL_KEY.map((c) => `"${c}"`).join(', ')} HAVING count(*) > 1 ORDER BY ALL`;
    const inSource = (await staging.run(repeated('overlap_source'))).map((r) => Number(r.n));
    expect(inSource.length).toBeGreaterThan(38);
    expect((await warehouse.query(project, repeated('sales'))).map((r) => Number(r.n))).toEqual(inSource);
  });

  test('a retried load of a committed run changes nothing and answers the committed marker', async () => {
    const project = newProject();
    const parts = await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 300');
    const first = await warehouse.load(request(project, 'sales', 'run-1', parts, { marker: { watermarkAfter: 42 } }));
    const versions = await listVersions(path.join(root, project, 'sales'));
    const files = await dataFiles(project, 'sales');

    // Even with other parts (the retry staged again): the run committed, so nothing is added.
    const otherParts = await staging.stage('run-1', 'SELECT * FROM retail WHERE rn > 1000');
    const retried = await warehouse.load(request(project, 'sales', 'run-1', otherParts, { marker: { watermarkAfter: 99 } }));

    expect(retried).toEqual({ marker: first.marker, alreadyLoaded: true, schemaChanges: [] });
    expect(await listVersions(path.join(root, project, 'sales'))).toEqual(versions);
    expect(await dataFiles(project, 'sales')).toEqual(files);
    expect(await tableFingerprint(project, 'sales')).toEqual(await staging.fingerprint('SELECT * FROM retail WHERE rn <= 300'));
  });

  test('an append that adds no rows still commits the run, so its watermark can move', async () => {
    const project = newProject();
    await warehouse.load(request(project, 'sales', 'run-1', await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 100')));
    const files = await dataFiles(project, 'sales');
    const overlapOnly = await warehouse.load(
      request(project, 'sales', 'run-2', await staging.stage('run-2', 'SELECT * FROM retail WHERE rn <= 100'), { dedupe: { key: RETAIL_KEY } }),
    );
    const nothingStaged = await warehouse.load(request(project, 'sales', 'run-3', []));

    expect(overlapOnly.marker.rowsLoaded).toBe(0);
    expect(nothingStaged.marker.rowsLoaded).toBe(0);
    expect(await warehouse.findLoad(project, 'sales', 'run-3')).toEqual(nothingStaged.marker);
    expect(await dataFiles(project, 'sales')).toEqual(files);
    expect(await warehouse.listTables(project)).toEqual([{ name: 'sales', rows: 100 }]);
  });

  test('a replace is atomic for a reader in another process: it sees the old or the new rows, never none or a mix', async () => {
    const project = newProject();
    const sizes = [1000, 1500, 700, 2000, 1200, 900, 1800, 600, 1600, 1100];
    const runs: { runId: string; rows: number; parts: StagedPart[] }[] = [];
    for (const [i, rows] of sizes.entries()) {
      const runId = `catalog-${String(i).padStart(2, '0')}`;
      runs.push({ runId, rows, parts: await staging.stage(runId, `SELECT * FROM retail WHERE rn <= ${rows}`, { parts: 3 }) });
    }
    const expectedRows = new Map(runs.map((r) => [r.runId, r.rows]));
    await warehouse.load(request(project, 'catalog', runs[0]!.runId, runs[0]!.parts, { mode: 'replace' }));

    const stopFile = path.join(tmp, `${project}.stop`);
    const reader = startWarehouseChild(['read-loop', root, project, 'catalog', stopFile]);
    await reader.ready;
    for (const run of runs.slice(1)) {
      await warehouse.load(request(project, 'catalog', run.runId, run.parts, { mode: 'replace' }));
      // Old versions go while the reader reads: it must move on to the latest, not fail.
      await warehouse.vacuum(project, 'catalog', 2);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await writeFile(stopFile, '');
    const { observations, errors } = (await reader.result) as { observations: Record<string, number>; errors: string[] };

    expect(errors).toEqual([]);
    const seen = Object.keys(observations).map((key) => {
      const [rows, distinctRuns, runId] = key.split('|');
      return { rows: Number(rows), distinctRuns: Number(distinctRuns), runId: runId! };
    });
    for (const observation of seen) {
      expect(observation).toEqual({ rows: expectedRows.get(observation.runId), distinctRuns: 1, runId: observation.runId });
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(await warehouse.listTables(project)).toEqual([{ name: 'catalog', rows: sizes.at(-1) }]);
  });

  test('two processes appending different runs to the same table at the same time both land', async () => {
    const project = newProject();
    const requests: LoadRequest[][] = [[], []];
    for (let i = 0; i < 20; i++) {
      const writer = i % 2;
      const runId = `w${writer}-run-${i}`;
      const parts = await staging.stage(runId, `SELECT * FROM retail WHERE rn > ${i * 100} AND rn <= ${(i + 1) * 100}`);
      // One writer dedupes, so its rows are chosen again after each lost race (its key holds the run,
      // as the sample's own duplicate rows fall into different runs here), the other does not.
      requests[writer]!.push(request(project, 'sales', runId, parts, writer === 0 ? { dedupe: { key: ['_run_id', ...RETAIL_KEY] } } : {}));
    }
    const goFile = path.join(tmp, `${project}.go`);
    const children = requests.map(async (list, writer) => {
      const file = path.join(tmp, `${project}-writer-${writer}.json`);
      await writeFile(file, JSON.stringify(list));
      return startWarehouseChild(['load', root, file, goFile]);
    });
    const started = await Promise.all(children);
    await Promise.all(started.map((c) => c.ready));
    await writeFile(goFile, '');
    const results = (await Promise.all(started.map((c) => c.result))) as { results: { alreadyLoaded: boolean; marker: { rowsLoaded: number } }[] }[];

    expect(results.flatMap((r) => r.results.map((x) => [x.alreadyLoaded, x.marker.rowsLoaded]))).toEqual(Array(20).fill([false, 100]));
    for (const list of requests) for (const r of list) expect(await warehouse.findLoad(project, 'sales', r.runId)).not.toBeNull();
    expect(await tableFingerprint(project, 'sales')).toEqual(await staging.fingerprint('SELECT * FROM retail'));
    expect(await listVersions(path.join(root, project, 'sales'))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  test('a column added by a later load reads as null for the rows loaded before it', async () => {
    const project = newProject();
    const withoutCountry = RETAIL_COLUMNS.filter((c) => c.name !== 'Country');
    await warehouse.load(
      request(project, 'sales', 'run-1', await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 400', { columns: withoutCountry }), { columns: withoutCountry }),
    );
    const second = await warehouse.load(request(project, 'sales', 'run-2', await staging.stage('run-2', 'SELECT * FROM retail WHERE rn > 400 AND rn <= 1000')));

    expect(second.schemaChanges).toEqual([{ kind: 'added', column: 'Country', type: 'STRING' }]);
    expect((await warehouse.describe(project, 'sales'))?.map((c) => c.name)).toEqual([...withoutCountry.map((c) => c.name), 'Country']);
    expect((await warehouse.describe(project, 'sales'))?.at(-1)).toEqual({ name: 'Country', type: 'STRING', nullable: true });
    const byRun = await warehouse.query(project, 'SELECT _run_id AS run, count(*) AS n, count(Country) AS countries FROM sales GROUP BY 1 ORDER BY 1');
    expect(byRun.map((r) => [r.run, Number(r.n), Number(r.countries)])).toEqual([
      ['run-1', 400, 0],
      ['run-2', 600, 600],
    ]);
  });

  test('an INT64 column promoted to NUMERIC reads the old rows promoted, exactly', async () => {
    const project = newProject();
    await warehouse.load(request(project, 'sales', 'run-1', await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 10')));
    const numeric = RETAIL_COLUMNS.map((c): ColumnSpec => (c.name === 'Quantity' ? { ...c, type: 'NUMERIC' } : c));
    const second = await warehouse.load(
      request(project, 'sales', 'run-2', await staging.stage('run-2', 'SELECT * EXCLUDE (Quantity), Quantity + 0.25 AS Quantity FROM retail WHERE rn > 10 AND rn <= 20', { columns: numeric }), {
        columns: numeric,
      }),
    );

    expect(second.schemaChanges).toEqual([{ kind: 'promoted', column: 'Quantity', from: 'INT64', to: 'NUMERIC' }]);
    const [expected] = await staging.run('SELECT sum(Quantity)::VARCHAR AS total FROM retail WHERE rn <= 20');
    const rows = await warehouse.query(project, `SELECT typeof(Quantity) AS type, sum(Quantity) AS total, min(Quantity) FILTER (_run_id = 'run-1') AS first FROM sales GROUP BY 1`);
    expect(rows).toEqual([{ type: 'DECIMAL(38,9)', total: (Number(expected?.total) + 2.5).toFixed(9), first: expect.stringMatching(/^\d+\.000000000$/) }]);
  });

  test('a narrowing fails with a SchemaChangeError and leaves the table as it was', async () => {
    const project = newProject();
    await warehouse.load(request(project, 'sales', 'run-1', await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 50')));
    const before = { versions: await listVersions(path.join(root, project, 'sales')), files: await dataFiles(project, 'sales'), rows: await tableFingerprint(project, 'sales') };
    const epoch = RETAIL_COLUMNS.map((c): ColumnSpec => (c.name === 'InvoiceDate' ? { ...c, type: 'INT64' } : c));
    const parts = await staging.stage('run-2', 'SELECT * EXCLUDE (InvoiceDate), epoch(InvoiceDate)::BIGINT AS InvoiceDate FROM retail WHERE rn > 50 AND rn <= 80', { columns: epoch });

    const failed = warehouse.load(request(project, 'sales', 'run-2', parts, { columns: epoch }));
    await expect(failed).rejects.toThrow(SchemaChangeError);
    await expect(failed).rejects.toThrow('Column "InvoiceDate" is DATETIME in the warehouse but the source now sends INT64');
    expect(await listVersions(path.join(root, project, 'sales'))).toEqual(before.versions);
    expect(await dataFiles(project, 'sales')).toEqual(before.files);
    expect(await tableFingerprint(project, 'sales')).toEqual(before.rows);
    expect(await warehouse.describe(project, 'sales')).toEqual(RETAIL_COLUMNS);
    expect(await warehouse.findLoad(project, 'sales', 'run-2')).toBeNull();
  });

  test('keepSnapshotAs keeps the replaced rows as <table>__<name>, which outlives a vacuum of the table', async () => {
    const project = newProject();
    await warehouse.load(request(project, 'catalog', 'cat-1', await staging.stage('cat-1', 'SELECT * FROM retail WHERE rn <= 1000'), { mode: 'replace' }));
    const second = await warehouse.load(
      request(project, 'catalog', 'cat-2', await staging.stage('cat-2', 'SELECT * FROM retail WHERE rn > 1500'), { mode: 'replace', keepSnapshotAs: '2026-11-21' }),
    );

    expect(second.marker.rowsLoaded).toBe(500);
    expect(await warehouse.listTables(project)).toEqual([
      { name: 'catalog', rows: 500 },
      { name: 'catalog__2026-11-21', rows: 1000 },
    ]);
    await warehouse.vacuum(project, 'catalog', 1, { orphanGraceMs: 0 });
    expect(await tableFingerprint(project, 'catalog__2026-11-21')).toEqual(await staging.fingerprint('SELECT * FROM retail WHERE rn <= 1000'));
    expect(await tableFingerprint(project, 'catalog')).toEqual(await staging.fingerprint('SELECT * FROM retail WHERE rn > 1500'));
    expect(await warehouse.describe(project, 'catalog__2026-11-21')).toEqual(RETAIL_COLUMNS);
  });

  test('vacuum removes old versions and their files, and orphans past the grace period, never what the latest lists', async () => {
    const project = newProject();
    const table = path.join(root, project, 'sales');
    await warehouse.load(request(project, 'sales', 'run-1', await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 100'), { mode: 'replace' }));
    await warehouse.load(request(project, 'sales', 'run-2', await staging.stage('run-2', 'SELECT * FROM retail WHERE rn > 100 AND rn <= 300'), { mode: 'replace' }));
    await warehouse.load(request(project, 'sales', 'run-3', await staging.stage('run-3', 'SELECT * FROM retail WHERE rn > 300 AND rn <= 600')));
    // What loads leave: a data file no manifest lists, from a load that crashed a while ago, and
    // one being written now.
    await writeFile(path.join(table, 'data', 'part-crashed.parquet'), 'x');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await writeFile(path.join(table, 'data', '.tmp-in-flight.parquet'), 'x');

    const result = await warehouse.vacuum(project, 'sales', 1, { orphanGraceMs: 300 });

    // run-1's two staged parts became its two data files; run-2 replaced them.
    expect(result).toMatchObject({ removedManifests: 2, removedFiles: 3 });
    expect(await listVersions(table)).toEqual([3]);
    expect((await dataFiles(project, 'sales')).filter((f) => !f.startsWith('part-') || f === 'part-crashed.parquet')).toEqual(['.tmp-in-flight.parquet']);
    expect(await tableFingerprint(project, 'sales')).toEqual(await staging.fingerprint('SELECT * FROM retail WHERE rn > 100 AND rn <= 600'));
    expect(await warehouse.findLoad(project, 'sales', 'run-1')).not.toBeNull();
  });

  test('compaction rewrites many small files as one without changing rows or markers, and keeps loads committed meanwhile', async () => {
    const project = newProject();
    const slice = (i: number) => `SELECT * FROM retail WHERE rn > ${i * 100} AND rn <= ${(i + 1) * 100}`;
    for (let i = 0; i < 6; i++) await warehouse.load(request(project, 'sales', `run-${i}`, await staging.stage(`run-${i}`, slice(i))));
    const [parts6, parts7] = [await staging.stage('run-6', slice(6)), await staging.stage('run-7', slice(7))];

    const [compacted] = await Promise.all([
      warehouse.compact(project, 'sales'),
      warehouse.load(request(project, 'sales', 'run-6', parts6)),
      warehouse.load(request(project, 'sales', 'run-7', parts7, { dedupe: { key: ['_run_id', ...RETAIL_KEY] } })),
    ]);
    expect(compacted).not.toBeNull();
    expect(await warehouse.compact(project, 'sales')).toEqual({ filesBefore: expect.any(Number), filesAfter: 1 });
    await warehouse.vacuum(project, 'sales', 1, { orphanGraceMs: 0 });

    expect(await dataFiles(project, 'sales')).toHaveLength(1);
    expect(await tableFingerprint(project, 'sales')).toEqual(await staging.fingerprint('SELECT * FROM retail WHERE rn <= 800'));
    for (let i = 0; i < 8; i++) expect(await warehouse.findLoad(project, 'sales', `run-${i}`)).toMatchObject({ rowsLoaded: 100 });
    expect(await warehouse.compact(project, 'sales')).toBeNull();
  });

  test('a query binds $1-style parameters and answers exact numbers', async () => {
    const project = newProject();
    await warehouse.load(request(project, 'sales', 'run-1', await staging.stage('run-1', 'SELECT * FROM retail')));
    const sql = 'SELECT count(*) AS n FROM sales WHERE Country = $1 AND InvoiceDate >= $2';
    const [expected] = await staging.run("SELECT count(*) AS n FROM retail WHERE Country = 'France' AND InvoiceDate >= TIMESTAMP '2010-12-01 12:00:00'");

    expect(await count(project, sql, ['France', '2010-12-01 12:00:00'])).toBe(Number(expected?.n));
    expect(await count(project, sql, ['France', new Date('2010-12-01T12:00:00Z')])).toBe(Number(expected?.n));
    const [row] = await warehouse.query(project, 'SELECT sum(UnitPrice * Quantity)::DECIMAL(38,9) AS revenue, max(InvoiceDate) AS last FROM sales');
    expect(row?.revenue).toMatch(/^\d+\.\d{9}$/);
    expect(row?.last).toEqual(new Date('2010-12-01T14:35:00Z'));
  });

  test('a query is one read-only SELECT that sees only its own project', async () => {
    const mine = newProject();
    const theirs = newProject();
    await warehouse.load(request(mine, 'sales', 'run-1', await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 10')));
    await warehouse.load(request(theirs, 'secrets', 'run-1', await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 10')));
    const theirFiles = path.join(root, theirs, 'secrets', 'data', '*.parquet');

    await expect(warehouse.query(mine, 'SELECT count(*) FROM secrets')).rejects.toThrow(/secrets/);
    await expect(warehouse.query(mine, `SELECT count(*) FROM read_parquet('${theirFiles}')`)).rejects.toThrow(/Permission Error/);
    await expect(warehouse.query(mine, `SELECT * FROM read_csv('/etc/passwd')`)).rejects.toThrow(/Permission Error/);
    await expect(warehouse.query(mine, `COPY sales TO '${path.join(root, mine, 'sales', 'data', 'x.parquet')}'`)).rejects.toThrow('must be a read-only SELECT');
    await expect(warehouse.query(mine, 'SELECT 1; SELECT 2')).rejects.toThrow('exactly one SELECT');
    await expect(warehouse.query(mine, "SET enable_external_access = true")).rejects.toThrow();
    expect(await count(mine, 'SELECT count(*) AS n FROM sales')).toBe(10);
  });

  test('a load without a dedupe links the staged parts in as the table\'s files, uncopied; the table keeps them when staging is cleaned', async () => {
    const project = newProject();
    const parts = await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 300', { parts: 3 });
    await warehouse.load(request(project, 'sales', 'run-1', parts, { mode: 'replace' }));

    const files = (await dataFiles(project, 'sales')).map((f) => path.join(root, project, 'sales', 'data', f));
    const inodes = async (paths: string[]) => (await Promise.all(paths.map((p) => stat(p)))).map((s) => s.ino).sort();
    expect(await inodes(files)).toEqual(await inodes(parts.map((p) => p.uri)));
    await Promise.all(parts.map((p) => rm(p.uri)));
    expect(await tableFingerprint(project, 'sales')).toEqual(await staging.fingerprint('SELECT * FROM retail WHERE rn <= 300'));
  });

  test('a staged part that is not what the extraction recorded fails the load, which commits nothing', async () => {
    const project = newProject();
    const parts = await staging.stage('run-1', 'SELECT * FROM retail WHERE rn <= 100');
    const miscounted = parts.map((p, i) => (i === 0 ? { ...p, rows: p.rows + 1 } : p));
    await expect(warehouse.load(request(project, 'sales', 'run-1', miscounted))).rejects.toThrow(/holds \d+ rows .* where the extraction recorded \d+ rows/);
    expect(await warehouse.describe(project, 'sales')).toBeNull();
    expect(await dataFiles(project, 'sales')).toEqual([]);
  });

  test('an aborted load commits nothing', async () => {
    const project = newProject();
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const parts = await staging.stage('run-1', 'SELECT * FROM retail');
    await expect(warehouse.load(request(project, 'sales', 'run-1', parts), { signal: controller.signal })).rejects.toThrow('shutting down');
    expect(await warehouse.describe(project, 'sales')).toBeNull();
    expect(await dataFiles(project, 'sales')).toEqual([]);
  });

  test('names that could leave the warehouse folder are refused', async () => {
    await expect(warehouse.describe('../etc', 'sales')).rejects.toThrow('is not a project id');
    await expect(warehouse.describe('p1', '../../x')).rejects.toThrow('is not a table name');
    const parts: StagedPart[] = [{ uri: 'gs://bucket/part-0.parquet', rows: 1, bytes: 1 }];
    await expect(warehouse.load(request('p1', 'gcs', 'run-1', parts))).rejects.toThrow('cannot read');
  });
});
