import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { JWT } from 'google-auth-library';
import { GcpSecretStore } from '../../../shared/src/secrets/gcp-secret-store.js';
import { SecretStoreError, connectionSecretName } from '../../../shared/src/secrets/secret-store.js';
import { CLOUD_PLATFORM_SCOPE, GcpContractServer, closedPort, googleError, isolateFromGoogle, type ContractRequest, type Isolation } from '../../support/gcp-contract-server.js';

/*
 * Secret Manager v1 over REST (the GAPIC client with fallback: 'rest'), per gcp-contracts.md §6:
 * createSecret with automatic replication, addSecretVersion with the JSON payload, accessSecretVersion
 * of `latest`, deleteSecret. The store runs as the platform's identity: here a service account whose
 * self-signed JWTs the server verifies.
 */

const PROJECT = 'recs-platform';
const NAME = connectionSecretName('t1', 'c42');
const SECRET = `projects/${PROJECT}/secrets/${NAME}`;
const VALUE = { user: 'reader', password: 'hunter2-Sup3r-S3cret' };

let isolation: Isolation;
let server: GcpContractServer;
let store: GcpSecretStore;

function storeAt(port: number, options: { timeoutMs?: number } = {}): GcpSecretStore {
  const key = server.serviceAccountKey({ projectId: PROJECT, email: `platform@${PROJECT}.iam.gserviceaccount.com` });
  const authClient = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [CLOUD_PLATFORM_SCOPE] });
  return new GcpSecretStore({ projectId: PROJECT, timeoutMs: options.timeoutMs, clientOptions: { apiEndpoint: '127.0.0.1', port, protocol: 'http', authClient } });
}

/** The GAPIC REST transport's marks: JSON with int enums, and the routing header. */
function expectRest(req: ContractRequest, routing: string): void {
  expect(req.query.get('$alt')).toBe('json;enum-encoding=int');
  expect(req.headers['x-goog-request-params']).toBe(routing);
  expect(req.headers['x-goog-api-client']).toMatch(/gapic\/[\d.]+ .*rest\//);
  expect(req.caller).toMatchObject({ email: `platform@${PROJECT}.iam.gserviceaccount.com`, via: 'self_signed_jwt' });
}

const secretResource = (labels: Record<string, string>) => ({
  name: `projects/123456789012/secrets/${NAME}`,
  replication: { automatic: {} },
  createTime: '2026-11-22T10:00:00.123456Z',
  labels,
  etag: '"1643a6d4b0ba10"',
  versionControlsCount: 0,
});
const versionResource = (n: number) => ({
  name: `projects/123456789012/secrets/${NAME}/versions/${n}`,
  createTime: '2026-11-22T10:00:01.5Z',
  state: 'ENABLED',
  replicationStatus: { automatic: {} },
  etag: '"1643a6d4b2f7a1"',
  clientSpecifiedPayloadChecksum: false,
});
const VERSION_PATH = `/v1/${SECRET}:addVersion`;

beforeAll(async () => {
  isolation = isolateFromGoogle();
  server = await GcpContractServer.start();
  store = storeAt(server.port);
});

afterEach(() => {
  try {
    server.assertSatisfied();
    isolation.assertNoEscapes();
  } finally {
    server.reset();
  }
});

afterAll(async () => {
  await store?.close();
  await server?.close();
  isolation?.restore();
});

describe('Secret Manager contract', () => {
  test('Secret Manager contract: put creates the secret once and adds a version', async () => {
    const addVersion = (req: ContractRequest) => {
      expectRest(req, `parent=${encodeURIComponent(SECRET)}`);
      expect(req.json).toEqual({ payload: { data: Buffer.from(JSON.stringify(VALUE)).toString('base64') } });
      expect(JSON.parse(Buffer.from(req.json.payload.data, 'base64').toString('utf8'))).toEqual(VALUE);
    };
    // The first put finds no secret, creates it, and adds the version; the second only adds one.
    const missing = server.route('POST', VERSION_PATH, googleError(404, `Secret [${SECRET}] not found or has no versions.`), { times: 1, check: addVersion });
    const create = server.route('POST', `/v1/projects/${PROJECT}/secrets`, (req) => ({ json: secretResource(req.json.labels) }), {
      times: 1,
      check: (req) => {
        expectRest(req, `parent=${encodeURIComponent(`projects/${PROJECT}`)}`);
        expect(req.query.get('secretId')).toBe(NAME);
        expect(req.json.replication).toEqual({ automatic: {} });
        expect(req.json.labels).toEqual({ app: 'b2b-recs' });
        expect(req.text).not.toContain(VALUE.password);
      },
    });
    let versions = 0;
    const added = server.route('POST', VERSION_PATH, () => ({ json: versionResource(++versions) }), { times: 2, check: addVersion });

    await expect(store.put(NAME, VALUE)).resolves.toBe(SECRET);
    await expect(store.put(NAME, VALUE)).resolves.toBe(SECRET);

    expect(missing.calls).toHaveLength(1);
    expect(create.calls).toHaveLength(1);
    expect(added.calls).toHaveLength(2);
    expect(server.apiRequests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST ${VERSION_PATH}`, `POST /v1/projects/${PROJECT}/secrets`, `POST ${VERSION_PATH}`, `POST ${VERSION_PATH}`,
    ]);
  });

  test('Secret Manager contract: put tolerates a secret created by a concurrent put', async () => {
    server.route('POST', VERSION_PATH, googleError(404, `Secret [${SECRET}] not found or has no versions.`), { times: 1 });
    server.route('POST', `/v1/projects/${PROJECT}/secrets`, googleError(409, `Secret [${SECRET}] already exists.`), { times: 1 });
    server.route('POST', VERSION_PATH, { json: versionResource(1) }, { times: 1 });
    await expect(store.put(NAME, VALUE)).resolves.toBe(SECRET);
  });

  test('Secret Manager contract: get reads the latest version and parses its JSON payload', async () => {
    const data = Buffer.from(JSON.stringify(VALUE));
    server.route('GET', `/v1/${SECRET}/versions/latest:access`, { json: { name: `projects/123456789012/secrets/${NAME}/versions/3`, payload: { data: data.toString('base64'), dataCrc32c: '2904150317' } } }, {
      times: 1,
      check: (req) => {
        expectRest(req, `name=${encodeURIComponent(`${SECRET}/versions/latest`)}`);
        expect(req.body).toHaveLength(0);
      },
    });
    await expect(store.get(SECRET)).resolves.toEqual(VALUE);
  });

  test('Secret Manager contract: delete removes the secret, and one already gone is not an error', async () => {
    server.route('DELETE', `/v1/${SECRET}`, { json: {} }, { times: 1, check: (req) => expectRest(req, `name=${encodeURIComponent(SECRET)}`) });
    server.route('DELETE', `/v1/${SECRET}`, googleError(404, `Secret [${SECRET}] not found.`), { times: 1 });
    await expect(store.delete(SECRET)).resolves.toBeUndefined();
    await expect(store.delete(SECRET)).resolves.toBeUndefined();
  });

  test('Secret Manager contract: 404 is not_found, 403 permission_denied, 401 permission_denied, and no message holds the value', async () => {
    server.route('GET', `/v1/${SECRET}/versions/latest:access`, googleError(404, `Secret [${SECRET}] not found or has no versions.`), { times: 1 });
    server.route('POST', VERSION_PATH, googleError(403, `Permission 'secretmanager.versions.add' denied for resource '${SECRET}' (or it may not exist).`), { times: 1 });
    server.route('DELETE', `/v1/${SECRET}`, googleError(401, 'Request had invalid authentication credentials.'), { times: 1 });

    const notFound = await store.get(SECRET).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(SecretStoreError);
    expect(notFound).toMatchObject({ code: 'not_found' });

    const denied = await store.put(NAME, VALUE).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(SecretStoreError);
    expect(denied).toMatchObject({ code: 'permission_denied' });
    expect((denied as Error).message).toContain('secretmanager.versions.add');
    for (const error of [notFound, denied]) {
      expect(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack, cause: String((error as Error).cause) })).not.toContain(VALUE.password);
    }

    await expect(store.delete(SECRET)).rejects.toMatchObject({ code: 'permission_denied' });
  });

  test('Secret Manager contract: a payload that is not a JSON object is corrupt, and the message does not quote it', async () => {
    const text = 'password=hunter2-Sup3r-S3cret';
    server.route('GET', `/v1/${SECRET}/versions/latest:access`, { json: { name: `${SECRET}/versions/1`, payload: { data: Buffer.from(text).toString('base64') } } }, { times: 1 });
    const error = await store.get(SECRET).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'corrupt' });
    expect((error as Error).message).not.toContain('hunter2');
    expect((error as Error).cause).toBeUndefined();
  });

  test('Secret Manager contract: a closed port is unavailable', async () => {
    const offline = storeAt(await closedPort(), { timeoutMs: 5_000 });
    try {
      await expect(offline.get(SECRET)).rejects.toMatchObject({ name: 'SecretStoreError', code: 'unavailable' });
      await expect(offline.put(NAME, VALUE)).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await offline.close();
    }
  });

  test('Secret Manager contract: a ref that is not a secret name is not_found without a call', async () => {
    await expect(store.get('recs-conn-t1-c42')).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.put('bad name!', VALUE)).rejects.toBeInstanceOf(RangeError);
    expect(server.requests).toHaveLength(0);
  });
});
