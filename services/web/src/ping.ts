import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { QUEUES, type HandlerContext, type PingPayload, type PingReply } from '@b2b-recs/shared';
import type { WebDeps } from './context.js';

const WORKER_QUEUES = [QUEUES.scheduler, QUEUES.extractor, QUEUES.loader, QUEUES.trainer] as const;

/** What a finished ping reports: the web's own reply and each worker's. */
export interface PingResult extends PingReply {
  pingId: string;
  replies: PingReply[];
  ms: number;
}

/**
 * Sends a ping through every worker queue and back: a flow whose children run on the scheduler,
 * extractor, loader and trainer queues, and whose parent runs on the web queue once all are done.
 */
export async function sendPing(deps: Pick<WebDeps, 'flows' | 'webEvents'>, options: { holdMs?: number; timeoutMs?: number } = {}): Promise<PingResult> {
  const started = Date.now();
  const data: PingPayload = { v: 1, pingId: randomUUID(), holdMs: options.holdMs ?? 0 };
  const flow = await deps.flows.add({
    name: 'ping',
    queueName: QUEUES.web,
    data: { ...data, holdMs: 0 },
    children: WORKER_QUEUES.map((queueName) => ({ name: 'ping', queueName, data })),
  });
  const result = (await flow.job.waitUntilFinished(deps.webEvents, options.timeoutMs ?? 30_000)) as PingResult;
  return { ...result, ms: Date.now() - started };
}

/** The web queue's side of the ping: collects the workers' replies. */
export async function pingParentHandler({ job, payload }: HandlerContext<PingPayload>): Promise<Omit<PingResult, 'ms'>> {
  const children = (await job.getChildrenValues()) as Record<string, PingReply>;
  return {
    pingId: payload.pingId,
    service: 'web',
    pid: process.pid,
    host: os.hostname(),
    at: new Date().toISOString(),
    replies: Object.values(children).sort((a, b) => a.service.localeCompare(b.service)),
  };
}
