import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { inspect } from 'node:util';
import { bigQueryConfig, bigQueryModule } from '../../../shared/src/sources/gcp/bigquery-module.js';
import { SourceError } from '../../../shared/src/sources/source-error.js';
import type { Source, SourceDeps } from '../../../shared/src/sources/source.js';
import { GcpContractServer, closedPort, googleError, isolateFromGoogle, oauthError, type ContractRequest, type Isolation } from '../../support/gcp-contract-server.js';

/*
 * BigQuery v2 REST through @google-cloud/bigquery, per gcp-contracts.md §5 and the REST reference:
 * jobs.insert (dry run), datasets.list, tables.list, tables.get, tabledata.list. The client signs a
 * JWT assertion with the service-account key and exchanges it at the key's token_uri (this server),
 * then calls the API with the access token.
 */

const BILLING = 'shop-billing';
const DATA = 'bigquery-public-data';
const BQ = '/bigquery/v2';
const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';

let isolation: Isolation;
let server: GcpContractServer;
let keyJson: string;

function open(config: Record<string, unknown>, options: { endpoint?: string; key?: string } = {}): Source {
  const deps: SourceDeps = { localFilesRoot: '/nonexistent', gcpEndpoints: { bigquery: options.endpoint ?? server.url } };
  return bigQueryModule.open(bigQueryConfig.parse(config), { serviceAccountJson: options.key ?? keyJson }, deps);
}

/** What every BigQuery API call carries: the access token from the exchange, JSON, and the client's marks. */
function expectApi(req: ContractRequest): void {
  expect(req.caller).toMatchObject({ email: `recs-reader@${BILLING}.iam.gserviceaccount.com`, via: 'access_token' });
  expect(req.caller?.scopes).toContain(BIGQUERY_SCOPE);
  expect(req.headers['user-agent']).toMatch(/^gcloud-node-bigquery\//);
  expect(req.query.get('prettyPrint')).toBe('false');
}

const api = { scopes: [BIGQUERY_SCOPE], check: expectApi };

const table = (dataset: string, id: string, type: string, extra: Record<string, unknown> = {}) => ({
  kind: 'bigquery#table',
  etag: 'aBcD==',
  id: `${DATA}:${dataset}.${id}`,
  selfLink: `https://bigquery.googleapis.com/bigquery/v2/projects/${DATA}/datasets/${dataset}/tables/${id}`,
  tableReference: { projectId: DATA, datasetId: dataset, tableId: id },
  type,
  creationTime: '1767225600000',
  location: 'EU',
  ...extra,
});

const ORDERS_SCHEMA = {
  fields: [
    { name: 'order_id', type: 'INTEGER', mode: 'REQUIRED' },
    { name: 'customer', type: 'STRING', mode: 'NULLABLE', maxLength: '80' },
    { name: 'amount', type: 'NUMERIC', mode: 'NULLABLE', precision: '10', scale: '2' },
    { name: 'created_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
    { name: 'tags', type: 'STRING', mode: 'REPEATED' },
    { name: 'address', type: 'RECORD', mode: 'NULLABLE', fields: [{ name: 'city', type: 'STRING' }, { name: 'zip', type: 'STRING' }] },
    { name: 'payload', type: 'JSON', mode: 'NULLABLE' },
    { name: 'paid', type: 'BOOLEAN', mode: 'NULLABLE' },
    { name: 'day', type: 'DATE', mode: 'NULLABLE' },
  ],
};

beforeAll(async () => {
  isolation = isolateFromGoogle();
  server = await GcpContractServer.start();
  keyJson = server.serviceAccountJson({ projectId: BILLING });
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

describe('BigQuery contract', () => {
  test('BigQuery contract: test exchanges the key for a token, dry-runs a query in the billing project and lists the data project', async () => {
    const job = server.route('POST', `${BQ}/projects/${BILLING}/jobs`, (req) => ({
      json: {
        kind: 'bigquery#job',
        etag: 'x',
        jobReference: { projectId: BILLING, location: 'EU' },
        configuration: { ...req.json.configuration, jobType: 'QUERY' },
        status: { state: 'DONE' },
        statistics: { creationTime: '1767225600000', totalBytesProcessed: '0', query: { totalBytesProcessed: '0', totalBytesBilled: '0', cacheHit: false, statementType: 'SELECT' } },
        user_email: `recs-reader@${BILLING}.iam.gserviceaccount.com`,
      },
    }), {
      ...api,
      times: 1,
      check: (req) => {
        expectApi(req);
        expect(req.headers['content-type']).toMatch(/^application\/json/);
        expect(req.json.configuration).toEqual({ dryRun: true, query: { query: 'SELECT 1', useLegacySql: false } });
        expect(req.json.jobReference).toMatchObject({ projectId: BILLING, location: 'EU' });
        expect(req.json.jobReference.jobId).toMatch(/^[A-Za-z0-9_-]{1,1024}$/);
      },
    });
    const datasets = server.route('GET', `${BQ}/projects/${DATA}/datasets`, { json: { kind: 'bigquery#datasetList', etag: 'e', datasets: [] } }, {
      ...api,
      times: 1,
      check: (req) => {
        expectApi(req);
        expect(req.query.get('maxResults')).toBe('1');
      },
    });

    const source = open({ projectId: BILLING, dataProjectId: DATA, location: 'EU' });
    await expect(source.test()).resolves.toBeUndefined();
    await source.close();

    expect(job.calls).toHaveLength(1);
    expect(datasets.calls).toHaveLength(1);
    // One token exchange, signed with the key, for the BigQuery scope; every API call used its token.
    const exchanges = server.requests.filter((r) => r.path === '/token');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(exchanges[0]!.form?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(server.apiRequests.every((r) => r.caller?.via === 'access_token')).toBe(true);
  });

  test('BigQuery contract: listSchemas pages through datasets.list of the data project', async () => {
    server.route('GET', `${BQ}/projects/${DATA}/datasets`, {
      json: { kind: 'bigquery#datasetList', etag: 'e1', nextPageToken: 'page-2', datasets: [
        { kind: 'bigquery#dataset', id: `${DATA}:samples`, datasetReference: { projectId: DATA, datasetId: 'samples' }, location: 'US', type: 'DEFAULT' },
        { kind: 'bigquery#dataset', id: `${DATA}:austin_311`, datasetReference: { projectId: DATA, datasetId: 'austin_311' }, location: 'US', type: 'DEFAULT' },
      ] },
    }, { ...api, times: 1, check: (req) => {
      expectApi(req);
      expect(req.query.get('maxResults')).toBe('1000');
      expect(req.query.has('pageToken')).toBe(false);
    } });
    server.route('GET', `${BQ}/projects/${DATA}/datasets`, {
      json: { kind: 'bigquery#datasetList', etag: 'e2', datasets: [{ kind: 'bigquery#dataset', id: `${DATA}:noaa_gsod`, datasetReference: { projectId: DATA, datasetId: 'noaa_gsod' }, location: 'US' }] },
    }, { ...api, times: 1, check: (req) => expect(req.query.get('pageToken')).toBe('page-2') });

    const source = open({ projectId: BILLING, dataProjectId: DATA });
    await expect(source.listSchemas()).resolves.toEqual(['austin_311', 'noaa_gsod', 'samples']);
  });

  test('BigQuery contract: listTables reads sizes from each table\'s metadata, and views have none', async () => {
    server.route('GET', `${BQ}/projects/${DATA}/datasets/shop/tables`, {
      json: { kind: 'bigquery#tableList', etag: 'e', totalItems: 3, tables: [
        table('shop', 'orders', 'TABLE'),
        table('shop', 'order_totals', 'VIEW', { view: { useLegacySql: false } }),
        table('shop', 'customers', 'TABLE'),
      ] },
    }, { ...api, times: 1, check: (req) => expect(req.query.get('maxResults')).toBe('1000') });
    server.route('GET', `${BQ}/projects/${DATA}/datasets/shop/tables/orders`, {
      json: table('shop', 'orders', 'TABLE', { numRows: '120500', numBytes: '9876543', numLongTermBytes: '0', lastModifiedTime: '1767312000000', schema: ORDERS_SCHEMA }),
    }, { ...api, times: 1 });
    server.route('GET', `${BQ}/projects/${DATA}/datasets/shop/tables/customers`, {
      json: table('shop', 'customers', 'TABLE', { numRows: '42', numBytes: '4096', lastModifiedTime: '1767225600000', schema: { fields: [] } }),
    }, { ...api, times: 1 });
    server.route('GET', `${BQ}/projects/${DATA}/datasets/shop/tables/order_totals`, {
      json: table('shop', 'order_totals', 'VIEW', { numRows: '0', numBytes: '0', lastModifiedTime: '1767225600000', view: { query: 'SELECT 1', useLegacySql: false } }),
    }, { ...api, times: 1 });

    const source = open({ projectId: BILLING, dataProjectId: DATA });
    await expect(source.listTables('shop')).resolves.toEqual([
      { name: 'customers', kind: 'table', rowCount: 42, sizeBytes: 4096, lastModified: '2026-01-01T00:00:00.000Z' },
      { name: 'order_totals', kind: 'view', rowCount: undefined, sizeBytes: undefined, lastModified: '2026-01-01T00:00:00.000Z' },
      { name: 'orders', kind: 'table', rowCount: 120500, sizeBytes: 9876543, lastModified: '2026-01-02T00:00:00.000Z' },
    ]);
  });

  test('BigQuery contract: preview maps the schema from table metadata and reads the first rows with tabledata.list', async () => {
    server.route('GET', `${BQ}/projects/${DATA}/datasets/shop/tables/orders`, {
      json: table('shop', 'orders', 'TABLE', { numRows: '2', schema: ORDERS_SCHEMA, tableConstraints: { primaryKey: { columns: ['order_id'] } } }),
    }, { ...api, times: 1 });
    server.route('GET', `${BQ}/projects/${DATA}/datasets/shop/tables/orders/data`, {
      json: {
        kind: 'bigquery#tableDataList',
        etag: 'e',
        totalRows: '2',
        pageToken: 'next',
        rows: [
          { f: [{ v: '1' }, { v: 'Ada' }, { v: '12.50' }, { v: '1767225600123456' }, { v: [{ v: 'new' }, { v: 'gift' }] }, { v: { f: [{ v: 'Berlin' }, { v: '10115' }] } }, { v: '{"channel":"web"}' }, { v: 'true' }, { v: '2026-01-01' }] },
          { f: [{ v: '9007199254740993' }, { v: null }, { v: null }, { v: null }, { v: [] }, { v: null }, { v: null }, { v: 'false' }, { v: null }] },
        ],
      },
    }, {
      ...api,
      times: 1,
      check: (req) => {
        expectApi(req);
        expect(req.query.get('maxResults')).toBe('2');
        expect(req.query.get('formatOptions.useInt64Timestamp')).toBe('true');
      },
    });

    const source = open({ projectId: BILLING, dataProjectId: DATA });
    const preview = await source.preview({ schema: 'shop', table: 'orders' }, { limit: 2 });

    expect(preview.rows).toEqual([
      { order_id: 1, customer: 'Ada', amount: '12.5', created_at: '2026-01-01T00:00:00.123456000Z', tags: ['new', 'gift'], address: { city: 'Berlin', zip: '10115' }, payload: { channel: 'web' }, paid: true, day: '2026-01-01' },
      { order_id: '9007199254740993', customer: null, amount: null, created_at: null, tags: [], address: null, payload: null, paid: false, day: null },
    ]);
    const byName = Object.fromEntries(preview.columns.map((c) => [c.name, c]));
    expect(preview.columns.map((c) => c.name)).toEqual(ORDERS_SCHEMA.fields.map((f) => f.name));
    expect(byName.order_id).toMatchObject({ sourceType: 'INTEGER', nullable: false, primaryKey: true, suggested: { type: 'INT64' }, samples: [1, '9007199254740993'] });
    expect(byName.customer).toMatchObject({ sourceType: 'STRING(80)', nullable: true, primaryKey: false, suggested: { type: 'STRING' } });
    expect(byName.amount).toMatchObject({ sourceType: 'NUMERIC(10, 2)', suggested: { type: 'NUMERIC' } });
    expect(byName.created_at).toMatchObject({ sourceType: 'TIMESTAMP', timestampCandidate: true, suggested: { type: 'TIMESTAMP' } });
    expect(byName.day).toMatchObject({ timestampCandidate: true, suggested: { type: 'DATE' } });
    expect(byName.tags).toMatchObject({ sourceType: 'ARRAY<STRING>', suggested: { type: 'JSON', repeated: true } });
    expect(byName.address).toMatchObject({ sourceType: 'STRUCT', suggested: { type: 'JSON' } });
    expect(byName.paid).toMatchObject({ suggested: { type: 'BOOL' }, timestampCandidate: false, samples: [true, false] });
  });

  test('BigQuery contract: a view is previewed from its schema without listing rows', async () => {
    server.route('GET', `${BQ}/projects/${DATA}/datasets/shop/tables/order_totals`, {
      json: table('shop', 'order_totals', 'VIEW', { schema: { fields: [{ name: 'day', type: 'DATE' }, { name: 'total', type: 'BIGNUMERIC' }] }, view: { query: 'SELECT …', useLegacySql: false } }),
    }, { ...api, times: 1 });
    const preview = await open({ projectId: BILLING, dataProjectId: DATA }).preview({ schema: 'shop', table: 'order_totals' });
    expect(preview.rows).toEqual([]);
    expect(preview.columns.map((c) => [c.name, c.suggested.type])).toEqual([['day', 'DATE'], ['total', 'BIGNUMERIC']]);
  });

  test('BigQuery contract: 404 is not_found, 403 permission_denied, a disabled API permission_denied with the fix, 401 auth_failed', async () => {
    server.route('GET', `${BQ}/projects/${DATA}/datasets/nope/tables`, googleError(404, `Not found: Dataset ${DATA}:nope`), { ...api, times: 1 });
    server.route('GET', `${BQ}/projects/${DATA}/datasets/secret/tables`, googleError(403, `Access Denied: Dataset ${DATA}:secret: Permission bigquery.tables.list denied on dataset ${DATA}:secret (or it may not exist).`, { reason: 'accessDenied' }), { ...api, times: 1 });
    server.route('GET', `${BQ}/projects/${DATA}/datasets`, googleError(403, `BigQuery API has not been used in project ${DATA} before or it is disabled.`, { reason: 'accessNotConfigured', errorInfoReason: 'SERVICE_DISABLED' }), { ...api, times: 1 });
    server.route('POST', `${BQ}/projects/${BILLING}/jobs`, googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'), { ...api, times: 1 });
    const source = open({ projectId: BILLING, dataProjectId: DATA });

    const missing = await source.listTables('nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SourceError);
    expect(missing).toMatchObject({ code: 'not_found', message: expect.stringContaining('dataset nope'), hint: expect.stringContaining('dataset nope') });

    const denied = await source.listTables('secret').catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'permission_denied', hint: expect.stringContaining(`Grant recs-reader@${BILLING}.iam.gserviceaccount.com`) });
    // The error (and its cause, which a logger may print) carries no access token.
    expect(inspect(denied, { depth: 10 })).not.toMatch(/ya29\.|authorization/i);

    await expect(source.listSchemas()).rejects.toMatchObject({ code: 'permission_denied', hint: expect.stringContaining('Enable the BigQuery API') });
    await expect(source.test()).rejects.toMatchObject({ code: 'auth_failed' });
  });

  test('BigQuery contract: a key Google refuses at the token endpoint is auth_failed', async () => {
    server.route('POST', '/token', oauthError('invalid_grant', 'Invalid JWT Signature.'), { auth: false });
    const error = await open({ projectId: BILLING }, { key: server.serviceAccountJson({ projectId: BILLING, email: `revoked@${BILLING}.iam.gserviceaccount.com` }) }).listSchemas().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'auth_failed', message: expect.stringContaining('invalid_grant: Invalid JWT Signature.') });
    // Nor the signed assertion, which is a credential while it lasts.
    expect(inspect(error, { depth: 10 })).not.toMatch(/assertion|eyJ/);
    expect(server.apiRequests).toHaveLength(0);
  });

  test('BigQuery contract: an invalid key is invalid_config before any request', async () => {
    await expect(open({ projectId: BILLING }, { key: '{"type": "service_account", "client_email": "x@y"' }).test()).rejects.toMatchObject({ code: 'invalid_config', message: 'The service-account key is not valid JSON' });
    await expect(open({ projectId: BILLING }, { key: JSON.stringify({ type: 'authorized_user', client_id: 'a', client_secret: 'b', refresh_token: 'c' }) }).listSchemas())
      .rejects.toMatchObject({ code: 'invalid_config' });
    const cut = JSON.parse(keyJson) as { private_key: string };
    cut.private_key = cut.private_key.slice(0, 200);
    await expect(open({ projectId: BILLING }, { key: JSON.stringify(cut) }).listSchemas()).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('not a PEM private key') });
    expect(server.requests).toHaveLength(0);
    expect(bigQueryModule.credentials.safeParse({ serviceAccountJson: 'nope' }).success).toBe(false);
    expect(bigQueryModule.credentials.safeParse({ serviceAccountJson: keyJson }).success).toBe(true);
  });

  test('BigQuery contract: a closed port is unreachable, and a slow answer a timeout', async () => {
    const offline = open({ projectId: BILLING }, { endpoint: `http://127.0.0.1:${await closedPort()}` });
    await expect(offline.listSchemas()).rejects.toMatchObject({ code: 'unreachable', message: expect.stringContaining('refused') });

    server.route('GET', `${BQ}/projects/${BILLING}/datasets`, { json: { datasets: [] }, delayMs: 1_500 }, { ...api, optional: true });
    const started = Date.now();
    await expect(open({ projectId: BILLING }).listSchemas({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1_400);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
  });

  test('BigQuery contract: without endpoint overrides the client goes to Google, and the test guard stops it at the socket', async () => {
    // Production settings: Google's API and token endpoints, whatever the key's token_uri says.
    const source = bigQueryModule.open(bigQueryConfig.parse({ projectId: BILLING }), { serviceAccountJson: keyJson }, { localFilesRoot: '/nonexistent' });
    try {
      await expect(source.listSchemas({ timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'unreachable' });
      expect(isolation.blocked.length).toBeGreaterThan(0);
      expect(new Set(isolation.blocked)).toEqual(new Set(['oauth2.googleapis.com:443']));
      expect(server.requests).toHaveLength(0);
    } finally {
      isolation.blocked.length = 0;
    }
  });

  test('BigQuery contract: the module validates its settings and describes the connection', () => {
    expect(bigQueryConfig.safeParse({ projectId: 'My Shop' }).success).toBe(false);
    expect(bigQueryModule.describe(bigQueryConfig.parse({ projectId: BILLING, dataProjectId: DATA, location: 'EU' }))).toBe(`BigQuery ${DATA} (billed to ${BILLING}), EU`);
    expect(bigQueryModule).toMatchObject({ kind: 'bigquery', group: 'Warehouses' });
    expect(bigQueryModule.host?.(bigQueryConfig.parse({ projectId: BILLING }))).toBe('bigquery.googleapis.com');
  });
});
