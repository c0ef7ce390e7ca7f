import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { api, seedMember, seedTenant, startWeb } from '../support/web.js';
import type { WebService } from '../../services/web/src/server.js';

let env: TestEnv;
let web: WebService;
let acme: Awaited<ReturnType<typeof seedTenant>>;
let globex: Awaited<ReturnType<typeof seedTenant>>;

beforeAll(async () => {
  env = await createTestEnv();
  web = await startWeb(env);
  acme = await seedTenant(env, 'Acme');
  globex = await seedTenant(env, 'Globex');
});

afterAll(async () => {
  await web?.stop();
  await env?.cleanup();
});

describe('the projects API', () => {
  test('a request without a token gets 401 with the error body', async () => {
    const res = await api(web.url)('GET', '/api/v1/projects');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(typeof res.body.error.message).toBe('string');
  });

  test('an unknown token gets 401, not the session fallback', async () => {
    const res = await api(web.url, 'recs_not-a-real-token')('GET', '/api/v1/projects');
    expect(res.status).toBe(401);
  });

  test('a tenant creates, lists, renames and deletes its projects', async () => {
    const call = api(web.url, acme.token);
    const created = await call('POST', '/api/v1/projects', { name: 'Wholesale EU', description: 'EU buyers' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/projects/${created.body.id}`);
    expect((await call('GET', '/api/v1/projects')).body.projects.map((p: { name: string }) => p.name)).toContain('Wholesale EU');
    const renamed = await call('PATCH', `/api/v1/projects/${created.body.id}`, { name: 'Wholesale Europe' });
    expect(renamed.body.name).toBe('Wholesale Europe');
    expect((await call('DELETE', `/api/v1/projects/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/projects/${created.body.id}`)).status).toBe(404);
  });

  test('a duplicate name gets 409 naming it, and an empty name 400 naming the field', async () => {
    const call = api(web.url, acme.token);
    await call('POST', '/api/v1/projects', { name: 'Retail' });
    const dup = await call('POST', '/api/v1/projects', { name: 'Retail' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toContain('Retail');
    const empty = await call('POST', '/api/v1/projects', { name: '  ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].field).toBe('name');
  });

  test('the same project name may exist in two tenants', async () => {
    expect((await api(web.url, acme.token)('POST', '/api/v1/projects', { name: 'Shared name' })).status).toBe(201);
    expect((await api(web.url, globex.token)('POST', '/api/v1/projects', { name: 'Shared name' })).status).toBe(201);
  });

  test("another tenant's project answers 404 to every verb and is left unchanged", async () => {
    const own = await api(web.url, acme.token)('POST', '/api/v1/projects', { name: 'Private' });
    const id = own.body.id as string;
    const other = api(web.url, globex.token);
    expect((await other('GET', `/api/v1/projects/${id}`)).status).toBe(404);
    expect((await other('PATCH', `/api/v1/projects/${id}`, { name: 'Stolen' })).status).toBe(404);
    expect((await other('DELETE', `/api/v1/projects/${id}`)).status).toBe(404);
    expect((await other('GET', '/api/v1/projects')).body.projects.map((p: { id: string }) => p.id)).not.toContain(id);
    const still = await api(web.url, acme.token)('GET', `/api/v1/projects/${id}`);
    expect(still.status).toBe(200);
    expect(still.body.name).toBe('Private');
  });

  test('a viewer reads projects but cannot write them', async () => {
    const viewer = await seedMember(env, acme.tenantId, 'viewer', 'viewer@acme.test');
    const project = await api(web.url, acme.token)('POST', '/api/v1/projects', { name: 'Viewed' });
    const call = api(web.url, viewer.token);
    expect((await call('GET', `/api/v1/projects/${project.body.id}`)).status).toBe(200);
    expect((await call('POST', '/api/v1/projects', { name: 'Nope' })).status).toBe(403);
    expect((await call('PATCH', `/api/v1/projects/${project.body.id}`, { name: 'Nope' })).status).toBe(403);
    expect((await call('DELETE', `/api/v1/projects/${project.body.id}`)).status).toBe(403);
    expect((await api(web.url, acme.token)('GET', `/api/v1/projects/${project.body.id}`)).body.name).toBe('Viewed');
  });

  test('an editor writes projects', async () => {
    const editor = await seedMember(env, acme.tenantId, 'editor', 'editor@acme.test');
    expect((await api(web.url, editor.token)('POST', '/api/v1/projects', { name: 'Edited' })).status).toBe(201);
  });

  test('GET /me names the user, tenant and role', async () => {
    const me = await api(web.url, globex.token)('GET', '/api/v1/me');
    expect(me.body).toMatchObject({ user: { email: globex.email }, tenant: { id: globex.tenantId, name: 'Globex' }, role: 'admin' });
  });

  test('malformed JSON and unknown routes get the JSON error body', async () => {
    const res = await fetch(`${web.url}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('invalid_request');
    const missing = await api(web.url, acme.token)('GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  test('the OpenAPI document describes every route the API serves', async () => {
    const doc = await api(web.url)('GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/admin/ping', '/me', '/projects', '/projects/{id}', '/projects/{pid}/connections', '/connections/{id}/preview']));
    expect(Object.keys(doc.body.paths['/projects/{id}']).sort()).toEqual(['delete', 'get', 'parameters', 'patch']);
  });
});
