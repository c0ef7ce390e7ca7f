import { describe, expect, test } from '@jest/globals';
import { GcpSecretStore, MAX_SECRET_BYTES, type SecretManagerCalls } from './gcp-secret-store.js';
import { SecretStoreError } from './secret-store.js';

/*
 * The store's own logic against a small fake of the client; the requests themselves are checked
 * against Secret Manager's contract in test/integration/gcp-contracts/secret-manager.test.ts.
 */

const SECRET = 'projects/p1/secrets/recs-conn-t1-c1';

/** A GAPIC error as the client raises it: a gRPC status code and the server's message. */
function grpcError(code: number, message: string): Error {
  return Object.assign(new Error(`${code} ${message}`), { code, details: message });
}

/** A fake that holds secrets in memory and records the calls, failing where told. */
function fakeClient(fail: Partial<Record<'create' | 'add' | 'access' | 'delete', Error[]>> = {}) {
  const calls: string[] = [];
  const versions = new Map<string, Buffer[]>();
  const next = (kind: keyof typeof fail) => fail[kind]?.shift();
  const client = {
    async createSecret(request: { parent: string; secretId: string }) {
      calls.push(`create ${request.secretId}`);
      const error = next('create');
      if (error) throw error;
      versions.set(`${request.parent}/secrets/${request.secretId}`, []);
      return [{ name: `${request.parent}/secrets/${request.secretId}` }];
    },
    async addSecretVersion(request: { parent: string; payload: { data: Buffer } }) {
      calls.push(`add ${request.parent}`);
      const error = next('add') ?? (versions.has(request.parent) ? undefined : grpcError(5, `Secret [${request.parent}] not found or has no versions.`));
      if (error) throw error;
      versions.get(request.parent)!.push(request.payload.data);
      return [{ name: `${request.parent}/versions/${versions.get(request.parent)!.length}` }];
    },
    async accessSecretVersion(request: { name: string }) {
      calls.push(`access ${request.name}`);
      const error = next('access');
      if (error) throw error;
      const data = versions.get(request.name.replace(/\/versions\/latest$/, ''))?.at(-1);
      if (!data) throw grpcError(5, `Secret Version [${request.name}] not found.`);
      return [{ name: request.name, payload: { data } }];
    },
    async deleteSecret(request: { name: string }) {
      calls.push(`delete ${request.name}`);
      const error = next('delete');
      if (error) throw error;
      if (!versions.delete(request.name)) throw grpcError(5, `Secret [${request.name}] not found.`);
      return [{}];
    },
    async close() {},
  };
  return { calls, versions, client: client as unknown as SecretManagerCalls };
}

describe('the Secret Manager store', () => {
  test('the first put creates the secret and adds a version; later puts only add versions; get reads the latest', async () => {
    const fake = fakeClient();
    const store = new GcpSecretStore({ projectId: 'p1', client: fake.client });
    expect(await store.put('recs-conn-t1-c1', { password: 'one' })).toBe(SECRET);
    expect(await store.put('recs-conn-t1-c1', { password: 'two' })).toBe(SECRET);
    expect(await store.get(SECRET)).toEqual({ password: 'two' });
    expect(fake.calls).toEqual([`add ${SECRET}`, 'create recs-conn-t1-c1', `add ${SECRET}`, `add ${SECRET}`, `access ${SECRET}/versions/latest`]);
  });

  test('a put racing another put that created the secret still adds its version', async () => {
    const fake = fakeClient({ create: [grpcError(6, 'Secret already exists.')] });
    fake.versions.set(SECRET, []);
    const add = fake.client.addSecretVersion.bind(fake.client);
    let first = true;
    // The secret appears between our first add (which misses it) and our create.
    (fake.client as { addSecretVersion: unknown }).addSecretVersion = async (request: never) => {
      if (first) {
        first = false;
        throw grpcError(5, 'not found');
      }
      return add(request);
    };
    const store = new GcpSecretStore({ projectId: 'p1', client: fake.client });
    await expect(store.put('recs-conn-t1-c1', { password: 'x' })).resolves.toBe(SECRET);
    expect(fake.versions.get(SECRET)).toHaveLength(1);
  });

  test('gRPC statuses become store codes, and no message carries the value', async () => {
    const value = { password: 'hunter2-very-secret' };
    const fake = fakeClient({
      add: [grpcError(7, "Permission 'secretmanager.versions.add' denied"), grpcError(14, 'connect ECONNREFUSED 10.0.0.1:443')],
      access: [grpcError(9, 'Secret Version is in DISABLED state.'), grpcError(16, 'Request had invalid authentication credentials.')],
    });
    const store = new GcpSecretStore({ projectId: 'p1', client: fake.client });
    const denied = await store.put('recs-conn-t1-c1', value).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(SecretStoreError);
    expect(denied).toMatchObject({ code: 'permission_denied' });
    const down = await store.put('recs-conn-t1-c1', value).catch((e: unknown) => e);
    expect(down).toMatchObject({ code: 'unavailable' });
    await expect(store.get(SECRET)).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.get(SECRET)).rejects.toMatchObject({ code: 'permission_denied' });
    for (const error of [denied, down]) expect(`${(error as Error).message} ${(error as Error).stack}`).not.toContain('hunter2');
  });

  test('a payload that is not a JSON object is corrupt', async () => {
    const fake = fakeClient();
    fake.versions.set(SECRET, [Buffer.from('["a"]')]);
    const store = new GcpSecretStore({ projectId: 'p1', client: fake.client });
    await expect(store.get(SECRET)).rejects.toMatchObject({ code: 'corrupt' });
  });

  test('deleting a secret that is gone is not an error', async () => {
    const fake = fakeClient();
    const store = new GcpSecretStore({ projectId: 'p1', client: fake.client });
    await expect(store.delete(SECRET)).resolves.toBeUndefined();
  });

  test('bad names, bad refs and payloads over 64 KiB are refused before any call', async () => {
    const fake = fakeClient();
    const store = new GcpSecretStore({ projectId: 'p1', client: fake.client });
    await expect(store.put('has space', {})).rejects.toBeInstanceOf(RangeError);
    await expect(store.put('x'.repeat(256), {})).rejects.toBeInstanceOf(RangeError);
    await expect(store.put('big', { blob: 'x'.repeat(MAX_SECRET_BYTES) })).rejects.toThrow(/at most 65536/);
    await expect(store.get('recs-conn-t1-c1')).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.delete('projects/p1/secrets/a/versions/1')).rejects.toMatchObject({ code: 'not_found' });
    expect(fake.calls).toEqual([]);
  });
});
