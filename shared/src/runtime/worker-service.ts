import type { Server } from 'node:http';
import type { Queue, Worker } from 'bullmq';
import { loadConfig, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { createOrm, type Orm } from '../db/orm.js';
import { createQueue, createRedis, createWorker, type HandlerMap } from '../jobs/factory.js';
import type { QueueName } from '../jobs/catalogue.js';
import { startHealthServer } from './health-server.js';
import { onShutdown } from './shutdown.js';
import { checkPostgres, checkRedis } from './preflight.js';
import { SERVICE_HEALTH_PORTS, type WorkerServiceName } from './service-ports.js';

/** What a worker service's handlers may use. */
export interface WorkerDeps {
  config: Config;
  log: Logger;
  orm: Orm;
  /** Registers something to close on shutdown, after the worker has stopped taking jobs. */
  onClose(close: () => Promise<unknown>): void;
}

/** A running worker service, for tests that start one in-process. */
export interface RunningWorkerService {
  worker: Worker;
  health: Server;
  stop(): Promise<void>;
}

/**
 * Time a closing worker waits for its current job before handing it back. A job handed back keeps
 * its lock until the lock expires, then BullMQ moves it as stalled to another worker: it is retried,
 * not lost.
 */
const FINISH_WAIT_MS = 6_000;

/**
 * Runs one worker service: checks PostgreSQL and Redis, consumes its queue with the given
 * handlers, serves health and metrics, and shuts down gracefully on SIGTERM.
 */
export async function runWorkerService<Q extends QueueName & WorkerServiceName>(
  name: Q,
  handlers: (deps: WorkerDeps) => HandlerMap<Q> | Promise<HandlerMap<Q>>,
  options: { installSignalHandlers?: boolean; healthPort?: number } = {},
): Promise<RunningWorkerService> {
  const config = loadConfig();
  const log = createLogger(name, config.logLevel);
  try {
    await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redis.url)]);
  } catch (error) {
    log.fatal((error as Error).message);
    throw error;
  }
  const metrics = createMetrics(name);
  const orm = createOrm(config.databaseUrl);
  const redis = createRedis(config.redis.url);
  const queue: Queue = createQueue(name, config.redis, redis);
  metrics.watchQueues([queue]);
  const closers: (() => Promise<unknown>)[] = [];
  const map = await handlers({ config, log, orm, onClose: (close) => closers.push(close) });
  const worker = createWorker(name, map, { conn: config.redis, log, hooks: metrics.hooks });
  worker.on('error', (err) => log.error({ err }, 'worker error'));
  const port = options.healthPort ?? config.healthPort ?? SERVICE_HEALTH_PORTS[name];
  const health = await startHealthServer(port, metrics.registry, {
    postgres: () => orm.em.getConnection().execute('select 1'),
    redis: () => redis.ping(),
  });
  log.info({ queue: name, port }, `${name} ready`);

  const steps = [
    { name: 'worker', run: () => closeWorker(worker, log) },
    { name: 'health', run: () => new Promise<void>((resolve) => health.close(() => resolve())) },
    { name: 'resources', run: () => Promise.all(closers.map((close) => close())) },
    { name: 'queue', run: async () => { await queue.close(); redis.disconnect(); } },
    { name: 'database', run: () => orm.close() },
  ];
  if (options.installSignalHandlers ?? true) onShutdown(log, steps);
  return {
    worker,
    health,
    async stop() {
      for (const step of steps) await step.run();
    },
  };
}

/** Stops taking jobs and lets the current one finish; past the wait, hands it back. */
export async function closeWorker(worker: Worker, log: Logger, waitMs = FINISH_WAIT_MS): Promise<void> {
  const closing = worker.close();
  const finished = await Promise.race([closing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref())]);
  if (!finished) {
    log.warn({ waitMs }, 'the current job did not finish in time; handing it back to the queue');
    await worker.close(true);
  }
}
