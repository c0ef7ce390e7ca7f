import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  createConnection,
  createEtlJob,
  createProject,
  createTenant,
  openWarehouse,
  startRun,
  cancelRun,
  listRejectedRows,
  type Scope,
  type Warehouse,
} from '@b2b-recs/shared';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { createSourceDatabase, startEtlWorkers, waitForRun, type EtlWorkers } from '../support/etl.js';

/** A watermark's instant, whatever ISO 8601 form it was written in. */
const instant = (value: string | undefined) => (value ? new Date(value).toISOString() : value);

/** The same engine tests run against each warehouse. */
describe.each(['local', 'postgres'] as const)('the ETL engine into the %s warehouse', (kind) => {
  let env: TestEnv;
  let workers: EtlWorkers;
  let warehouse: Warehouse;
  let source: Awaited<ReturnType<typeof createSourceDatabase>>;
  let scope: Scope;
  let projectId: string;
  let connectionId: string;

  beforeAll(async () => {
    env = await createTestEnv();
    if (kind === 'postgres') {
      env = { ...env, config: { ...env.config, warehouseUrl: env.config.databaseUrl } };
    }
    source = await createSourceDatabase(env);
    await source.client.query(`create table events (
      id bigint primary key, customer_id int not null, stock_code text, quantity int, price numeric(10,2),
      ts timestamptz not null, country text)`);
    await source.client.query(`insert into events
      select i, 1000 + i % 97, 'SKU' || (i % 311), 1 + i % 12, (i % 500) / 7.0, timestamptz '2011-01-01 00:00:00+00' + i * interval '1 minute', case when i % 3 = 0 then 'United Kingdom' else 'France' end
        from generate_series(1, 5000) as i`);
    const em = env.orm.em.fork();
    const { tenantId, userId } = await createTenant(em, { name: 'Acme', email: 'etl@acme.test', password: 'long enough password' });
    scope = { tenantId, userId, role: 'admin' };
    projectId = (await createProject(em, scope, { name: 'ETL' })).id;
    const url = new URL(source.url);
    workers = await startEtlWorkers(env);
    const connectionDeps = {
      secrets: workers.pipeline.secrets,
      sourceDeps: { localFilesRoot: env.config.sources.localFilesRoot },
      allowLinkLocal: false,
    };
    const { connection } = await createConnection(em, scope, projectId, {
      name: 'Source',
      type: 'postgresql',
      config: { host: url.hostname, port: Number(url.port || 5432), database: source.name, user: 'postgres', sslMode: 'disable' },
    }, connectionDeps);
    connectionId = connection.id;
    warehouse = await openWarehouse(env.config);
  }, 60_000);

  afterAll(async () => {
    await workers?.stop();
    await warehouse?.close();
    await source?.drop();
    await env?.cleanup();
  });

  test('a CSV file job loads the good lines and lists the malformed ones; over maxBadRows it loads nothing', async () => {
    const em = env.orm.em.fork();
    const connectionDeps = { secrets: workers.pipeline.secrets, sourceDeps: { localFilesRoot: env.config.sources.localFilesRoot }, allowLinkLocal: false };
    const dir = path.join(env.config.sources.localFilesRoot, 'drops');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'orders.csv'), [
      'order_id,customer,amount,placed_at',
      '1,A-1,10.50,2011-01-01 10:00:00',
      '2,A-2,11.00,2011-01-01 11:00:00',
      '3,A-3,not-a-number,2011-01-01 12:00:00',
      '4,A-4,12.25',
      '5,A-5,14.00,2011-01-01 14:00:00',
      // By CSV's own rules an unclosed quote runs on into the next line, so it comes last here.
      '6,A-6,"13.00,2011-01-01 13:00:00',
    ].join('\n') + '\n');
    const { connection } = await createConnection(em, scope, projectId, { name: `Drops ${kind}`, type: 'local_files', config: { path: 'drops' } }, connectionDeps);
    const base = { connectionId: connection.id, source: { path: 'orders.csv', format: 'csv' }, columns: ['order_id', 'customer', { name: 'amount', type: 'NUMERIC' }, 'placed_at'], loadType: 'catalog' };
    const strict = await createEtlJob(em, scope, projectId, { ...base, name: 'Strict CSV', destinationTable: 'orders_strict', maxBadRows: 0 }, connectionDeps);
    const queues = workers.pipeline.queues;
    const failed = await waitForRun(env.orm, (await startRun(em, scope, strict.id, queues)).id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ stage: 'extract', code: 'too_many_bad_rows' });
    expect((await warehouse.listTables(projectId)).map((t) => t.name)).not.toContain('orders_strict');

    const lenient = await createEtlJob(em, scope, projectId, { ...base, name: 'Lenient CSV', destinationTable: 'orders_lenient', maxBadRows: 5 }, connectionDeps);
    const ok = await waitForRun(env.orm, (await startRun(em, scope, lenient.id, queues)).id);
    expect(ok.status).toBe('succeeded');
    expect(ok.rowsLoaded).toBe(3);
    expect(ok.rowsRejected).toBe(3);
    const rejected = await listRejectedRows(env.orm.em.fork(), scope, ok.id);
    expect(rejected.map((r) => r.line).sort()).toEqual([4, 5, 7]);
    expect(rejected.find((r) => r.line === 4)).toMatchObject({ file: 'orders.csv', column: 'amount', value: expect.stringContaining('not-a-number') });
    expect(rejected.find((r) => r.line === 5)!.reason).toContain('3 fields where 4 are expected');
    const [sum] = await warehouse.query(projectId, 'select sum(order_id) as s from orders_lenient');
    expect(Number(sum!.s)).toBe(1 + 2 + 5);
  });

  test('a transactional file job loads only the files it has not loaded before', async () => {
    const em = env.orm.em.fork();
    const connectionDeps = { secrets: workers.pipeline.secrets, sourceDeps: { localFilesRoot: env.config.sources.localFilesRoot }, allowLinkLocal: false };
    const dir = path.join(env.config.sources.localFilesRoot, 'daily');
    await mkdir(dir, { recursive: true });
    const day = (d: number, ids: number[]) => writeFile(path.join(dir, `sales-2011-01-0${d}.csv`), ['id,amount', ...ids.map((i) => `${i},${i}.5`)].join('\n') + '\n');
    await day(1, [1, 2, 3]);
    await day(2, [4, 5]);
    const { connection } = await createConnection(em, scope, projectId, { name: `Daily ${kind}`, type: 'local_files', config: { path: 'daily' } }, connectionDeps);
    const job = await createEtlJob(em, scope, projectId, {
      name: 'Daily sales',
      connectionId: connection.id,
      source: { path: '', pattern: 'sales-*.csv', format: 'csv' },
      columns: ['id', 'amount'],
      loadType: 'transactional',
      destinationTable: 'daily_sales',
    }, connectionDeps);
    const queues = workers.pipeline.queues;
    const first = await waitForRun(env.orm, (await startRun(em, scope, job.id, queues)).id);
    expect(first).toMatchObject({ status: 'succeeded', rowsLoaded: 5, filesProcessed: 2 });
    await day(3, [6, 7]);
    const second = await waitForRun(env.orm, (await startRun(em, scope, job.id, queues)).id);
    expect(second).toMatchObject({ status: 'succeeded', rowsLoaded: 2, filesProcessed: 1 });
    const nothing = await waitForRun(env.orm, (await startRun(em, scope, job.id, queues)).id);
    expect(nothing).toMatchObject({ status: 'succeeded', rowsLoaded: 0, filesProcessed: 0 });
    const [row] = await warehouse.query(projectId, 'select count(*) as n, sum(id) as s from daily_sales');
    expect({ n: Number(row!.n), s: Number(row!.s) }).toEqual({ n: 7, s: 28 });
  });

  async function checksum(): Promise<{ n: number; ids: number }> {
    const { rows } = await source.client.query('select count(*)::int as n, coalesce(sum(id), 0)::float8 as ids from events');
    return rows[0];
  }

  async function landed(table: string): Promise<{ n: number; ids: number; distinct: number }> {
    const [row] = await warehouse.query(projectId, `select count(*) as n, coalesce(sum(id), 0) as ids, count(distinct id) as d from ${table}`);
    return { n: Number(row!.n), ids: Number(row!.ids), distinct: Number(row!.d) };
  }

  test('a transactional job run twice, with boundary and late rows between, lands every row exactly once', async () => {
    const em = env.orm.em.fork();
    const connectionDeps = { secrets: workers.pipeline.secrets, sourceDeps: { localFilesRoot: '' }, allowLinkLocal: false };
    const job = await createEtlJob(em, scope, projectId, {
      name: 'Events',
      connectionId,
      source: { schema: 'public', table: 'events' },
      columns: ['id', 'customer_id', 'stock_code', 'quantity', 'price', 'ts', 'country'],
      loadType: 'transactional',
      timestampColumn: 'ts',
      primaryKey: ['id'],
      backfill: { all: true },
      lookbackSeconds: 3600,
    }, connectionDeps);
    const queues = workers.pipeline.queues;
    const first = await waitForRun(env.orm, (await startRun(em, scope, job.id, queues)).id);
    expect(first.status).toBe('succeeded');
    const before = await checksum();
    expect(await landed('events')).toEqual({ n: before.n, ids: before.ids, distinct: before.n });
    expect(instant(first.watermarkAfter?.value)).toBe('2011-01-04T11:20:00.000Z');

    // New rows: three at exactly the watermark, two late (older than it, inside the look-back), and new ones.
    await source.client.query(`insert into events values
      (10001, 1, 'B1', 1, 1, '2011-01-04 11:20:00+00', 'X'), (10002, 1, 'B2', 1, 1, '2011-01-04 11:20:00+00', 'X'), (10003, 1, 'B3', 1, 1, '2011-01-04 11:20:00+00', 'X'),
      (10004, 2, 'L1', 1, 1, '2011-01-04 10:50:00+00', 'Y'), (10005, 2, 'L2', 1, 1, '2011-01-04 11:19:59+00', 'Y'),
      (10006, 3, 'N1', 1, 1, '2011-01-05 00:00:00+00', 'Z'), (10007, 3, 'N2', 1, 1, '2011-01-06 00:00:00+00', 'Z')`);
    const second = await waitForRun(env.orm, (await startRun(em, scope, job.id, queues)).id);
    expect(second.status).toBe('succeeded');
    expect(instant(second.watermarkBefore?.value)).toBe('2011-01-04T11:20:00.000Z');
    expect(instant(second.watermarkAfter?.value)).toBe('2011-01-06T00:00:00.000Z');
    const after = await checksum();
    expect(await landed('events')).toEqual({ n: after.n, ids: after.ids, distinct: after.n });
  });

  test('a catalog job replaces its table with the snapshot, and a cancelled run leaves it as it was', async () => {
    const em = env.orm.em.fork();
    const connectionDeps = { secrets: workers.pipeline.secrets, sourceDeps: { localFilesRoot: '' }, allowLinkLocal: false };
    const job = await createEtlJob(em, scope, projectId, {
      name: 'Catalog',
      connectionId,
      source: { schema: 'public', table: 'events' },
      columns: ['id', 'stock_code', 'price'],
      loadType: 'catalog',
      destinationTable: 'catalog',
    }, connectionDeps);
    const queues = workers.pipeline.queues;
    expect((await waitForRun(env.orm, (await startRun(em, scope, job.id, queues)).id)).status).toBe('succeeded');
    await source.client.query('delete from events where id > 4000');
    expect((await waitForRun(env.orm, (await startRun(em, scope, job.id, queues)).id)).status).toBe('succeeded');
    const now = await checksum();
    expect(await landed('catalog')).toEqual({ n: now.n, ids: now.ids, distinct: now.n });

    await source.client.query('delete from events where id > 3000');
    const run = await startRun(em, scope, job.id, queues);
    await cancelRun(em.fork(), scope, run.id, queues);
    expect((await waitForRun(env.orm, run.id)).status).toBe('cancelled');
    expect((await landed('catalog')).n).toBe(now.n);
  });

  test('a connection used by ETL jobs cannot be deleted, and the refusal names them', async () => {
    const { deleteConnection } = await import('@b2b-recs/shared');
    const connectionDeps = { secrets: workers.pipeline.secrets, sourceDeps: { localFilesRoot: '' }, allowLinkLocal: false };
    await expect(deleteConnection(env.orm.em.fork(), scope, connectionId, connectionDeps)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('Events') });
  });
});
