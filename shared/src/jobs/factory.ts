import os from 'node:os';
import { FlowProducer, Queue, QueueEvents, Worker, type ConnectionOptions, type Job, type JobsOptions, type WorkerOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { JOBS, type JobName, type JobPayload, type QueueName } from './catalogue.js';
import { PermanentError } from './errors.js';

/** The defaults every job gets: attempts, exponential backoff with jitter, bounded retention. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
};

/** Where queues live: the Redis URL and the key prefix. */
export interface QueueConnection {
  url: string;
  prefix: string;
  /** A worker's lock on its job; a dead worker's job is retried after about this long. @defaultValue 30 000 */
  lockMs?: number;
}

/**
 * A Redis connection for BullMQ. Workers block on Redis, so their connections must never give up
 * on a command (`maxRetriesPerRequest: null`); producers fail fast instead.
 */
export function createRedis(url: string, role: 'producer' | 'worker' = 'producer', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    ...extra,
  });
}

/**
 * Connection options parsed from a Redis URL. BullMQ closes the connections it creates from
 * options, but never one handed to it as an instance, so workers and queue events get options.
 */
export function redisOptions(url: string, role: 'producer' | 'worker' = 'worker'): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
  };
}

/**
 * A queue with the platform's defaults. Given a shared connection, closing the queue leaves it
 * open for its owner; without one, the queue owns (and closes) its own.
 */
export function createQueue(name: QueueName, conn: QueueConnection, shared?: Redis): Queue {
  return new Queue(name, { connection: shared ?? redisOptions(conn.url, 'producer'), prefix: conn.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
}

/** Queue events, to await a job's end (`job.waitUntilFinished`). */
export function createQueueEvents(name: QueueName, conn: QueueConnection): QueueEvents {
  return new QueueEvents(name, { connection: redisOptions(conn.url), prefix: conn.prefix });
}

/** A flow producer (parent and child jobs across queues) with the platform's defaults. */
export function createFlowProducer(conn: QueueConnection, shared?: Redis): FlowProducer {
  return new FlowProducer({ connection: shared ?? redisOptions(conn.url, 'producer'), prefix: conn.prefix });
}

/** A parsed job, as its handler sees it. */
export interface HandlerContext<P> {
  job: Job;
  payload: P;
  log: Logger;
}

/** One handler for every job name of a queue: the compiler notices a job without one. */
export type HandlerMap<Q extends QueueName> = {
  [N in JobName<Q>]: (ctx: HandlerContext<JobPayload<Q, N>>) => Promise<unknown>;
};

/** Hooks a worker calls around each job, for metrics. */
export interface WorkerHooks {
  onStart?(queue: QueueName, job: Job): void;
  onEnd?(queue: QueueName, job: Job, outcome: 'completed' | 'failed', seconds: number): void;
}

/**
 * A worker for one queue, dispatching by job name. It checks at start that every job of the queue
 * has exactly one handler, parses each payload first, and fails a payload it cannot parse for good:
 * a job can outlive the code that queued it.
 */
export function createWorker<Q extends QueueName>(
  queue: Q,
  handlers: HandlerMap<Q>,
  deps: { conn: QueueConnection; log: Logger; hooks?: WorkerHooks; options?: Partial<WorkerOptions> },
): Worker {
  const schemas = JOBS[queue] as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { message: string } } }>;
  const expected = Object.keys(schemas).sort();
  const given = Object.keys(handlers).sort();
  if (expected.join() !== given.join()) {
    throw new Error(`Queue "${queue}" has jobs [${expected.join(', ')}] but handlers for [${given.join(', ')}]`);
  }
  const table = handlers as Record<string, (ctx: HandlerContext<unknown>) => Promise<unknown>>;
  const worker = new Worker(
    queue,
    async (job) => {
      const schema = schemas[job.name];
      const handler = table[job.name];
      if (!schema || !handler) throw new PermanentError(`No handler for job "${job.name}" on queue "${queue}"`, 'unknown_job');
      const parsed = schema.safeParse(job.data);
      if (!parsed.success) {
        throw new PermanentError(`Job ${job.id} (${job.name}) has a payload this version cannot read: ${parsed.error?.message}`, 'invalid_payload');
      }
      const log = deps.log.child({ queue, jobId: job.id, job: job.name, attempt: job.attemptsMade + 1 });
      const started = process.hrtime.bigint();
      deps.hooks?.onStart?.(queue, job);
      try {
        const result = await handler({ job, payload: parsed.data, log });
        deps.hooks?.onEnd?.(queue, job, 'completed', Number(process.hrtime.bigint() - started) / 1e9);
        return result;
      } catch (error) {
        deps.hooks?.onEnd?.(queue, job, 'failed', Number(process.hrtime.bigint() - started) / 1e9);
        log.warn({ err: error }, 'job failed');
        throw error;
      }
    },
    {
      connection: redisOptions(deps.conn.url),
      prefix: deps.conn.prefix,
      concurrency: 1,
      ...(deps.conn.lockMs ? { lockDuration: deps.conn.lockMs, stalledInterval: deps.conn.lockMs } : {}),
      name: `${queue}@${os.hostname()}:${process.pid}`,
      ...deps.options,
    },
  );
  return worker;
}
