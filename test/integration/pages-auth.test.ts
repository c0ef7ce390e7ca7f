import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { api, BrowserClient, seedMember, seedTenant, startWeb } from '../support/web.js';
import type { WebService } from '../../services/web/src/server.js';

let env: TestEnv;
let web: WebService;
let acme: Awaited<ReturnType<typeof seedTenant>>;

beforeAll(async () => {
  env = await createTestEnv();
  web = await startWeb(env);
  acme = await seedTenant(env, 'Acme');
});

afterAll(async () => {
  await web?.stop();
  await env?.cleanup();
});

describe('signing in and the pages', () => {
  test('pages send a person without a session to the login page', async () => {
    const res = await new BrowserClient(web.url).request('GET', '/projects');
    expect(res.status).toBe(302);
    expect(res.location).toBe('/login?next=%2Fprojects');
  });

  test('the right password signs in and shows the projects page; the wrong one says so', async () => {
    const wrong = await new BrowserClient(web.url).login(acme.email, 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('The e-mail or password is not right');
    const client = new BrowserClient(web.url);
    const ok = await client.login(acme.email, acme.password);
    expect(ok.status).toBe(302);
    const page = await client.request('GET', '/projects');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Acme');
  });

  test('a form posted without the CSRF token is refused and changes nothing', async () => {
    const client = new BrowserClient(web.url);
    await client.login(acme.email, acme.password);
    const res = await client.request('POST', '/projects', { name: 'Forged' });
    expect(res.status).toBe(403);
    const page = await client.request('GET', '/projects');
    expect(page.text).not.toContain('Forged');
  });

  test('an htmx request with the CSRF header creates a project and answers the list fragment', async () => {
    const client = new BrowserClient(web.url);
    await client.login(acme.email, acme.password);
    const csrf = await client.csrf('/projects');
    const res = await client.request('POST', '/projects', { name: 'From htmx' }, { 'HX-Request': 'true', 'X-CSRF-Token': csrf });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<html');
    expect(res.text).toContain('From htmx');
  });

  test('the pages set a strict Content-Security-Policy with no inline scripts', async () => {
    const res = await new BrowserClient(web.url).request('GET', '/login');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  test('signing in is rate limited after 10 failures for one address and e-mail', async () => {
    const client = new BrowserClient(web.url);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await client.login('limited@acme.test', `guess ${i}`)).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  test('the queue board shows the five queues to an admin and refuses an editor', async () => {
    const admin = new BrowserClient(web.url);
    await admin.login(acme.email, acme.password);
    const queues = await admin.request('GET', '/admin/queues/api/queues');
    expect(queues.status).toBe(200);
    const names = (JSON.parse(queues.text) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['extractor', 'loader', 'scheduler', 'trainer', 'web']);
    expect((await admin.request('GET', '/admin/queues')).status).toBe(200);

    const editor = await seedMember(env, acme.tenantId, 'editor', 'editor@acme.test');
    const client = new BrowserClient(web.url);
    await client.login(editor.email, editor.password);
    expect((await client.request('GET', '/admin/queues')).status).toBe(403);
    expect((await client.request('GET', '/admin/queues/api/queues')).status).toBe(403);
  });

  test("a viewer sees a project's connections but may not open the wizard or test settings", async () => {
    const project = await api(web.url, acme.token)('POST', '/api/v1/projects', { name: 'Viewed connections' });
    const viewer = await seedMember(env, acme.tenantId, 'viewer', 'viewer@acme.test');
    const client = new BrowserClient(web.url);
    await client.login(viewer.email, viewer.password);
    const page = await client.request('GET', `/projects/${project.body.id}/connections`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('No connections yet.');
    expect(page.text).not.toContain('New connection');
    const csrf = await client.csrf('/projects');
    const htmx = { 'HX-Request': 'true', 'X-CSRF-Token': csrf };
    expect((await client.request('GET', `/projects/${project.body.id}/connections/new`, undefined, htmx)).status).toBe(403);
    const test = await client.request('POST', `/projects/${project.body.id}/connections/test`, { type: 'postgresql', 'config.host': '127.0.0.1' }, htmx);
    expect(test.status).toBe(403);
  });

  test("the wizard's Test answers settings that do not parse with 400 and each error beside its field", async () => {
    const project = await api(web.url, acme.token)('POST', '/api/v1/projects', { name: 'Wizard errors' });
    const client = new BrowserClient(web.url);
    await client.login(acme.email, acme.password);
    const csrf = await client.csrf('/projects');
    const form = { type: 'postgresql', 'config.host': '', 'config.port': '70000', 'config.database': 'shop', 'config.user': 'reader', 'config.sslMode': 'disable' };
    const res = await client.request('POST', `/projects/${project.body.id}/connections/test`, form, { 'HX-Request': 'true', 'X-CSRF-Token': csrf });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<p id="f-config-host-error" class="field-error" hx-swap-oob="true">Host is required<\/p>/);
    expect(res.text).toMatch(/<p id="f-config-port-error" class="field-error" hx-swap-oob="true">[^<]*65535/);
    expect(res.text).toMatch(/<p id="f-config-database-error" class="field-error" hx-swap-oob="true"><\/p>/);
  });

  test("another tenant's project page answers 404", async () => {
    const globex = await seedTenant(env, 'Globex');
    const owner = new BrowserClient(web.url);
    await owner.login(globex.email, globex.password);
    const csrf = await owner.csrf('/projects');
    await owner.request('POST', '/projects', { _csrf: csrf, name: 'Globex secret' });
    const list = await owner.request('GET', '/projects');
    const id = /href="\/projects\/([0-9a-f-]{36})\/dashboard"/.exec(list.text)![1]!;
    const intruder = new BrowserClient(web.url);
    await intruder.login(acme.email, acme.password);
    expect((await intruder.request('GET', `/projects/${id}/dashboard`)).status).toBe(404);
  });
});
