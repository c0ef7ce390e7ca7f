import pg from 'pg';
import type { Worker } from 'bullmq';
import {
  Connection,
  EtlRun,
  QUEUES,
  TERMINAL_STATUSES,
  createLogger,
  createWorker,
  extractRun,
  isFinalAttempt,
  loadRun,
  openPipeline,
  pingHandler,
  type IEtlRun,
  type Orm,
  type PipelineContext,
  type Scope,
} from '@b2b-recs/shared';
import type { TestEnv } from './test-env.js';
import { waitFor } from './processes.js';

/** Extractor and loader workers running in this process, against the test's queues and warehouse. */
export interface EtlWorkers {
  pipeline: PipelineContext;
  workers: Worker[];
  stop(): Promise<void>;
}

export async function startEtlWorkers(env: TestEnv, orm: Orm = env.orm): Promise<EtlWorkers> {
  const log = createLogger('test', 'silent');
  const pipeline = await openPipeline(env.config, orm);
  const conn = env.config.redis;
  const workers = [
    createWorker(QUEUES.extractor, {
      ping: pingHandler('extractor'),
      extract: ({ job, payload }) => extractRun(pipeline.deps(log), payload.runId, { final: isFinalAttempt(job) }),
    }, { conn, log }),
    createWorker(QUEUES.loader, {
      ping: pingHandler('loader'),
      load: ({ job, payload }) => loadRun(pipeline.deps(log), payload.runId, { final: isFinalAttempt(job) }),
    }, { conn, log }),
  ];
  return {
    pipeline,
    workers,
    async stop() {
      await Promise.all(workers.map((w) => w.close()));
      await pipeline.close();
    },
  };
}

/** Waits until a run has ended, and returns it. */
export async function waitForRun(orm: Orm, runId: string, timeoutMs = 60_000): Promise<IEtlRun> {
  let run: IEtlRun | null = null;
  await waitFor(`run ${runId} to end`, async () => {
    run = await orm.em.fork().findOne(EtlRun, { id: runId });
    return !!run && TERMINAL_STATUSES.includes(run.status);
  }, timeoutMs);
  return run!;
}

/** A scratch PostgreSQL database for a test's own source tables (which tests change). */
export async function createSourceDatabase(env: TestEnv): Promise<{ url: string; client: pg.Client; name: string; drop(): Promise<void> }> {
  const url = new URL(env.config.databaseUrl);
  const name = `${url.pathname.slice(1)}_src`;
  const admin = new pg.Client({ connectionString: env.config.databaseUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    url: url.toString(),
    client,
    name,
    async drop() {
      await client.end();
      const a = new pg.Client({ connectionString: env.config.databaseUrl });
      await a.connect();
      await a.query(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

export type { Scope, Connection };
