import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { freePort, runNode, waitFor } from '../support/processes.js';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

async function recs(args: string[], vars: Record<string, string> = env.vars) {
  const proc = runNode('shared/dist/cli/recs.js', vars, args);
  const { code } = await proc.exited;
  return { code, output: proc.output() };
}

describe('the operators CLI', () => {
  test('create-tenant, then create-token prints a token that the API accepts', async () => {
    const created = await recs(['create-tenant', '--name', 'Initech', '--email', 'Boss@Initech.test', '--password', 'tps reports 4ever']);
    expect(created.code).toBe(0);
    expect(created.output).toContain('boss@initech.test');
    const issued = await recs(['create-token', '--email', 'boss@initech.test']);
    expect(issued.code).toBe(0);
    const token = issued.output.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^recs_[\w-]{43}$/);

    const port = await freePort();
    const web = runNode('services/web/dist/main.js', { ...env.vars, PORT: String(port) });
    try {
      await waitFor('the web service', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok ?? false);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/projects`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ projects: [] });
    } finally {
      web.term();
      await web.exited;
    }
  });

  test('create-user adds a viewer to a tenant named on the command line', async () => {
    await recs(['create-tenant', '--name', 'Hooli', '--email', 'gavin@hooli.test', '--password', 'nucleus nucleus']);
    const added = await recs(['create-user', '--tenant', 'Hooli', '--email', 'richard@hooli.test', '--password', 'middle out 123', '--role', 'viewer']);
    expect(added.code).toBe(0);
    expect(added.output).toContain('as viewer');
  });

  test('a missing option is named, and the command exits non-zero', async () => {
    const res = await recs(['create-tenant', '--name', 'NoMail']);
    expect(res.code).toBe(1);
    expect(res.output).toContain('--email is required');
  });

  test('migrate creates a database that does not exist yet', async () => {
    const url = new URL(env.config.databaseUrl);
    url.pathname = `${url.pathname}_fresh`;
    const res = await recs(['migrate'], { ...env.vars, DATABASE_URL: url.toString() });
    expect(res.code).toBe(0);
    expect(res.output).toContain('created database');
    expect(res.output).toContain('Migration20261122Foundation');
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: env.config.databaseUrl });
    await admin.connect();
    await admin.query(`drop database "${url.pathname.slice(1)}" with (force)`);
    await admin.end();
  });
});

describe('npm start', () => {
  test('an unreachable PostgreSQL is named with its address and how to start it; exit is non-zero', async () => {
    const port = await freePort();
    const proc = runNode('shared/dist/cli/start.js', { ...env.vars, DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x` });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output()).toContain(`PostgreSQL is not reachable at 127.0.0.1:${port}`);
    expect(proc.output()).toContain('docker compose up -d postgres');
  });

  test('an unreachable Redis is named with its address and how to start it; exit is non-zero', async () => {
    const port = await freePort();
    const proc = runNode('shared/dist/cli/start.js', { ...env.vars, REDIS_URL: `redis://127.0.0.1:${port}` });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output()).toContain(`Redis is not reachable at 127.0.0.1:${port}`);
  });

  test('brings up the login page, prints the demo login on an empty database, and stops on SIGTERM', async () => {
    const url = new URL(env.config.databaseUrl);
    url.pathname = `${url.pathname}_start`;
    const port = await freePort();
    const proc = runNode('shared/dist/cli/start.js', { ...env.vars, DATABASE_URL: url.toString(), PORT: String(port), LOG_LEVEL: 'warn' });
    try {
      await waitFor('b2b-recs is up', () => proc.output().includes('b2b-recs is up'), 60_000);
      expect(proc.output()).toMatch(/sign in as demo@example\.com \/ \S+/);
      const login = await fetch(`http://127.0.0.1:${port}/login`);
      expect(login.status).toBe(200);
      expect(await login.text()).toContain('Sign in to b2b-recs');
      proc.term();
      const exit = await proc.exited;
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeLessThan(10_000);
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      const pg = (await import('pg')).default;
      const admin = new pg.Client({ connectionString: env.config.databaseUrl });
      await admin.connect();
      await admin.query(`drop database if exists "${url.pathname.slice(1)}" with (force)`);
      await admin.end();
    }
  });
});
