import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { extractFiles, type ExtractFile } from '../../shared/src/extract/file-extract.js';
import { TooManyBadRowsError, type ExtractColumn, type ExtractRequest } from '../../shared/src/extract/extract.js';
import { LocalFileStore } from '../../shared/src/sources/files/local-file-store.js';
import { SourceError } from '../../shared/src/sources/source-error.js';
import { REPO } from '../support/processes.js';

const FIXTURES = path.join(REPO, 'test/fixtures/files');
const RETAIL_COLUMNS: ExtractColumn[] = [
  { source: 'InvoiceNo', destination: 'invoice_no', type: 'STRING' },
  { source: 'StockCode', destination: 'stock_code', type: 'STRING' },
  { source: 'Description', destination: 'description', type: 'STRING' },
  { source: 'Quantity', destination: 'quantity', type: 'INT64' },
  { source: 'InvoiceDate', destination: 'invoice_date', type: 'DATETIME' },
  { source: 'UnitPrice', destination: 'unit_price', type: 'NUMERIC' },
  { source: 'CustomerID', destination: 'customer_id', type: 'INT64' },
  { source: 'Country', destination: 'country', type: 'STRING' },
];

let tmp: string;
/** The store's root: the fixtures copied in, and the files the tests write. */
let root: string;
let store: LocalFileStore;
let duck: DuckDBInstance;
let db: DuckDBConnection;

const file = (p: string, gzip = p.endsWith('.gz')): ExtractFile => ({ path: p, size: 0, gzip });

async function request(extra: Partial<ExtractRequest> = {}): Promise<ExtractRequest> {
  return {
    runId: `run-${randomBytes(3).toString('hex')}`,
    columns: RETAIL_COLUMNS,
    stagingDir: await mkdtemp(path.join(tmp, 'staging-')),
    extractedAt: new Date('2026-11-22T10:00:00Z'),
    ...extra,
  };
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

const parquet = (parts: { uri: string }[]) => `read_parquet([${parts.map((p) => `'${p.uri}'`).join(', ')}])`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-extract-files-'));
  root = path.join(tmp, 'store');
  await mkdir(path.join(root, 'retail'), { recursive: true });
  for (const name of ['online_retail_sample.csv', 'online_retail_sample.csv.gz', 'online_retail_sample.jsonl', 'online_retail_sample.json', 'online_retail.parquet', 'online_retail_latin1.csv']) {
    await copyFile(path.join(FIXTURES, name), path.join(root, 'retail', name));
  }
  store = new LocalFileStore(root, 'retail');
  duck = await DuckDBInstance.create(':memory:');
  db = await duck.connect();
  await db.run("SET TimeZone = 'UTC'");
});

afterAll(async () => {
  db?.closeSync();
  duck?.closeSync();
  await rm(tmp, { recursive: true, force: true });
});

describe('extractFiles', () => {
  test('the Online Retail sample CSV becomes a part with every row, renamed, typed as declared, with the run metadata', async () => {
    const req = await request();
    const result = await extractFiles(store, [file('online_retail_sample.csv')], { format: 'csv' }, req);
    expect(result.rows).toBe(2_000);
    expect(result.rejectedCount).toBe(0);
    expect(await readdir(req.stagingDir)).toEqual(['part-00000.parquet']);

    const csv = `read_csv('${path.join(FIXTURES, 'online_retail_sample.csv')}', header = true)`;
    const [source] = await rows(`SELECT count(*) AS n, sum(Quantity) AS q, sum(UnitPrice::DECIMAL(38,9))::VARCHAR AS price, count(DISTINCT CustomerID) AS customers,
                                        max(InvoiceDate::TIMESTAMP) AS last, sum(hash(Description)) AS h FROM ${csv}`);
    const [staged] = await rows(`SELECT count(*) AS n, sum(quantity) AS q, sum(unit_price)::VARCHAR AS price, count(DISTINCT customer_id) AS customers,
                                        max(invoice_date) AS last, sum(hash(description)) AS h, min(_extracted_at) AS at, max(_run_id) AS run FROM ${parquet(result.parts)}`);
    expect(staged).toEqual({ ...source, at: req.extractedAt, run: req.runId });
    const types = await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${parquet(result.parts)})`);
    expect(types.map((t) => [t.column_name, t.column_type])).toEqual([
      ['invoice_no', 'VARCHAR'], ['stock_code', 'VARCHAR'], ['description', 'VARCHAR'], ['quantity', 'BIGINT'], ['invoice_date', 'TIMESTAMP'],
      ['unit_price', 'DECIMAL(38,9)'], ['customer_id', 'BIGINT'], ['country', 'VARCHAR'], ['_extracted_at', 'TIMESTAMP WITH TIME ZONE'], ['_run_id', 'VARCHAR'],
    ]);
  });

  test('gzip, Latin-1, JSON lines and Parquet files load the same rows', async () => {
    const gz = await extractFiles(store, [file('online_retail_sample.csv.gz')], { format: 'csv' }, await request());
    expect(gz.rows).toBe(2_000);

    const latin1 = await extractFiles(store, [file('online_retail_latin1.csv')], { format: 'csv' }, await request());
    expect(latin1.rows).toBe(32);
    const [pound] = await rows(`SELECT count(*) AS n FROM ${parquet(latin1.parts)} WHERE description LIKE '%£%'`);
    expect(Number(pound!.n)).toBe(32);

    const jsonl = await extractFiles(store, [file('online_retail_sample.jsonl')], { format: 'jsonl' }, await request({
      columns: [
        { source: 'invoice', destination: 'invoice_no', type: 'STRING' },
        { source: 'invoiced_at', destination: 'invoiced_at', type: 'TIMESTAMP' },
        { source: 'line', destination: 'line', type: 'JSON' },
        { source: 'customer', destination: 'customer', type: 'JSON' },
      ],
    }));
    expect(jsonl.rows).toBe(300);
    const [first] = await rows(`SELECT invoiced_at, json_extract(line, '$.quantity')::INT AS quantity, customer FROM ${parquet(jsonl.parts)} LIMIT 1`);
    expect(first).toEqual({ invoiced_at: new Date('2010-12-01T08:26:00Z'), quantity: 6, customer: '{"id":17850,"country":"United Kingdom"}' });

    const json = await extractFiles(store, [file('online_retail_sample.json')], { format: 'json' }, await request());
    expect(json.rows).toBe(300);

    const req = await request({ partRows: 200_000 });
    const pq = await extractFiles(store, [file('online_retail.parquet')], { format: 'parquet' }, req);
    expect(pq.rows).toBe(531_282);
    expect(pq.parts.length).toBeGreaterThan(1);
    const [counted] = await rows(`SELECT count(*) AS n, sum(quantity) AS q FROM ${parquet(pq.parts)}`);
    const [source] = await rows(`SELECT count(*) AS n, sum(Quantity) AS q FROM read_parquet('${path.join(FIXTURES, 'online_retail.parquet')}')`);
    expect(counted).toEqual(source);
  });

  test('a window keeps the rows at or after its start, over several files, and gives their maximum', async () => {
    const from = '2010-12-01T12:00:00';
    const result = await extractFiles(store, [file('online_retail_sample.csv'), file('online_retail_sample.csv.gz')], { format: 'csv' },
      await request({ window: { column: 'InvoiceDate', type: 'DATETIME', from } }));
    const [source] = await rows(`SELECT count(*) AS n, strftime(max(InvoiceDate::TIMESTAMP), '%Y-%m-%dT%H:%M:%S') AS max
                                   FROM read_csv('${path.join(FIXTURES, 'online_retail_sample.csv')}', header = true) WHERE InvoiceDate::TIMESTAMP >= '${from}'`);
    expect(result.rows).toBe(2 * Number(source!.n));
    expect(result.maxWindowValue).toBe(source!.max);
  });

  describe('a malformed CSV', () => {
    const name = 'malformed.csv';
    beforeAll(async () => {
      const lines = [
        Buffer.from('InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n'),
        Buffer.from('536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n'),
        // 3: a field too few.
        Buffer.from('536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,United Kingdom\n'),
        // 4: text after a closing quote.
        Buffer.from('536366,22633,"HAND WARMER" UNION JACK,6,2010-12-01 08:28:00,1.85,17850,United Kingdom\n'),
        // 5: bytes that are not UTF-8.
        Buffer.concat([Buffer.from('536367,84879,ASSORTED BIRD '), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from(',32,2010-12-01 08:34:00,1.69,13047,United Kingdom\n')]),
        // 6: a quantity that is not a number.
        Buffer.from('536367,22745,POPPY\'S PLAYHOUSE,six,2010-12-01 08:34:00,2.10,13047,United Kingdom\n'),
        Buffer.from('536368,22960,"JAM MAKING SET, WITH JARS",6,2010-12-01 08:34:00,4.25,13047,"United Kingdom"\n'),
      ];
      await writeFile(path.join(root, 'retail', name), Buffer.concat(lines));
    });

    test('within maxBadRows loads the other rows and lists each reject with its line and column', async () => {
      const result = await extractFiles(store, [file(name)], { format: 'csv', csv: { delimiter: ',', quote: '"', header: true, encoding: 'utf8' } }, await request({ maxBadRows: 4 }));
      expect(result.rows).toBe(2);
      expect(result.rejectedCount).toBe(4);
      expect(result.rejected.map((r) => [r.file, r.line, r.column])).toEqual([
        [name, 3, 'Country'],
        [name, 4, 'Description'],
        [name, 5, 'Description'],
        [name, 6, 'Quantity'],
      ]);
      expect(result.rejected[0]!.reason).toBe('Line 3 of malformed.csv: the line has 7 fields where 8 are expected');
      expect(result.rejected[1]!.reason).toMatch(/^Line 4 of malformed\.csv: column "Description": a quoted value is not closed, or text follows its closing quote/);
      expect(result.rejected[2]!.reason).toMatch(/^Line 5 of malformed\.csv: the line is not valid UTF-8 text/);
      expect(result.rejected[3]).toMatchObject({ value: 'six', reason: 'Line 6 of malformed.csv: column "Quantity": "six" is not a valid INT64' });
      expect(result.rejected[0]!.value).toBe('536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,United Kingdom');
      const loaded = await rows(`SELECT description, quantity FROM ${parquet(result.parts)} ORDER BY invoice_no`);
      expect(loaded).toEqual([{ description: 'WHITE HANGING HEART', quantity: 6n }, { description: 'JAM MAKING SET, WITH JARS', quantity: 6n }]);
    });

    test('over maxBadRows throws TooManyBadRowsError and leaves no parts', async () => {
      const req = await request({ maxBadRows: 3, partRows: 500 });
      const csv = { delimiter: ',', quote: '"', header: true, encoding: 'utf8' } as const;
      const error = await extractFiles(store, [file('online_retail_sample.csv'), file(name)], { format: 'csv', csv }, req).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TooManyBadRowsError);
      expect((error as TooManyBadRowsError).rejectedCount).toBe(4);
      expect((error as TooManyBadRowsError).rejected.map((r) => [r.file, r.line])).toEqual([[name, 3], [name, 4], [name, 5], [name, 6]]);
      expect((error as TooManyBadRowsError).message).toMatch(/^4 rows were rejected, more than the job allows \(3\); nothing was loaded\. The first: Line 3 of malformed\.csv/);
      expect(await readdir(req.stagingDir)).toEqual([]);
    });
  });

  test('a JSON record whose value does not cast is rejected with its number; the other records load', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, qty: i === 20 ? 'many' : i, at: '2024-01-01T00:00:00Z' }));
    await writeFile(path.join(root, 'retail', 'records.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    const columns: ExtractColumn[] = [{ source: 'id', destination: 'id', type: 'INT64' }, { source: 'qty', destination: 'qty', type: 'INT64' }, { source: 'at', destination: 'at', type: 'TIMESTAMP' }];
    const result = await extractFiles(store, [file('records.jsonl')], { format: 'jsonl' }, await request({ columns, maxBadRows: 1 }));
    expect(result.rows).toBe(49);
    expect(result.rejected).toEqual([{ file: 'records.jsonl', line: 21, column: 'qty', value: 'many', reason: 'Record 21 of records.jsonl: column "qty": "many" is not a valid INT64' }]);
  });

  test('a file without a selected column is a not_found SourceError that names the file and the column', async () => {
    const req = await request({ columns: [...RETAIL_COLUMNS, { source: 'Discount', destination: 'discount', type: 'NUMERIC' }] });
    const error = await extractFiles(store, [file('online_retail_sample.csv')], { format: 'csv' }, req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe('not_found');
    expect((error as SourceError).message).toMatch(/online_retail_sample\.csv has no column "Discount"/);
    expect(await readdir(req.stagingDir)).toEqual([]);
  });

  test('cancelling stops the extraction and leaves no part files', async () => {
    // Enough files that the extraction is still going when the cancel comes.
    const files = Array.from({ length: 200 }, () => file('online_retail_sample.csv'));
    const controller = new AbortController();
    const req = await request({ signal: controller.signal, partRows: 500 });
    const started = extractFiles(store, files, { format: 'csv' }, req);
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 150);
    const outcome = await started.catch((e: unknown) => e);
    expect(outcome).toEqual(new Error('cancelled by the test'));
    expect(await readdir(req.stagingDir)).toEqual([]);
  });
});
