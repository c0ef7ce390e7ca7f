import { createTenant, createApiToken, createUser, type Role } from '@b2b-recs/shared';
import { startWebService, type WebService } from '../../services/web/src/server.js';
import type { TestEnv } from './test-env.js';

/** Starts the web service in-process on a free port, against the test environment. */
export async function startWeb(env: TestEnv): Promise<WebService> {
  return startWebService({ ...env.config, web: { ...env.config.web, port: 0 } });
}

/** A tenant with an admin, plus a token for it. */
export async function seedTenant(env: TestEnv, name: string) {
  const em = env.orm.em.fork();
  const email = `admin@${name.toLowerCase().replace(/\W/g, '')}.test`;
  const password = 'correct horse battery';
  const { tenantId } = await createTenant(em, { name, email, password });
  const { token } = await createApiToken(em, { email });
  return { tenantId, email, password, token };
}

/** Adds a user with a role to a tenant and returns a token for them. */
export async function seedMember(env: TestEnv, tenantId: string, role: Role, email: string) {
  const em = env.orm.em.fork();
  const password = 'another good password';
  await createUser(em, { tenantId, email, password, role });
  const { token } = await createApiToken(em, { email, tenantId });
  return { email, password, token };
}

/** A fetch with a bearer token and JSON bodies. */
export function api(baseUrl: string, token?: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined, headers: res.headers };
  };
}

/** A browser-like client: keeps the session cookie and reads CSRF tokens from pages. */
export class BrowserClient {
  private cookie = '';
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('recs.sid='));
    if (set) this.cookie = set.split(';')[0]!;
    return { status: res.status, text: await res.text(), location: res.headers.get('location'), headers: res.headers };
  }

  /** The CSRF token of a page's forms. */
  async csrf(path = '/login'): Promise<string> {
    const page = await this.request('GET', path);
    const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!match) throw new Error(`no CSRF token on ${path} (status ${page.status})`);
    return match[1]!;
  }

  async login(email: string, password: string) {
    const csrf = await this.csrf('/login');
    return this.request('POST', '/login', { _csrf: csrf, email, password, next: '/projects' });
  }
}
