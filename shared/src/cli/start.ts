#!/usr/bin/env node
/**
 * `npm start`: the local stack. Checks PostgreSQL and Redis, creates and migrates the database,
 * creates a demo tenant on a database that has none, then runs the five services as separate
 * processes and stops them together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDotEnv, loadConfig, ConfigError } from '../config/config.js';
import { createOrm, ensureDatabase, migrate } from '../db/orm.js';
import { createTenant, hasTenants } from '../accounts/accounts.js';
import { checkPostgres, checkRedis, UnreachableError } from '../runtime/preflight.js';
import { SERVICE_NAMES } from '../runtime/service-ports.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function prepare(): Promise<string | undefined> {
  const config = loadConfig();
  await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redis.url)]);
  await ensureDatabase(config.databaseUrl);
  const orm = createOrm(config.databaseUrl);
  try {
    await migrate(orm);
    const em = orm.em.fork();
    if (await hasTenants(em)) return undefined;
    const password = randomBytes(9).toString('base64url');
    await createTenant(em, { name: 'Demo', email: 'demo@example.com', password, userName: 'Demo admin' });
    return `demo@example.com / ${password}`;
  } finally {
    await orm.close();
  }
}

async function waitForWeb(url: string, children: ChildProcess[]): Promise<boolean> {
  for (let i = 0; i < 120; i++) {
    if (children.some((c) => c.exitCode !== null)) return false;
    try {
      if ((await fetch(`${url}/healthz`)).ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  return false;
}

async function main(): Promise<void> {
  loadDotEnv();
  let demoLogin: string | undefined;
  try {
    demoLogin = await prepare();
  } catch (error) {
    if (error instanceof UnreachableError || error instanceof ConfigError) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const config = loadConfig();
  const children = SERVICE_NAMES.map((name) => {
    const child = spawn(process.execPath, [path.join(repo, 'services', name, 'dist', 'main.js')], { stdio: 'inherit', env: process.env });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        console.error(`the ${name} service exited (${signal ?? code}); stopping the others`);
        void stop(1);
      }
    });
    return child;
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const local = `http://127.0.0.1:${config.web.port}`;
  if (await waitForWeb(local, children)) {
    console.log(`\n  b2b-recs is up: ${config.web.publicUrl}`);
    if (demoLogin) console.log(`  a demo tenant was created; sign in as ${demoLogin}`);
    console.log(`  queues: ${config.web.publicUrl}/admin/queues   (Ctrl+C stops everything)\n`);
  } else if (!stopping) {
    console.error(`the web service did not answer at ${local}/healthz; see its log above`);
    await stop(1);
  }
}

await main();
