import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { azureBlobModule } from '../../shared/src/sources/azure-blob-module.js';
import { localFilesModule } from '../../shared/src/sources/local-files-module.js';
import { s3Module } from '../../shared/src/sources/s3-module.js';
import { SourceError } from '../../shared/src/sources/source-error.js';
import type { Source, SourceDeps } from '../../shared/src/sources/source.js';
import { FileSource } from '../../shared/src/sources/files/file-source.js';
import type { FileStore } from '../../shared/src/sources/files/file-store.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { freePort, REPO } from '../support/processes.js';
import { startS3rver, type S3rver } from '../support/s3rver.js';

const FIXTURES = path.join(REPO, 'test/fixtures/files');
const BUCKET = 'retail';
const CONTAINER = 'retail';
const PREFIX = 'exports';

let s3rver: S3rver;
let azurite: Azurite;
let tmp: string;
let deps: SourceDeps;
const opened: Source[] = [];

/** Opens a connection through its module, parsing settings and secrets as the platform does. */
function open(kind: 'local_files' | 's3' | 'azure_blob', config: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}): Source {
  let source: Source;
  if (kind === 's3') {
    source = s3Module.open(
      s3Module.config.parse({ bucket: BUCKET, prefix: PREFIX, endpoint: s3rver.endpoint, forcePathStyle: true, ...config }),
      s3Module.credentials.parse({ accessKeyId: s3rver.accessKeyId, secretAccessKey: s3rver.secretAccessKey, ...credentials }),
      deps,
    );
  } else if (kind === 'azure_blob') {
    source = azureBlobModule.open(
      azureBlobModule.config.parse({ account: azurite.account, container: CONTAINER, prefix: PREFIX, endpoint: azurite.endpoint, ...config }),
      azureBlobModule.credentials.parse(Object.keys(credentials).length ? credentials : { accountKey: azurite.accountKey }),
      deps,
    );
  } else {
    source = localFilesModule.open(localFilesModule.config.parse({ path: `${BUCKET}/${PREFIX}`, ...config }), localFilesModule.credentials.parse(credentials), deps);
  }
  opened.push(source);
  return source;
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(error)}`);
  return error;
}

/** A server that accepts connections and never answers: a firewall that drops, or a hung store. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

beforeAll(async () => {
  [s3rver, azurite] = await Promise.all([startS3rver(), startAzurite()]);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-file-sources-'));
  deps = { localFilesRoot: path.join(tmp, 'root') };

  const names = (await readdir(FIXTURES)).filter((name) => name !== 'README.md');
  const files = await Promise.all(names.map(async (name) => ({ name, body: await readFile(path.join(FIXTURES, name)) })));
  // The gzipped sample is also stored without its .gz suffix: gzip is found by its magic bytes.
  const gzipped = files.find((file) => file.name === 'online_retail_sample.csv.gz')!;
  files.push({ name: 'nested/renamed_sample.csv', body: gzipped.body });
  // A head bigger than what a preview reads, to see that only the head is fetched.
  const sample = files.find((file) => file.name === 'online_retail_sample.csv')!;
  files.push({ name: 'large/online_retail_x12.csv', body: Buffer.concat([sample.body, ...Array.from({ length: 11 }, () => sample.body.subarray(sample.body.indexOf('\n') + 1))]) });
  files.push({ name: 'empty/orders.csv', body: Buffer.alloc(0) });

  const local = path.join(deps.localFilesRoot, BUCKET, PREFIX);
  for (const file of files) {
    await mkdir(path.dirname(path.join(local, file.name)), { recursive: true });
    await writeFile(path.join(local, file.name), file.body);
  }

  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: s3rver.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3rver.accessKeyId, secretAccessKey: s3rver.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await Promise.all(files.map((file) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${file.name}`, Body: file.body }))));
  s3.destroy();

  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER);
  await container.create();
  await Promise.all(files.map((file) => container.getBlockBlobClient(`${PREFIX}/${file.name}`).uploadData(file.body)));
}, 120_000);

afterAll(async () => {
  await Promise.all(opened.map((source) => source.close()));
  await Promise.all([s3rver?.stop(), azurite?.stop()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.each(['local_files', 's3', 'azure_blob'] as const)('%s', (kind) => {
  test('the connection test passes, and files are listed with their format', async () => {
    const source = open(kind);
    await source.test();
    const csv = await source.listFiles!('', '*.csv');
    expect(csv.map((f) => f.path)).toEqual(['online_retail_latin1.csv', 'online_retail_noheader.csv', 'online_retail_sample.csv', 'online_retail_semicolon.csv']);
    expect(csv[2]).toMatchObject({ format: 'csv', gzip: false, size: 174_973 });
    const gz = await source.listFiles!('/', '**/*.gz');
    expect(gz).toEqual([expect.objectContaining({ path: 'online_retail_sample.csv.gz', format: 'csv', gzip: true })]);
    const json = await source.listFiles!('', '*.{json,jsonl}');
    expect(json.map((f) => [f.path, f.format])).toEqual([['online_retail_sample.json', 'json'], ['online_retail_sample.jsonl', 'jsonl']]);
    expect((await source.listFiles!('nested/', '*')).map((f) => f.path)).toEqual(['nested/renamed_sample.csv']);
  });

  test('a comma CSV previews with typed columns, samples and the dialect found', async () => {
    const preview = await open(kind).preview({ path: 'online_retail_sample.csv' });
    expect(preview.csv).toEqual({ delimiter: ',', quote: '"', header: true, encoding: 'utf8', gzip: false });
    const types = Object.fromEntries(preview.columns.map((c) => [c.name, c.suggested.type]));
    expect(types).toMatchObject({ InvoiceNo: 'INT64', Quantity: 'INT64', InvoiceDate: 'DATETIME', UnitPrice: 'NUMERIC', Country: 'STRING' });
    expect(preview.columns.find((c) => c.name === 'InvoiceDate')).toMatchObject({ sourceType: 'text', timestampCandidate: true, samples: expect.arrayContaining(['2010-12-01 08:26:00']) });
    expect(preview.rows).toHaveLength(20);
    expect(preview.rows[0]).toEqual({ InvoiceNo: '536365', StockCode: '85123A', Description: 'WHITE HANGING HEART T-LIGHT HOLDER', Quantity: '6', InvoiceDate: '2010-12-01 08:26:00', UnitPrice: '2.55', CustomerID: '17850', Country: 'United Kingdom' });
  });

  test('a semicolon CSV with decimal commas is read with its own delimiter', async () => {
    const preview = await open(kind).preview({ path: 'online_retail_semicolon.csv' }, { limit: 5 });
    expect(preview.csv).toMatchObject({ delimiter: ';', header: true });
    expect(preview.rows).toHaveLength(5);
    expect(preview.rows[0]).toMatchObject({ Description: 'WHITE HANGING HEART T-LIGHT HOLDER', UnitPrice: '2,55' });
  });

  test('a gzipped CSV is inflated, found by its magic bytes whatever its name', async () => {
    const source = open(kind);
    const named = await source.preview({ path: 'online_retail_sample.csv.gz' });
    expect(named.csv).toMatchObject({ delimiter: ',', header: true, gzip: true });
    const renamed = await source.preview({ path: 'nested', pattern: '*.csv' });
    expect(renamed.csv?.gzip).toBe(true);
    expect(renamed.rows).toEqual(named.rows);
  });

  test('a header-less CSV gets positional column names', async () => {
    const preview = await open(kind).preview({ path: 'online_retail_noheader.csv' });
    expect(preview.csv?.header).toBe(false);
    expect(preview.columns.map((c) => c.name)).toEqual(['column_1', 'column_2', 'column_3', 'column_4', 'column_5', 'column_6', 'column_7', 'column_8']);
    expect(preview.rows[0]).toMatchObject({ column_1: '536365', column_8: 'United Kingdom' });
    const overridden = await open(kind).preview({ path: 'online_retail_noheader.csv', csv: { header: true } }, { limit: 1 });
    expect(overridden.columns[0]?.name).toBe('536365');
  });

  test('a Latin-1 CSV is decoded as Latin-1', async () => {
    const preview = await open(kind).preview({ path: 'online_retail_latin1.csv' });
    expect(preview.csv?.encoding).toBe('latin1');
    expect(preview.rows[0]?.Description).toBe('Dotcomgiftshop Gift Voucher £40.00');
  });

  test('Parquet previews from its footer, with Parquet types first and text inferred', async () => {
    const preview = await open(kind).preview({ path: 'online_retail.parquet' }, { limit: 10 });
    expect(preview.csv).toBeUndefined();
    const column = (name: string) => preview.columns.find((c) => c.name === name)!;
    expect(column('InvoiceNo')).toMatchObject({ sourceType: 'INT64', nullable: true, suggested: { type: 'INT64', confidence: 1 } });
    expect(column('UnitPrice')).toMatchObject({ sourceType: 'DOUBLE', suggested: { type: 'FLOAT64' } });
    expect(column('StockCode')).toMatchObject({ sourceType: 'BYTE_ARRAY STRING', suggested: { type: 'STRING' } });
    expect(column('InvoiceDate')).toMatchObject({ sourceType: 'BYTE_ARRAY STRING', suggested: { type: 'DATETIME' }, timestampCandidate: true });
    expect(preview.rows).toHaveLength(10);
    expect(preview.rows[0]).toMatchObject({ InvoiceNo: '536365', StockCode: '85123A', Quantity: '6', UnitPrice: 2.55, Country: 'United Kingdom' });
  });

  test('a JSON array of objects previews as columns', async () => {
    const preview = await open(kind).preview({ path: 'online_retail_sample.json' });
    expect(preview.columns.map((c) => c.name)).toEqual(['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']);
    expect(preview.columns.find((c) => c.name === 'Quantity')).toMatchObject({ sourceType: 'number', suggested: { type: 'INT64' } });
    expect(preview.rows[0]).toMatchObject({ InvoiceNo: '536365', Quantity: 6, UnitPrice: 2.55, CustomerID: 17850 });
  });

  test('JSONL with nested objects gives JSON columns and a timestamp candidate', async () => {
    const preview = await open(kind).preview({ path: 'online_retail_sample.jsonl' }, { limit: 3 });
    const column = (name: string) => preview.columns.find((c) => c.name === name)!;
    expect(preview.columns.map((c) => c.name)).toEqual(['invoice', 'invoiced_at', 'line', 'customer']);
    expect(column('line')).toMatchObject({ sourceType: 'object', suggested: { type: 'JSON' } });
    expect(column('customer').suggested.type).toBe('JSON');
    expect(column('invoiced_at')).toMatchObject({ suggested: { type: 'TIMESTAMP' }, timestampCandidate: true });
    expect(preview.rows).toHaveLength(3);
    expect(preview.rows[0]).toMatchObject({ line: { stock_code: '85123A', quantity: 6 }, customer: { id: 17850, country: 'United Kingdom' } });
  });

  test('an empty file previews as no columns and no rows', async () => {
    expect(await open(kind).preview({ path: 'empty/orders.csv' })).toMatchObject({ columns: [], rows: [] });
  });

  test('a preview reads only the head of a large CSV', async () => {
    const ranges: { start?: number; end?: number }[] = [];
    // The module's store, wrapped to record the ranges the preview asks for.
    const store = (open(kind) as unknown as { store: FileStore }).store;
    const counting: FileStore = {
      check: (o) => store.check(o),
      list: (p, o) => store.list(p, o),
      read: (p, o) => {
        ranges.push({ start: o?.start, end: o?.end });
        return store.read(p, o);
      },
      close: () => store.close(),
    };
    const preview = await new FileSource(kind, counting, 'counting').preview({ path: 'large/online_retail_x12.csv' }, { limit: 1000 });
    expect(ranges).toEqual([{ start: 0, end: 512 * 1024 - 1 }]);
    expect(preview.rows).toHaveLength(1000);
  });
});

describe('errors a person can act on', () => {
  test('S3: a wrong secret key is auth_failed, a missing bucket not_found, a closed port unreachable', async () => {
    const wrongKey = await failure(open('s3', {}, { secretAccessKey: 'not-the-secret' }).test());
    expect(wrongKey).toMatchObject({ code: 'auth_failed', hint: expect.stringContaining('secret access key') });
    const wrongId = await failure(open('s3', {}, { accessKeyId: 'AKIAWRONG' }).test());
    expect(wrongId.code).toBe('auth_failed');
    const missing = await failure(open('s3', { bucket: 'no-such-bucket' }).test());
    expect(missing).toMatchObject({ code: 'not_found', message: expect.stringContaining('no-such-bucket') });
    const noFolder = await failure(open('s3', { prefix: 'imports' }).test());
    expect(noFolder.code).toBe('not_found');
    const missingFile = await failure(open('s3').preview({ path: 'missing.csv' }));
    expect(missingFile.code).toBe('not_found');
    const closed = await failure(open('s3', { endpoint: `http://127.0.0.1:${await freePort()}` }).test());
    expect(closed).toMatchObject({ code: 'unreachable', message: expect.stringContaining('refused') });
  });

  test('Azure: a wrong account key is auth_failed, a missing container not_found, a closed port unreachable', async () => {
    const wrongKey = await failure(open('azure_blob', {}, { accountKey: Buffer.from('not-the-key').toString('base64') }).test());
    expect(wrongKey).toMatchObject({ code: 'auth_failed', hint: expect.stringContaining('key') });
    const missing = await failure(open('azure_blob', { container: 'no-such-container' }).test());
    expect(missing).toMatchObject({ code: 'not_found', message: expect.stringContaining('no-such-container') });
    const closed = await failure(open('azure_blob', { endpoint: `http://127.0.0.1:${await freePort()}/${azurite.account}` }).test());
    expect(closed.code).toBe('unreachable');
  });

  test('Azure: a connection string works, and one for another endpoint is refused before any call', async () => {
    await open('azure_blob', {}, { connectionString: azurite.connectionString }).test();
    const elsewhere = azurite.connectionString.replace(azurite.endpoint, 'https://evil.example.com/devstoreaccount1');
    expect(() => open('azure_blob', {}, { connectionString: elsewhere })).toThrow(expect.objectContaining({ code: 'invalid_config' }));
  });

  test('a store that never answers fails with timeout within the time limit', async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      const s3 = await failure(open('s3', { endpoint: `http://127.0.0.1:${silent.port}` }).test({ timeoutMs: 500 }));
      const azure = await failure(open('azure_blob', { endpoint: `http://127.0.0.1:${silent.port}/${azurite.account}` }).test({ timeoutMs: 500 }));
      expect([s3.code, azure.code]).toEqual(['timeout', 'timeout']);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await silent.close();
    }
  });

  test('local files: a folder missing under the root is not_found', async () => {
    expect((await failure(open('local_files', { path: 'initech' }).test())).code).toBe('not_found');
    expect(() => localFilesModule.config.parse({ path: '../etc' })).toThrow();
  });

  test('the modules describe a connection and name the host the network guard checks', () => {
    const s3 = s3Module.config.parse({ bucket: 'sales', prefix: 'exports', region: 'eu-west-1' });
    expect(s3Module.host!(s3)).toBe('sales.s3.eu-west-1.amazonaws.com');
    expect(s3Module.describe(s3)).toBe('s3://sales/exports/ (eu-west-1)');
    const azure = azureBlobModule.config.parse({ account: 'acmedata', container: 'exports' });
    expect(azureBlobModule.host!(azure)).toBe('acmedata.blob.core.windows.net');
    expect(azureBlobModule.credentials.safeParse({ accountKey: 'a', sasToken: 'b' }).success).toBe(false);
    expect(localFilesModule.host!(localFilesModule.config.parse({}))).toBeUndefined();
  });
});
