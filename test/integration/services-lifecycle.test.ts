import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  QUEUES,
  createFlowProducer,
  createQueue,
  createQueueEvents,
  type PingReply,
  type WorkerServiceName,
} from '@b2b-recs/shared';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { api, seedTenant } from '../support/web.js';
import { freePort, runNode, waitFor, waitForOk, type Proc } from '../support/processes.js';

const WORKERS: WorkerServiceName[] = ['scheduler', 'extractor', 'loader', 'trainer'];

let env: TestEnv;
let webUrl: string;
const procs = new Map<string, { proc: Proc; healthUrl: string }>();

async function startService(name: string): Promise<void> {
  const port = await freePort();
  const vars = { ...env.vars, LOG_LEVEL: 'info', ...(name === 'web' ? { PORT: String(port) } : { HEALTH_PORT: String(port) }) };
  const proc = runNode(`services/${name}/dist/main.js`, vars);
  const healthUrl = `http://127.0.0.1:${port}`;
  await waitForOk(`${healthUrl}/readyz`, proc);
  procs.set(name, { proc, healthUrl });
}

beforeAll(async () => {
  env = await createTestEnv();
  await Promise.all(['web', ...WORKERS].map(startService));
  webUrl = procs.get('web')!.healthUrl;
});

afterAll(async () => {
  for (const { proc } of procs.values()) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  await env?.cleanup();
});

describe('the five services as separate processes', () => {
  test('a ping goes from web through every worker queue and back', async () => {
    const { token } = await seedTenant(env, 'Pinger');
    const res = await api(webUrl, token)('POST', '/api/v1/admin/ping');
    expect(res.status).toBe(200);
    const replies = res.body.replies as PingReply[];
    expect(replies.map((r) => r.service)).toEqual(['extractor', 'loader', 'scheduler', 'trainer']);
    for (const reply of replies) expect(reply.pid).toBe(procs.get(reply.service)!.proc.child.pid);
    expect(res.body.pid).toBe(procs.get('web')!.proc.child.pid);
  });

  test('only an admin may send a ping', async () => {
    const res = await api(webUrl)('POST', '/api/v1/admin/ping');
    expect(res.status).toBe(401);
  });

  test('each service serves Prometheus metrics with its queue depth and job counts', async () => {
    const text = await (await fetch(`${procs.get('extractor')!.healthUrl}/metrics`)).text();
    expect(text).toMatch(/recs_queue_depth\{queue="extractor",state="waiting",service="extractor"\} \d+/);
    expect(text).toMatch(/recs_jobs_total\{queue="extractor",job="ping",outcome="completed",service="extractor"\} [1-9]/);
    expect(text).toContain('recs_job_duration_seconds_bucket');
  });

  test.each(WORKERS)('SIGTERM to the %s finishes the ping in flight, then exits 0 within 10 s', async (name) => {
    const flows = createFlowProducer(env.config.redis);
    const events = createQueueEvents(QUEUES.web, env.config.redis);
    const queue = createQueue(name, env.config.redis);
    try {
      const data = { v: 1 as const, pingId: randomUUID(), holdMs: 0 };
      const flow = await flows.add({
        name: 'ping',
        queueName: QUEUES.web,
        data,
        children: WORKERS.map((q) => ({ name: 'ping', queueName: q, data: { ...data, holdMs: q === name ? 2_500 : 0 } })),
      });
      await waitFor(`the ${name} to take the ping`, async () => (await queue.getActiveCount()) === 1);
      const { proc } = procs.get(name)!;
      const pid = proc.child.pid;
      proc.term();
      const exit = await proc.exited;
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeLessThan(10_000);
      const result = (await flow.job.waitUntilFinished(events, 15_000)) as { replies: PingReply[] };
      expect(result.replies.find((r) => r.service === name)?.pid).toBe(pid);
    } finally {
      await Promise.all([flows.close(), events.close(), queue.close()]);
      await startService(name);
    }
  });

  test('SIGTERM to the web service exits 0 within 10 s', async () => {
    const { proc } = procs.get('web')!;
    proc.term();
    const exit = await proc.exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(10_000);
  });
});
