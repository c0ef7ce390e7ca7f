import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { firestoreConfig, firestoreModule } from '../../../shared/src/sources/gcp/firestore-module.js';
import type { Source, SourceDeps } from '../../../shared/src/sources/source.js';
import { GcpContractServer, closedPort, googleError, isolateFromGoogle, type ContractRequest, type Isolation } from '../../support/gcp-contract-server.js';

/*
 * Firestore v1 over REST (@google-cloud/firestore with preferRest), per gcp-contracts.md §7:
 * ListCollectionIds for root collections, RunAggregationQuery for count(), RunQuery for the sample.
 * The GAPIC client signs its own JWTs with the key (no token exchange); the server verifies them.
 */

const PROJECT = 'shop-app';
const DATASTORE_SCOPE = 'https://www.googleapis.com/auth/datastore';

let isolation: Isolation;
let server: GcpContractServer;
let keyJson: string;
const opened: Source[] = [];

function open(config: Record<string, unknown> = { projectId: PROJECT }, endpoint?: string): Source {
  const deps: SourceDeps = { localFilesRoot: '/nonexistent', gcpEndpoints: { firestore: endpoint ?? server.url } };
  const source = firestoreModule.open(firestoreConfig.parse(config), { serviceAccountJson: keyJson }, deps);
  opened.push(source);
  return source;
}

const root = (database = '(default)') => `/v1/projects/${PROJECT}/databases/${database}/documents`;

/** What every Firestore call carries: a JWT the key signed for the datastore scope, and the database header. */
function expectApi(req: ContractRequest, database = '(default)'): void {
  expect(req.caller).toMatchObject({ email: `recs-reader@${PROJECT}.iam.gserviceaccount.com`, via: 'self_signed_jwt' });
  expect(req.caller?.scopes).toContain(DATASTORE_SCOPE);
  expect(req.headers['google-cloud-resource-prefix']).toBe(`projects/${PROJECT}/databases/${database}`);
  expect(decodeURIComponent(String(req.headers['x-goog-request-params']))).toBe(`parent=projects/${PROJECT}/databases/${database}/documents`);
  expect(req.query.get('$alt')).toBe('json;enum-encoding=int');
}

const api = { scopes: [DATASTORE_SCOPE], check: (req: ContractRequest) => expectApi(req) };

/** A count's answer, under the alias the client asked for. */
const countReply = (count: number) => (req: ContractRequest) => ({
  json: [{ result: { aggregateFields: { [req.json.structuredAggregationQuery.aggregations[0].alias]: { integerValue: String(count) } } }, readTime: '2026-11-22T10:00:00.000001Z' }],
});

const document = (collection: string, id: string, fields: Record<string, unknown>) => ({
  document: { name: `projects/${PROJECT}/databases/(default)/documents/${collection}/${id}`, fields, createTime: '2026-01-01T00:00:00.000001Z', updateTime: '2026-01-02T00:00:00.000002Z' },
  readTime: '2026-11-22T10:00:00.000001Z',
});

beforeAll(async () => {
  isolation = isolateFromGoogle();
  server = await GcpContractServer.start();
  keyJson = server.serviceAccountJson({ projectId: PROJECT });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((source) => source.close()));
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

describe('Firestore contract', () => {
  test('Firestore contract: test lists the root collections with a self-signed JWT', async () => {
    const list = server.route('POST', `${root()}:listCollectionIds`, { json: { collectionIds: ['orders'] } }, { ...api, times: 1 });
    await expect(open().test()).resolves.toBeUndefined();
    expect(list.calls[0]!.json).toEqual({});
    expect(server.requests.some((r) => r.path === '/token')).toBe(false);
  });

  test('Firestore contract: listSchemas is the database; listTables pages root collections and counts each by aggregation', async () => {
    server.route('POST', `${root('shop-eu')}:listCollectionIds`, { json: { collectionIds: ['orders', 'customers'], nextPageToken: 'p2' } }, {
      ...api, times: 1, check: (req) => expectApi(req, 'shop-eu'),
    });
    server.route('POST', `${root('shop-eu')}:listCollectionIds`, { json: { collectionIds: ['events'] } }, {
      ...api, times: 1, check: (req) => {
        expectApi(req, 'shop-eu');
        expect(req.json).toEqual({ pageToken: 'p2' });
      },
    });
    const counts: Record<string, number> = { orders: 1200, customers: 42, events: 0 };
    const count = server.route('POST', `${root('shop-eu')}:runAggregationQuery`, (req) => countReply(counts[req.json.structuredAggregationQuery.structuredQuery.from[0].collectionId]!)(req), {
      ...api,
      times: 3,
      check: (req) => {
        expectApi(req, 'shop-eu');
        const { aggregations, structuredQuery } = req.json.structuredAggregationQuery;
        expect(aggregations).toEqual([{ count: {}, alias: expect.any(String) }]);
        expect(structuredQuery).toEqual({ from: [{ collectionId: expect.any(String) }] });
      },
    });

    const source = open({ projectId: PROJECT, databaseId: 'shop-eu' });
    await expect(source.listSchemas()).resolves.toEqual(['shop-eu']);
    await expect(source.listTables('shop-eu')).resolves.toEqual([
      { name: 'customers', kind: 'collection', rowCount: 42 },
      { name: 'events', kind: 'collection', rowCount: 0 },
      { name: 'orders', kind: 'collection', rowCount: 1200 },
    ]);
    expect(count.calls.map((r) => r.json.structuredAggregationQuery.structuredQuery.from[0].collectionId).sort()).toEqual(['customers', 'events', 'orders']);
    await expect(source.listTables('(default)')).rejects.toMatchObject({ code: 'not_found' });
  });

  test('Firestore contract: a count that misses the time limit leaves the collection without a count', async () => {
    server.route('POST', `${root()}:listCollectionIds`, { json: { collectionIds: ['huge', 'small'] } }, { ...api, times: 1 });
    server.route('POST', `${root()}:runAggregationQuery`, (req) => {
      const id = req.json.structuredAggregationQuery.structuredQuery.from[0].collectionId;
      return { ...countReply(id === 'huge' ? 90_000_000 : 7)(req), delayMs: id === 'huge' ? 2_000 : 0 };
    }, { ...api, times: 2 });

    const started = Date.now();
    await expect(open().listTables('(default)', { timeoutMs: 1_000 })).resolves.toEqual([
      { name: 'huge', kind: 'collection', rowCount: undefined },
      { name: 'small', kind: 'collection', rowCount: 7 },
    ]);
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
  });

  test('Firestore contract: preview infers columns from the union of the sampled documents\' fields', async () => {
    const query = server.route('POST', `${root()}:runQuery`, {
      json: [
        document('orders', 'o1', {
          status: { stringValue: 'paid' },
          qty: { integerValue: '3' },
          total: { doubleValue: 12.5 },
          created_at: { timestampValue: '2026-01-01T10:00:00.123456Z' },
          items: { arrayValue: { values: [{ stringValue: 'sku-1' }, { stringValue: 'sku-2' }] } },
          shipping: { mapValue: { fields: { city: { stringValue: 'Berlin' }, express: { booleanValue: true } } } },
          location: { geoPointValue: { latitude: 52.52, longitude: 13.405 } },
          customer: { referenceValue: `projects/${PROJECT}/databases/(default)/documents/customers/c1` },
          note: { nullValue: null },
        }),
        document('orders', 'o2', {
          status: { stringValue: 'open' },
          qty: { integerValue: '9007199254740993' },
          total: { doubleValue: 7.25 },
          created_at: { timestampValue: '2026-01-02T00:00:00Z' },
          items: { arrayValue: {} },
          coupon: { stringValue: 'WINTER' },
        }),
        { readTime: '2026-11-22T10:00:00.000001Z' },
      ],
    }, {
      ...api,
      times: 1,
      check: (req) => {
        expectApi(req);
        expect(req.json).toEqual({ structuredQuery: { from: [{ collectionId: 'orders' }], limit: 50 } });
      },
    });

    const preview = await open().preview({ collection: 'orders', sampleSize: 50 }, { limit: 1 });
    expect(query.calls).toHaveLength(1);

    expect(preview.columns.map((c) => c.name)).toEqual(['document_id', 'status', 'qty', 'total', 'created_at', 'items', 'shipping', 'location', 'customer', 'note', 'coupon']);
    const byName = Object.fromEntries(preview.columns.map((c) => [c.name, c]));
    expect(byName.document_id).toMatchObject({ primaryKey: true, nullable: false, suggested: { type: 'STRING' }, samples: ['o1', 'o2'] });
    expect(byName.status).toMatchObject({ sourceType: 'string', nullable: false, suggested: { type: 'STRING' } });
    expect(byName.qty).toMatchObject({ sourceType: 'integer', suggested: { type: 'INT64' }, samples: [3, '9007199254740993'] });
    expect(byName.created_at).toMatchObject({ sourceType: 'timestamp', timestampCandidate: true, suggested: { type: 'TIMESTAMP' }, samples: ['2026-01-01T10:00:00.123456Z', '2026-01-02T00:00:00Z'] });
    expect(byName.items).toMatchObject({ sourceType: 'array', suggested: { type: 'JSON', repeated: true } });
    expect(byName.shipping).toMatchObject({ sourceType: 'map', nullable: true, suggested: { type: 'JSON' } });
    expect(byName.location).toMatchObject({ sourceType: 'geopoint', suggested: { type: 'GEOGRAPHY' }, samples: ['POINT(13.405 52.52)'] });
    expect(byName.customer).toMatchObject({ sourceType: 'reference', suggested: { type: 'STRING' }, samples: ['customers/c1'] });
    expect(byName.note).toMatchObject({ sourceType: 'null', nullable: true });
    expect(byName.coupon).toMatchObject({ nullable: true, samples: ['WINTER'] });

    expect(preview.rows).toEqual([{
      document_id: 'o1', status: 'paid', qty: 3, total: 12.5, created_at: '2026-01-01T10:00:00.123456Z', items: ['sku-1', 'sku-2'],
      shipping: { city: 'Berlin', express: true }, location: 'POINT(13.405 52.52)', customer: 'customers/c1', note: null, coupon: null,
    }]);
  });

  test('Firestore contract: a collection without documents is not_found', async () => {
    server.route('POST', `${root()}:runQuery`, { json: [{ readTime: '2026-11-22T10:00:00Z' }] }, {
      ...api, times: 1, check: (req) => expect(req.json.structuredQuery.limit).toBe(100),
    });
    await expect(open().preview({ collection: 'ordrs' })).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('ordrs') });
  });

  test('Firestore contract: a missing database is not_found, 403 permission_denied, Datastore mode invalid_config, 401 auth_failed', async () => {
    server.route('POST', `${root('gone')}:listCollectionIds`, googleError(404, `The database gone does not exist for project ${PROJECT} Please visit https://console.cloud.google.com/datastore/setup?project=${PROJECT} to add a Cloud Datastore or Cloud Firestore database.`), {
      ...api, check: (req) => expectApi(req, 'gone'),
    });
    server.route('POST', `${root()}:listCollectionIds`, googleError(403, 'Missing or insufficient permissions.'), { ...api, times: 1 });
    server.route('POST', `${root()}:listCollectionIds`, googleError(400, `The Cloud Firestore API is not available for Firestore in Datastore Mode database projects/${PROJECT}/databases/(default).`, { status: 'FAILED_PRECONDITION' }), { ...api, times: 1 });
    server.route('POST', `${root()}:listCollectionIds`, googleError(401, 'Request had invalid authentication credentials.'), { ...api, times: 1 });

    await expect(open({ projectId: PROJECT, databaseId: 'gone' }).test()).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('database gone') });
    await expect(open().test()).rejects.toMatchObject({ code: 'permission_denied', hint: expect.stringContaining('roles/datastore.viewer') });
    await expect(open().test()).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('Datastore mode') });
    await expect(open().test()).rejects.toMatchObject({ code: 'auth_failed' });
  });

  test('Firestore contract: a closed port is unreachable', async () => {
    const error = await open({ projectId: PROJECT }, `http://127.0.0.1:${await closedPort()}`).test().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unreachable', message: expect.stringContaining('refused') });
  }, 15_000);

  test('Firestore contract: the module defaults to the (default) database', () => {
    expect(firestoreConfig.parse({ projectId: PROJECT })).toEqual({ projectId: PROJECT, databaseId: '(default)' });
    expect(firestoreConfig.safeParse({ projectId: PROJECT, databaseId: 'Bad_DB' }).success).toBe(false);
    expect(firestoreModule).toMatchObject({ kind: 'firestore', group: 'NoSQL' });
    expect(firestoreModule.describe(firestoreConfig.parse({ projectId: PROJECT, databaseId: 'shop-eu' }))).toBe(`Firestore ${PROJECT}/shop-eu`);
  });
});
