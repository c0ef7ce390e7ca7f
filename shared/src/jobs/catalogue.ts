import { z } from 'zod';

/**
 * Every queue of the platform: one per service, split by resource profile (the extractor and loader
 * are I/O bound, the trainer CPU bound). Nobody types a queue name anywhere else.
 */
export const QUEUES = {
  web: 'web',
  scheduler: 'scheduler',
  extractor: 'extractor',
  loader: 'loader',
  trainer: 'trainer',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUES);

/**
 * A ping proves a queue and its worker are alive. Sent as a flow: one child per worker queue,
 * and the parent on the web queue runs once every child is done, so the ping goes out and back.
 */
export const pingPayload = z.object({
  v: z.literal(1),
  pingId: z.string().min(1),
  /** Keeps the handler busy this long; used to prove a graceful shutdown does not lose a job. */
  holdMs: z.number().int().min(0).max(60_000).default(0),
});
export type PingPayload = z.infer<typeof pingPayload>;

/** What a ping handler answers: who took the job, and when. */
export interface PingReply {
  service: QueueName;
  pid: number;
  host: string;
  at: string;
}

/** A stage of an ETL run: the run id is all a worker needs; everything else is in the database. */
export const runPayload = z.object({ v: z.literal(1), runId: z.uuid() });
export type RunPayload = z.infer<typeof runPayload>;

/** The job names each queue carries, and the schema of each job's payload. */
export const JOBS = {
  web: { ping: pingPayload },
  scheduler: { ping: pingPayload },
  extractor: { ping: pingPayload, extract: runPayload },
  loader: { ping: pingPayload, load: runPayload },
  trainer: { ping: pingPayload },
} as const satisfies Record<QueueName, Record<string, z.ZodType>>;

export type JobName<Q extends QueueName> = keyof (typeof JOBS)[Q] & string;
export type JobPayload<Q extends QueueName, N extends JobName<Q>> = z.infer<(typeof JOBS)[Q][N]>;
