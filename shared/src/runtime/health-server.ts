import http from 'node:http';
import type { Registry } from 'prom-client';

/** A check a health probe runs: resolves when the dependency answers. */
export type HealthCheck = () => Promise<unknown>;

/**
 * A tiny HTTP server for a worker service: `/healthz` (liveness: the process answers),
 * `/readyz` (readiness: PostgreSQL and Redis answer) and `/metrics` (Prometheus).
 */
export function startHealthServer(port: number, registry: Registry, checks: Record<string, HealthCheck>): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const url = req.url?.split('?')[0];
    if (url === '/healthz') return send(res, 200, { status: 'ok' });
    if (url === '/readyz') {
      const result = await runChecks(checks);
      return send(res, result.ok ? 200 : 503, result);
    }
    if (url === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      return res.end(await registry.metrics());
    }
    send(res, 404, { error: { code: 'not_found', message: `${url} is not served here` } });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

/** Runs each check with a 2 s limit; reports each one's state. */
export async function runChecks(checks: Record<string, HealthCheck>): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const out: Record<string, string> = {};
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2_000).unref())]);
        out[name] = 'ok';
      } catch (error) {
        out[name] = (error as Error).message;
      }
    }),
  );
  return { ok: Object.values(out).every((v) => v === 'ok'), checks: out };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
