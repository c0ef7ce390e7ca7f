import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HandlerContext } from './factory.js';
import type { PingPayload, PingReply, QueueName } from './catalogue.js';

/** The ping handler every worker service runs: it answers who took the job. */
export function pingHandler(service: QueueName) {
  return async ({ payload, log }: HandlerContext<PingPayload>): Promise<PingReply> => {
    if (payload.holdMs > 0) await sleep(payload.holdMs);
    log.debug({ pingId: payload.pingId }, 'pong');
    return { service, pid: process.pid, host: os.hostname(), at: new Date().toISOString() };
  };
}
