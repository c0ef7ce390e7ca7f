import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  createConnection,
  createEtlJob,
  createProject,
  createTenant,
  openPipeline,
  openWarehouse,
  startRun,
  type FailpointName,
  type PipelineContext,
  type Scope,
  type Warehouse,
} from '@b2b-recs/shared';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { createSourceDatabase, waitForRun } from '../support/etl.js';
import { freePort, runNode, type Proc } from '../support/processes.js';

/**
 * Workers die at the worst moments (a failpoint kills the process as SIGKILL would) and BullMQ
 * retries their job on a fresh worker: every source row must still land exactly once, and the
 * watermark must never pass a row that is not in the warehouse.
 */
describe.each(['local', 'postgres'] as const)('crashes during a run, into the %s warehouse', (kind) => {
  let env: TestEnv;
  let pipeline: PipelineContext;
  let warehouse: Warehouse;
  let source: Awaited<ReturnType<typeof createSourceDatabase>>;
  let scope: Scope;
  let projectId: string;
  let connectionId: string;
  const procs: Proc[] = [];

  async function worker(service: 'extractor' | 'loader', failpoint?: FailpointName): Promise<Proc> {
    const proc = runNode(`services/${service}/dist/main.js`, {
      ...env.vars,
      QUEUE_LOCK_MS: '1500',
      HEALTH_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      ...(failpoint ? { RECS_FAILPOINT: failpoint } : {}),
    });
    procs.push(proc);
    return proc;
  }

  beforeAll(async () => {
    env = await createTestEnv();
    if (kind === 'postgres') {
      env = { ...env, config: { ...env.config, warehouseUrl: env.config.databaseUrl }, vars: { ...env.vars, WAREHOUSE_URL: env.config.databaseUrl } };
    }
    source = await createSourceDatabase(env);
    await source.client.query(`create table orders (id bigint primary key, customer_id int not null, amount numeric(12,2), ts timestamptz not null)`);
    await source.client.query(`insert into orders select i, i % 211, (i % 1000) / 3.0, timestamptz '2011-06-01 00:00:00+00' + i * interval '7 seconds' from generate_series(1, 30000) i`);
    const em = env.orm.em.fork();
    const { tenantId, userId } = await createTenant(em, { name: 'Crash', email: 'crash@acme.test', password: 'long enough password' });
    scope = { tenantId, userId, role: 'admin' };
    projectId = (await createProject(em, scope, { name: 'Crash' })).id;
    pipeline = await openPipeline(env.config, env.orm);
    const url = new URL(source.url);
    const { connection } = await createConnection(em, scope, projectId, {
      name: 'Orders DB',
      type: 'postgresql',
      config: { host: url.hostname, port: Number(url.port || 5432), database: source.name, user: 'postgres', sslMode: 'disable' },
    }, { secrets: pipeline.secrets, sourceDeps: { localFilesRoot: '' }, allowLinkLocal: false });
    connectionId = connection.id;
    warehouse = await openWarehouse(env.config);
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await pipeline?.close();
    await warehouse?.close();
    await source?.drop();
    await env?.cleanup();
  });

  async function job(name: string) {
    return createEtlJob(env.orm.em.fork(), scope, projectId, {
      name,
      connectionId,
      source: { schema: 'public', table: 'orders' },
      columns: ['id', 'customer_id', 'amount', 'ts'],
      loadType: 'transactional',
      timestampColumn: 'ts',
      primaryKey: ['id'],
      backfill: { all: true },
      destinationTable: name,
    }, { secrets: pipeline.secrets, sourceDeps: { localFilesRoot: '' }, allowLinkLocal: false });
  }

  async function sourceSums() {
    const { rows } = await source.client.query('select count(*)::int as n, sum(id)::float8 as ids, sum(amount)::float8 as amount, max(ts) as max from orders');
    return rows[0] as { n: number; ids: number; amount: number; max: Date };
  }

  async function landed(table: string) {
    const [row] = await warehouse.query(projectId, `select count(*) as n, sum(id) as ids, sum(amount) as amount, count(distinct id) as d from ${table}`);
    return { n: Number(row!.n), ids: Number(row!.ids), amount: Number(row!.amount), distinct: Number(row!.d) };
  }

  test.each([
    ['the extractor dies while reading', 'extractor', 'extract:after-progress'],
    ['the extractor dies after staging, before queuing the load', 'extractor', 'extract:before-queuing-load'],
    ['the loader dies before the warehouse commit', 'loader', 'load:before-warehouse-commit'],
    ['the loader dies between the warehouse commit and the metadata update', 'loader', 'load:after-warehouse-commit'],
  ] as const)('%s: a retry lands every row exactly once and the watermark matches', async (_what, victim, point) => {
    const table = point.replace(/\W+/g, '_');
    const theJob = await job(table);
    const doomed = await worker(victim, point);
    const other = await worker(victim === 'extractor' ? 'loader' : 'extractor');
    const run = await startRun(env.orm.em.fork(), scope, theJob.id, pipeline.queues);
    const death = await doomed.exited;
    expect(death.signal).toBe('SIGKILL');
    const survivor = await worker(victim);
    const done = await waitForRun(env.orm, run.id, 60_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    const src = await sourceSums();
    const got = await landed(table);
    expect(got).toEqual({ n: src.n, ids: src.ids, amount: src.amount, distinct: src.n });
    expect(new Date(done.watermarkAfter!.value).toISOString()).toBe(src.max.toISOString());
    for (const p of [other, survivor]) {
      p.term();
      await p.exited;
    }
  }, 90_000);
});
