import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createOrm, ensureDatabase, migrate, parseConfig, type Config, type Orm } from '@b2b-recs/shared';

/** The machine's services, overridable for another machine. */
export const SERVER_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** An isolated environment for one test file: its own database, queue prefix and data folder. */
export interface TestEnv {
  config: Config;
  /** The variables a child process needs to see the same environment. */
  vars: Record<string, string>;
  orm: Orm;
  cleanup(): Promise<void>;
}

/** Creates a fresh, migrated database and a unique queue prefix; `cleanup` removes both. */
export async function createTestEnv(extra: Record<string, string> = {}): Promise<TestEnv> {
  const id = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'recs-test-'));
  const url = new URL(SERVER_DATABASE_URL);
  url.pathname = `/recs_${id}`;
  const vars: Record<string, string> = {
    DATABASE_URL: url.toString(),
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `test-${id}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    ...extra,
  };
  const config = parseConfig(vars);
  await ensureDatabase(config.databaseUrl);
  const orm = createOrm(config.databaseUrl);
  await migrate(orm);
  return {
    config,
    vars,
    orm,
    async cleanup() {
      await orm.close();
      await dropDatabase(config.databaseUrl);
      await deleteRedisKeys(TEST_REDIS_URL, config.redis.prefix);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

/** Deletes every key under a prefix (queues, sessions, rate-limit counters). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
