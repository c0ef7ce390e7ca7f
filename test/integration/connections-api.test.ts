import { readdir } from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { api, seedMember, seedTenant } from '../support/web.js';
import { ensurePagila, ensureSakila, MARIADB, PAGILA_DB, SAKILA_DB } from '../support/fixtures.js';
import { startPasswordPostgres, type PasswordPostgres } from '../support/password-postgres.js';
import { freePort, REPO, runNode, waitForOk, type Proc } from '../support/processes.js';

const SAKILA_USER = 'recs_reader';
const SAKILA_PASSWORD = 'Sakila-Reader-Pass-7';

let env: TestEnv;
let web: Proc;
let url: string;
let pgpw: PasswordPostgres;
let acme: Awaited<ReturnType<typeof seedTenant>>;
let projectId: string;
/** Every response body the tests received, to check that no secret ever came back. */
const bodies: string[] = [];

function call(token: string) {
  const send = api(url, token);
  return async (method: string, p: string, body?: unknown) => {
    const res = await send(method, p, body);
    bodies.push(JSON.stringify(res.body ?? ''));
    return res;
  };
}

const pagila = (extra: Record<string, unknown> = {}) => ({
  type: 'postgresql',
  config: { host: '127.0.0.1', port: 5432, database: PAGILA_DB, user: 'postgres', sslMode: 'disable', ...extra },
  credentials: {},
});

beforeAll(async () => {
  await Promise.all([ensurePagila(), ensureSakila()]);
  const admin = await mysql.createConnection(MARIADB);
  await admin.query(`create user if not exists '${SAKILA_USER}'@'%' identified by '${SAKILA_PASSWORD}'`);
  await admin.query(`create user if not exists '${SAKILA_USER}'@'localhost' identified by '${SAKILA_PASSWORD}'`);
  await admin.query(`grant select on ${SAKILA_DB}.* to '${SAKILA_USER}'@'%'`);
  await admin.query(`grant select on ${SAKILA_DB}.* to '${SAKILA_USER}'@'localhost'`);
  await admin.end();
  pgpw = await startPasswordPostgres();
  env = await createTestEnv({ LOCAL_FILES_ROOT: path.join(REPO, 'test', 'fixtures') });
  const port = await freePort();
  // A real web process with verbose logs, so the test can read every line it writes.
  web = runNode('services/web/dist/main.js', { ...env.vars, PORT: String(port), LOG_LEVEL: 'trace' });
  url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/readyz`, web);
  acme = await seedTenant(env, 'Acme');
  projectId = (await call(acme.token)('POST', '/api/v1/projects', { name: 'Connections' })).body.id;
}, 120_000);

afterAll(async () => {
  web?.term();
  await web?.exited;
  await pgpw?.stop();
  await env?.cleanup();
});

describe('testing settings before saving', () => {
  const testBody = (body: unknown) => call(acme.token)('POST', `/api/v1/projects/${projectId}/connections/test`, body);

  test('PostgreSQL with Pagila answers ok with a latency', async () => {
    const res = await testBody(pagila());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, latencyMs: expect.any(Number) });
  });

  test('a wrong password, a missing database, a closed port and a wrong port each get their own code', async () => {
    const pw = { type: 'postgresql', config: { host: '127.0.0.1', port: pgpw.port, database: 'postgres', user: pgpw.user, sslMode: 'disable' } };
    const wrongPassword = await testBody({ ...pw, credentials: { password: 'not-the-password' } });
    expect(wrongPassword.body.error).toMatchObject({ code: 'auth_failed', hint: expect.stringContaining('password') });
    expect((await testBody({ ...pw, credentials: { password: pgpw.password } })).body.ok).toBe(true);
    const missingDb = await testBody(pagila({ database: 'no_such_db' }));
    expect(missingDb.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('no_such_db') });
    const closed = await testBody(pagila({ port: await freePort() }));
    expect(closed.body.error).toMatchObject({ code: 'unreachable', hint: expect.stringContaining('5432') });
    // MariaDB's port speaks another protocol: the PostgreSQL client cannot finish its handshake.
    const wrongPort = await testBody(pagila({ port: 3306 }));
    expect(wrongPort.body.ok).toBe(false);
    expect(wrongPort.body.error.code).not.toBe('auth_failed');
  });

  test('MariaDB with Sakila: the right and a wrong password, a missing database, a closed port', async () => {
    const sakila = (password: string, extra: Record<string, unknown> = {}) => ({
      type: 'mysql',
      config: { host: '127.0.0.1', port: 3306, database: SAKILA_DB, user: SAKILA_USER, ...extra },
      credentials: { password },
    });
    expect((await testBody(sakila(SAKILA_PASSWORD))).body.ok).toBe(true);
    expect((await testBody(sakila('wrong'))).body.error.code).toBe('auth_failed');
    expect((await testBody(sakila(SAKILA_PASSWORD, { database: 'nope_db' }))).body.error.code).toMatch(/not_found|permission_denied/);
    expect((await testBody({ ...sakila('', { user: 'root', database: 'nope_db' }) })).body.error.code).toBe('not_found');
    expect((await testBody(sakila(SAKILA_PASSWORD, { port: await freePort() }))).body.error.code).toBe('unreachable');
  });

  test('a host that is a cloud metadata address is refused before any connection is made', async () => {
    const res = await testBody(pagila({ host: '169.254.169.254' }));
    expect(res.body.error).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('metadata') });
  });

  test('missing settings are named field by field', async () => {
    const res = await testBody({ type: 'postgresql', config: { port: 'x' } });
    expect(res.status).toBe(400);
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['config.host', 'config.port', 'config.database', 'config.user']));
  });
});

describe('saved connections', () => {
  test('saving tests first: a failing test saves nothing and answers 422 with the test', async () => {
    const c = call(acme.token);
    const res = await c('POST', `/api/v1/projects/${projectId}/connections`, { name: 'Broken', ...pagila({ database: 'gone' }) });
    expect(res.status).toBe(422);
    expect(res.body.error.details.test.error.code).toBe('not_found');
    const list = await c('GET', `/api/v1/projects/${projectId}/connections`);
    expect(list.body.connections.map((x: { name: string }) => x.name)).not.toContain('Broken');
  });

  test('a saved connection is green, its name unique in the project (409 naming the existing one)', async () => {
    const c = call(acme.token);
    const created = await c('POST', `/api/v1/projects/${projectId}/connections`, { name: 'Pagila', ...pagila() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Pagila', type: 'postgresql', status: 'ok', description: `127.0.0.1:5432/${PAGILA_DB}`, lastTestedAt: expect.any(String) });
    const dup = await c('POST', `/api/v1/projects/${projectId}/connections`, { name: 'Pagila', ...pagila() });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toContain('"Pagila"');
    expect(dup.body.error.details.existing.id).toBe(created.body.id);
  });

  test('discovery: schemas, tables with row counts (partitions under their parent), and a typed preview', async () => {
    const c = call(acme.token);
    const { body: conn } = await c('POST', `/api/v1/projects/${projectId}/connections`, { name: 'Pagila discovery', ...pagila() });
    expect((await c('GET', `/api/v1/connections/${conn.id}/schemas`)).body.schemas).toContain('public');
    const tables = (await c('GET', `/api/v1/connections/${conn.id}/schemas/public/tables`)).body.tables as { name: string; rowCount: number; kind: string; sizeBytes: number }[];
    const rental = tables.find((t) => t.name === 'rental')!;
    expect(rental.kind).toBe('table');
    expect(rental.rowCount).toBeGreaterThan(15_000);
    expect(rental.sizeBytes).toBeGreaterThan(0);
    expect(tables.map((t) => t.name)).toContain('payment');
    expect(tables.map((t) => t.name)).not.toContain('payment_p2022_01');
    expect(tables.find((t) => t.name === 'actor_info')?.kind).toBe('view');

    const preview = await c('GET', `/api/v1/connections/${conn.id}/preview?schema=public&table=rental&limit=10`);
    expect(preview.status).toBe(200);
    expect(preview.body.rows).toHaveLength(10);
    const col = (name: string) => preview.body.columns.find((x: { name: string }) => x.name === name);
    expect(col('rental_id')).toMatchObject({ primaryKey: true, nullable: false, suggested: { type: 'INT64' } });
    expect(col('rental_date')).toMatchObject({ sourceType: 'timestamp with time zone', timestampCandidate: true, suggested: { type: 'TIMESTAMP' } });
    expect(col('rental_date').samples).toHaveLength(5);
    expect(col('return_date').nullable).toBe(true);

    const film = await c('GET', `/api/v1/connections/${conn.id}/preview?schema=public&table=film`);
    const filmCol = (name: string) => film.body.columns.find((x: { name: string }) => x.name === name);
    expect(filmCol('rating').suggested.type).toBe('STRING');
    expect(filmCol('special_features').suggested).toMatchObject({ type: 'JSON', repeated: true });
    expect(filmCol('rental_rate').suggested.type).toBe('NUMERIC');
    expect(filmCol('fulltext').suggested.type).toBe('STRING');

    const gone = await c('GET', `/api/v1/connections/${conn.id}/preview?schema=public&table=vanished`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toContain('public.vanished');
    const refreshed = await c('GET', `/api/v1/connections/${conn.id}`);
    expect(refreshed.body.lastUsedAt).not.toBeNull();
  });

  test('MariaDB discovery: Sakila tables and its unsigned, enum, set and year columns', async () => {
    const c = call(acme.token);
    const { body: conn, status } = await c('POST', `/api/v1/projects/${projectId}/connections`, {
      name: 'Sakila',
      type: 'mysql',
      config: { host: '127.0.0.1', port: 3306, database: SAKILA_DB, user: SAKILA_USER },
      credentials: { password: SAKILA_PASSWORD },
    });
    expect(status).toBe(201);
    expect((await c('GET', `/api/v1/connections/${conn.id}/schemas`)).body.schemas).toContain(SAKILA_DB);
    const tables = (await c('GET', `/api/v1/connections/${conn.id}/schemas/${SAKILA_DB}/tables`)).body.tables as { name: string; rowCount: number }[];
    expect(tables.find((t) => t.name === 'rental')!.rowCount).toBeGreaterThan(10_000);
    const film = await c('GET', `/api/v1/connections/${conn.id}/preview?schema=${SAKILA_DB}&table=film`);
    const col = (name: string) => film.body.columns.find((x: { name: string }) => x.name === name);
    expect(col('film_id')).toMatchObject({ primaryKey: true, suggested: { type: 'INT64' } });
    expect(col('rating').suggested.type).toBe('STRING');
    expect(col('special_features').suggested.type).toBe('STRING');
    expect(col('release_year').suggested.type).toBe('INT64');
    expect(col('last_update')).toMatchObject({ suggested: { type: 'TIMESTAMP' }, timestampCandidate: true });
  });

  test('local files: a CSV under the operator root is listed and previewed with inferred types', async () => {
    const c = call(acme.token);
    const { body: conn, status } = await c('POST', `/api/v1/projects/${projectId}/connections`, { name: 'Files', type: 'local_files', config: { path: 'files' } });
    expect(status).toBe(201);
    const files = (await c('GET', `/api/v1/connections/${conn.id}/files?pattern=*.csv`)).body.files as { path: string; format: string }[];
    const sample = files.find((f) => f.path.endsWith('online_retail_sample.csv'))!;
    expect(sample.format).toBe('csv');
    const preview = await c('GET', `/api/v1/connections/${conn.id}/preview?path=${encodeURIComponent(sample.path)}`);
    expect(preview.status).toBe(200);
    const col = (name: string) => preview.body.columns.find((x: { name: string }) => x.name === name);
    expect(col('InvoiceDate').suggested.type).toBe('DATETIME');
    expect(col('StockCode').suggested.type).toBe('STRING');
    expect(preview.body.csv).toMatchObject({ delimiter: ',', header: true });
  });
});

describe('credentials are write-only', () => {
  test('editing keeps the stored secret unless a new one is given; a failing edit changes nothing', async () => {
    const c = call(acme.token);
    const config = { host: '127.0.0.1', port: pgpw.port, database: 'postgres', user: pgpw.user, sslMode: 'disable' };
    const { body: conn } = await c('POST', `/api/v1/projects/${projectId}/connections`, { name: 'Guarded', type: 'postgresql', config, credentials: { password: pgpw.password } });
    expect(conn.hasCredentials).toBe(true);
    const renamed = await c('PATCH', `/api/v1/connections/${conn.id}`, { name: 'Guarded PG' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Guarded PG', status: 'ok', usedBy: { count: 0, jobs: [] } });
    const bad = await c('PATCH', `/api/v1/connections/${conn.id}`, { name: 'Should not stick', credentials: { password: 'wrong-one' } });
    expect(bad.status).toBe(422);
    expect((await c('GET', `/api/v1/connections/${conn.id}`)).body.name).toBe('Guarded PG');
    expect((await c('POST', `/api/v1/connections/${conn.id}/test`)).body.ok).toBe(true);
  });

  test('status: a refused password turns it red; an unreachable server yellow, keeping the last status visible', async () => {
    const c = call(acme.token);
    const local = await startPasswordPostgres();
    try {
      const config = { host: '127.0.0.1', port: local.port, database: 'postgres', user: local.user, sslMode: 'disable' };
      const { body: conn } = await c('POST', `/api/v1/projects/${projectId}/connections`, { name: 'Flaky', type: 'postgresql', config, credentials: { password: local.password } });
      await local.setPassword('Rotated-elsewhere-9');
      const refused = await c('POST', `/api/v1/connections/${conn.id}/test`);
      expect(refused.body).toMatchObject({ ok: false, error: { code: 'auth_failed' }, connection: { status: 'failed' } });
      await c('PATCH', `/api/v1/connections/${conn.id}`, { credentials: { password: 'Rotated-elsewhere-9' } });
      await local.stop();
      const down = await c('POST', `/api/v1/connections/${conn.id}/test`);
      expect(down.body).toMatchObject({ ok: false, error: { code: 'unreachable' }, connection: { status: 'error', previousStatus: 'ok' } });
    } finally {
      await local.stop();
    }
  });

  test('deleting a connection removes its secret', async () => {
    const c = call(acme.token);
    const { body: conn } = await c('POST', `/api/v1/projects/${projectId}/connections`, {
      name: 'Short-lived',
      type: 'mysql',
      config: { host: '127.0.0.1', port: 3306, database: SAKILA_DB, user: SAKILA_USER },
      credentials: { password: SAKILA_PASSWORD },
    });
    const secrets = path.join(env.config.dataDir, 'secrets');
    expect((await readdir(secrets)).some((f) => f.includes(conn.id))).toBe(true);
    expect((await c('DELETE', `/api/v1/connections/${conn.id}`)).status).toBe(204);
    expect((await readdir(secrets)).some((f) => f.includes(conn.id))).toBe(false);
    expect((await c('GET', `/api/v1/connections/${conn.id}`)).status).toBe(404);
  });

  test("another tenant's connection answers 404 to every verb; a viewer cannot create one", async () => {
    const own = (await call(acme.token)('GET', `/api/v1/projects/${projectId}/connections`)).body.connections[0];
    const globex = await seedTenant(env, 'Globex');
    const other = call(globex.token);
    for (const [method, p] of [
      ['GET', `/api/v1/connections/${own.id}`],
      ['PATCH', `/api/v1/connections/${own.id}`],
      ['DELETE', `/api/v1/connections/${own.id}`],
      ['POST', `/api/v1/connections/${own.id}/test`],
      ['GET', `/api/v1/connections/${own.id}/schemas`],
      ['GET', `/api/v1/connections/${own.id}/preview?schema=public&table=rental`],
      ['GET', `/api/v1/projects/${projectId}/connections`],
    ] as const) {
      expect({ method, p, status: (await other(method, p, method === 'PATCH' ? { name: 'x' } : undefined)).status }).toEqual({ method, p, status: 404 });
    }
    const viewer = await seedMember(env, acme.tenantId, 'viewer', 'viewer@acme.test');
    expect((await call(viewer.token)('POST', `/api/v1/projects/${projectId}/connections`, { name: 'V', ...pagila() })).status).toBe(403);
    expect((await call(viewer.token)('GET', `/api/v1/projects/${projectId}/connections`)).status).toBe(200);
  });

  test('no API response and no log line contains a saved secret', async () => {
    const secrets = [SAKILA_PASSWORD, 'not-the-password', 'wrong-one', 'Rotated-elsewhere-9', 'Initial-pass-0'];
    const logs = web.output();
    expect(logs.length).toBeGreaterThan(1_000);
    for (const secret of secrets) {
      expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
      expect(logs.includes(secret)).toBe(false);
    }
  });
});
