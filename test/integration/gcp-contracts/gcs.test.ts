import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { CRC32C } from '@google-cloud/storage';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GcsFileStore } from '../../../shared/src/sources/gcp/gcs-file-store.js';
import { gcsConfig, gcsModule } from '../../../shared/src/sources/gcp/gcs-module.js';
import { tokenUriOf } from '../../../shared/src/sources/gcp/service-account.js';
import type { SourceDeps } from '../../../shared/src/sources/source.js';
import { GcpContractServer, closedPort, googleError, isolateFromGoogle, type ContractReply, type ContractRequest, type Isolation } from '../../support/gcp-contract-server.js';

/*
 * The Cloud Storage JSON API through @google-cloud/storage: objects.list (prefix, maxResults,
 * pageToken) and objects.get with alt=media (Range for partial reads, x-goog-hash checked on whole
 * reads). The client exchanges the key for a read-only token at the key's token_uri (this server).
 */

const PROJECT = 'shop-files';
const BUCKET = 'shop-exports';
const READ_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';
const CSV = Buffer.from('order_id,total,created_at\n1,12.50,2026-01-01T10:00:00Z\n2,7.25,2026-01-02T11:30:00Z\n');

let isolation: Isolation;
let server: GcpContractServer;
let keyJson: string;

function store(prefix = 'exports', endpoint?: string): GcsFileStore {
  return new GcsFileStore({ bucket: BUCKET, prefix }, keyJson, { apiEndpoint: endpoint ?? server.url, tokenUrl: tokenUriOf(keyJson) });
}

/** What every JSON API call carries: the read-only token from the exchange and the client's marks. */
function expectApi(req: ContractRequest): void {
  expect(req.caller).toMatchObject({ email: `recs-reader@${PROJECT}.iam.gserviceaccount.com`, via: 'access_token', scopes: [READ_SCOPE] });
  expect(req.headers['user-agent']).toMatch(/^gcloud-node-storage\//);
  expect(req.headers['x-goog-api-client']).toMatch(/gccl\//);
}
const api = { scopes: [READ_SCOPE], check: expectApi };

const object = (name: string, size: number, updated = '2026-01-02T03:04:05.678Z') => ({
  kind: 'storage#object',
  id: `${BUCKET}/${name}/1767225600000000`,
  selfLink: `https://www.googleapis.com/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}`,
  name,
  bucket: BUCKET,
  generation: '1767225600000000',
  metageneration: '1',
  contentType: 'text/csv',
  storageClass: 'STANDARD',
  size: String(size),
  md5Hash: createHash('md5').update(CSV).digest('base64'),
  crc32c: crc32c(CSV),
  etag: 'CICAgICAgICAgIAB',
  timeCreated: '2026-01-01T00:00:00.000Z',
  updated,
});

/** objects.get?alt=media as GCS answers it: the bytes, a Range honoured with 206, hashes of the whole object. */
function media(bytes: Buffer) {
  return (req: ContractRequest): ContractReply => {
    const headers = {
      'content-type': 'text/csv',
      'x-goog-generation': '1767225600000000',
      'x-goog-metageneration': '1',
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(bytes.length),
      'x-goog-hash': `crc32c=${crc32c(bytes)},md5=${createHash('md5').update(bytes).digest('base64')}`,
      'accept-ranges': 'bytes',
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (!range) return { headers, body: bytes };
    const start = Number(range[1]);
    if (start >= bytes.length) return googleError(416, 'The requested range cannot be satisfied.');
    const end = Math.min(bytes.length - 1, range[2] ? Number(range[2]) : bytes.length - 1);
    return { status: 206, headers: { ...headers, 'content-range': `bytes ${start}-${end}/${bytes.length}` }, body: bytes.subarray(start, end + 1) };
  };
}

/** The CRC32C GCS reports, base64 of the big-endian checksum. */
function crc32c(bytes: Buffer): string {
  const crc = new CRC32C();
  crc.update(bytes);
  return crc.toString();
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  isolation = isolateFromGoogle();
  server = await GcpContractServer.start();
  keyJson = server.serviceAccountJson({ projectId: PROJECT });
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
  await server?.close();
  isolation?.restore();
});

describe('Cloud Storage contract', () => {
  test('Cloud Storage contract: check lists one object under the prefix with a read-only token', async () => {
    server.route('GET', `/storage/v1/b/${BUCKET}/o`, { json: { kind: 'storage#objects', items: [object('exports/orders.csv', CSV.length)], nextPageToken: 'more' } }, {
      ...api,
      times: 1,
      check: (req) => {
        expectApi(req);
        expect(Object.fromEntries(req.query)).toEqual({ prefix: 'exports/', maxResults: '1' });
      },
    });
    await expect(store().check()).resolves.toBeUndefined();
    const exchange = server.requests.find((r) => r.path === '/token');
    expect(exchange?.form?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
  });

  test('Cloud Storage contract: list pages through objects.list and returns paths under the prefix', async () => {
    server.route('GET', `/storage/v1/b/${BUCKET}/o`, { json: { kind: 'storage#objects', items: [object('exports/2026/a.csv', 10), object('exports/2026/b.csv', 20)], nextPageToken: 'tok-2' } }, {
      ...api, times: 1, check: (req) => expect(Object.fromEntries(req.query)).toEqual({ prefix: 'exports/2026/', maxResults: '3' }),
    });
    server.route('GET', `/storage/v1/b/${BUCKET}/o`, { json: { kind: 'storage#objects', items: [object('exports/2026/c.csv.gz', 30, '2026-03-01T00:00:00Z')], nextPageToken: 'tok-3' } }, {
      ...api, times: 1, check: (req) => expect(Object.fromEntries(req.query)).toEqual({ prefix: 'exports/2026/', maxResults: '1', pageToken: 'tok-2' }),
    });
    await expect(store().list('2026/', { limit: 3 })).resolves.toEqual([
      { path: '2026/a.csv', size: 10, modified: '2026-01-02T03:04:05.678Z', etag: 'CICAgICAgICAgIAB' },
      { path: '2026/b.csv', size: 20, modified: '2026-01-02T03:04:05.678Z', etag: 'CICAgICAgICAgIAB' },
      { path: '2026/c.csv.gz', size: 30, modified: '2026-03-01T00:00:00.000Z', etag: 'CICAgICAgICAgIAB' },
    ]);
  });

  test('Cloud Storage contract: read sends a Range for part of an object and reads a whole one checked against its hash', async () => {
    const get = server.route('GET', `/storage/v1/b/${BUCKET}/o/exports/orders.csv`, media(CSV), {
      ...api,
      times: 2,
      check: (req) => {
        expectApi(req);
        expect(req.rawPath).toBe(`/storage/v1/b/${BUCKET}/o/exports%2Forders.csv`);
        expect(req.query.get('alt')).toBe('media');
      },
    });
    await expect(store().read('orders.csv', { start: 0, end: 7 }).then(text)).resolves.toBe('order_id');
    await expect(store().read('orders.csv').then(text)).resolves.toBe(CSV.toString());
    expect(get.calls.map((r) => r.headers.range)).toEqual(['bytes=0-7', undefined]);
  });

  test('Cloud Storage contract: a read that meets a 503 is retried once, and a second 503 is unreachable', async () => {
    server.route('GET', `/storage/v1/b/${BUCKET}/o/exports/orders.csv`, googleError(503, 'Backend Error'), { ...api, times: 1 });
    server.route('GET', `/storage/v1/b/${BUCKET}/o/exports/orders.csv`, media(CSV), { ...api, times: 1 });
    await expect(store().read('orders.csv', { start: 9, end: 13 }).then(text)).resolves.toBe('total');
    server.route('GET', `/storage/v1/b/${BUCKET}/o/exports/orders.csv`, googleError(503, 'Backend Error'), { ...api, times: 2 });
    await expect(store().read('orders.csv', { start: 9, end: 13 })).rejects.toMatchObject({ code: 'unreachable' });
  });

  test('Cloud Storage contract: a range past the end of an empty object reads nothing', async () => {
    server.route('GET', `/storage/v1/b/${BUCKET}/o/exports/empty.csv`, media(Buffer.alloc(0)), { ...api, times: 1 });
    await expect(store().read('empty.csv', { start: 0, end: 1023 }).then(text)).resolves.toBe('');
  });

  test('Cloud Storage contract: the file source over the store previews a CSV from its head', async () => {
    // objects.list as GCS answers it: the objects whose names start with the prefix, in name order.
    const objects = [object('exports/notes.txt', 3), object('exports/orders.csv', CSV.length)];
    server.route('GET', `/storage/v1/b/${BUCKET}/o`, (req) => ({
      json: { kind: 'storage#objects', items: objects.filter((o) => o.name.startsWith(req.query.get('prefix') ?? '')) },
    }), api);
    server.route('GET', `/storage/v1/b/${BUCKET}/o/exports/orders.csv`, media(CSV), { ...api, check: (req) => expect(req.headers.range).toMatch(/^bytes=0-\d+$/) });
    const deps: SourceDeps = { localFilesRoot: '/nonexistent', gcpEndpoints: { storage: server.url } };
    const source = gcsModule.open(gcsConfig.parse({ bucket: BUCKET, prefix: 'exports' }), { serviceAccountJson: keyJson }, deps);
    expect(source.kind).toBe('gcs');
    await expect(source.listFiles!('', '*.csv')).resolves.toMatchObject([{ path: 'orders.csv', size: CSV.length, format: 'csv', gzip: false }]);
    const preview = await source.preview({ path: 'orders.csv' });
    expect(preview.columns.map((c) => [c.name, c.suggested.type])).toEqual([['order_id', 'INT64'], ['total', 'NUMERIC'], ['created_at', 'TIMESTAMP']]);
    expect(preview.rows).toHaveLength(2);
    await source.close();
  });

  test('Cloud Storage contract: a missing bucket or object is not_found, 403 permission_denied, 401 auth_failed', async () => {
    server.route('GET', '/storage/v1/b/nope/o', googleError(404, 'The specified bucket does not exist.'), { ...api, times: 1 });
    server.route('GET', `/storage/v1/b/${BUCKET}/o/exports/missing.csv`, googleError(404, `No such object: ${BUCKET}/exports/missing.csv`), { ...api, times: 1 });
    server.route('GET', `/storage/v1/b/${BUCKET}/o`, googleError(403, `recs-reader@${PROJECT}.iam.gserviceaccount.com does not have storage.objects.list access to the Google Cloud Storage bucket. Permission 'storage.objects.list' denied on resource (or it may not exist).`, { reason: 'forbidden' }), { ...api, times: 1 });
    server.route('GET', `/storage/v1/b/${BUCKET}/o`, googleError(401, 'Invalid Credentials', { reason: 'authError' }), { ...api, times: 1 });

    const noBucket = new GcsFileStore({ bucket: 'nope', prefix: '' }, keyJson, { apiEndpoint: server.url, tokenUrl: tokenUriOf(keyJson) });
    await expect(noBucket.check()).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('bucket nope') });
    await expect(store().read('missing.csv')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('missing.csv') });
    await expect(store().check()).rejects.toMatchObject({ code: 'permission_denied', hint: expect.stringContaining('roles/storage.objectViewer') });
    await expect(store().list('')).rejects.toMatchObject({ code: 'auth_failed' });
  });

  test('Cloud Storage contract: an empty prefix is not_found; a closed port is unreachable', async () => {
    server.route('GET', `/storage/v1/b/${BUCKET}/o`, { json: { kind: 'storage#objects' } }, { ...api, times: 1 });
    await expect(store('exprots').check()).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('exprots') });
    await expect(store('exports', `http://127.0.0.1:${await closedPort()}`).check()).rejects.toMatchObject({ code: 'unreachable' });
  });

  test('Cloud Storage contract: the module validates the bucket and describes the connection', () => {
    expect(gcsConfig.safeParse({ bucket: 'gs://shop-exports' }).success).toBe(false);
    const config = gcsConfig.parse({ bucket: BUCKET, prefix: '/exports/' });
    expect(gcsModule.describe(config)).toBe(`gs://${BUCKET}/exports/`);
    expect(gcsModule).toMatchObject({ kind: 'gcs', group: 'Files' });
  });
});
