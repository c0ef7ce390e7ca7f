import pg from 'pg';
import { Redis } from 'ioredis';
import { redactUrl } from '../db/orm.js';

/** Thrown when a service this process needs cannot be reached; the message says how to start it. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

function address(raw: string, defaultPort: number): string {
  try {
    const url = new URL(raw);
    return `${url.hostname || '127.0.0.1'}:${url.port || defaultPort}`;
  } catch {
    return raw;
  }
}

/** Connects to PostgreSQL's server (the `postgres` database) once, or explains how to start one. */
export async function checkPostgres(databaseUrl: string, timeoutMs = 5_000): Promise<void> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const cause = (error as { code?: string; message: string }).code ?? (error as Error).message;
    throw new UnreachableError(
      `PostgreSQL is not reachable at ${address(databaseUrl, 5432)} (${cause}; DATABASE_URL=${redactUrl(databaseUrl)}).\n` +
        '  Start one with `docker compose up -d postgres`, or the system package\n' +
        '  (Debian: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`), or set DATABASE_URL.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Pings Redis once, or explains how to start it. */
export async function checkRedis(redisUrl: string, timeoutMs = 5_000): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new UnreachableError(
      `Redis is not reachable at ${address(redisUrl, 6379)} (${(error as Error).message}; REDIS_URL=${redactUrl(redisUrl)}).\n` +
        '  Start one with `docker compose up -d redis`, or the system package\n' +
        '  (`redis-server --daemonize yes --bind 127.0.0.1 --port 6379`), or set REDIS_URL.',
    );
  } finally {
    redis.disconnect();
  }
}
