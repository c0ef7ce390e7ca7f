import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { extractPostgres } from '../../shared/src/extract/postgres-extract.js';
import { TooManyBadRowsError, type ExtractColumn, type ExtractProgress, type ExtractRequest } from '../../shared/src/extract/extract.js';
import type { PostgresConfig } from '../../shared/src/sources/postgres-source.js';
import { SourceError } from '../../shared/src/sources/source-error.js';
import { ensurePagila, PAGILA_DB, pagilaUrl } from '../support/fixtures.js';
import { SERVER_DATABASE_URL } from '../support/test-env.js';

const SCRATCH_DB = `recs_test_extract_${randomBytes(4).toString('hex')}`;
const server = new URL(SERVER_DATABASE_URL);
const config = (database: string): PostgresConfig => ({
  host: server.hostname,
  port: Number(server.port || 5432),
  database,
  user: decodeURIComponent(server.username || 'postgres'),
  sslMode: 'disable',
});
const PASSWORD = decodeURIComponent(server.password);

const RENTAL_COLUMNS: ExtractColumn[] = [
  { source: 'rental_id', destination: 'rental_id', type: 'INT64' },
  { source: 'rental_date', destination: 'rented_at', type: 'TIMESTAMP' },
  { source: 'inventory_id', destination: 'inventory_id', type: 'INT64' },
  { source: 'customer_id', destination: 'customer', type: 'INT64' },
  { source: 'return_date', destination: 'returned_at', type: 'TIMESTAMP' },
  { source: 'staff_id', destination: 'staff_id', type: 'INT64' },
];

let tmp: string;
let pagila: pg.Client;
let scratch: pg.Client;
let duck: DuckDBInstance;
let db: DuckDBConnection;

/** A request into a fresh staging folder of the test's temp dir. */
async function request(extra: Partial<ExtractRequest> = {}): Promise<ExtractRequest> {
  return {
    runId: `run-${randomBytes(3).toString('hex')}`,
    columns: RENTAL_COLUMNS,
    stagingDir: await mkdtemp(path.join(tmp, 'staging-')),
    extractedAt: new Date('2026-11-22T10:00:00.123Z'),
    ...extra,
  };
}

/** What the parts hold, read back with DuckDB. */
async function query(parts: { uri: string }[], sql: string): Promise<Record<string, unknown>[]> {
  const list = `[${parts.map((p) => `'${p.uri}'`).join(', ')}]`;
  const reader = await db.runAndReadAll(sql.replaceAll('PARTS', `read_parquet(${list})`));
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

async function partFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.parquet')).sort();
}

beforeAll(async () => {
  await ensurePagila();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-extract-pg-'));
  pagila = new pg.Client({ connectionString: pagilaUrl().toString() });
  await pagila.connect();
  const admin = new pg.Client({ connectionString: SERVER_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${SCRATCH_DB}`);
  await admin.end();
  const url = new URL(SERVER_DATABASE_URL);
  url.pathname = `/${SCRATCH_DB}`;
  scratch = new pg.Client({ connectionString: url.toString() });
  await scratch.connect();
  duck = await DuckDBInstance.create(':memory:');
  db = await duck.connect();
  await db.run("SET TimeZone = 'UTC'");
}, 120_000);

afterAll(async () => {
  db?.closeSync();
  duck?.closeSync();
  await pagila?.end();
  await scratch?.end();
  const admin = new pg.Client({ connectionString: SERVER_DATABASE_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${SCRATCH_DB} with (force)`);
  await admin.end();
  await rm(tmp, { recursive: true, force: true });
});

describe('extractPostgres', () => {
  test('Pagila rental becomes parts holding every row once, renamed, typed as declared, with the run metadata', async () => {
    const progress: ExtractProgress[] = [];
    const req = await request({ onProgress: (p) => progress.push(p) });
    const result = await extractPostgres(config(PAGILA_DB), PASSWORD, { schema: 'public', table: 'rental' }, req);

    const source = (await pagila.query(
      `select count(*)::int as rows, sum(rental_id)::bigint as id_sum, count(distinct customer_id)::int as customers,
              count(return_date)::int as returned, sum(extract(epoch from rental_date))::numeric::text as epoch_sum
         from rental`,
    )).rows[0];
    expect(result.rows).toBe(16_044);
    expect(result.rows).toBe(source.rows);
    expect(result.rejectedCount).toBe(0);
    expect(result.parts).toHaveLength(1);
    expect(result.parts.every((p) => path.isAbsolute(p.uri) && path.dirname(p.uri) === path.resolve(req.stagingDir))).toBe(true);
    expect(result.bytes).toBe((await stat(result.parts[0]!.uri)).size);
    expect(await readdir(req.stagingDir)).toEqual(['part-00000.parquet']);

    const [staged] = await query(result.parts,
      `SELECT count(*) AS rows, sum(rental_id) AS id_sum, count(DISTINCT customer) AS customers, count(returned_at) AS returned,
              sum(epoch(rented_at))::DECIMAL(20,0)::VARCHAR AS epoch_sum, min(_extracted_at) AS at_min, max(_extracted_at) AS at_max,
              min(_run_id) AS run_min, max(_run_id) AS run_max FROM PARTS`);
    expect(Number(staged!.rows)).toBe(source.rows);
    expect(Number(staged!.id_sum)).toBe(Number(source.id_sum));
    expect(Number(staged!.customers)).toBe(source.customers);
    expect(Number(staged!.returned)).toBe(source.returned);
    expect(staged!.epoch_sum).toBe(String(Math.round(Number(source.epoch_sum))));
    expect(staged!.at_min).toEqual(req.extractedAt);
    expect(staged!.at_max).toEqual(req.extractedAt);
    expect([staged!.run_min, staged!.run_max]).toEqual([req.runId, req.runId]);

    const types = await query(result.parts, 'SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM PARTS)');
    expect(types.map((t) => [t.column_name, t.column_type])).toEqual([
      ['rental_id', 'BIGINT'],
      ['rented_at', 'TIMESTAMP WITH TIME ZONE'],
      ['inventory_id', 'BIGINT'],
      ['customer', 'BIGINT'],
      ['returned_at', 'TIMESTAMP WITH TIME ZONE'],
      ['staff_id', 'BIGINT'],
      ['_extracted_at', 'TIMESTAMP WITH TIME ZONE'],
      ['_run_id', 'VARCHAR'],
    ]);
    // A row read back equals the source's, instant for instant.
    const [one] = await query(result.parts, 'SELECT rented_at, returned_at FROM PARTS WHERE rental_id = 1');
    const [original] = (await pagila.query('select rental_date, return_date from rental where rental_id = 1')).rows;
    expect(one!.rented_at).toEqual(original.rental_date);
    expect(one!.returned_at).toEqual(original.return_date);
    expect(progress.at(-1)).toEqual({ rows: 16_044, bytes: expect.any(Number) });
    expect(progress.at(-1)!.bytes).toBeGreaterThan(0);
  });

  test('a window reads only the rows at or after its start, and its maximum is the source\'s', async () => {
    const from = '2022-06-01';
    const req = await request({ window: { column: 'rental_date', type: 'TIMESTAMP', from } });
    const result = await extractPostgres(config(PAGILA_DB), PASSWORD, { schema: 'public', table: 'rental' }, req);

    const source = (await pagila.query(
      `select count(*)::int as rows, sum(rental_id)::bigint as id_sum,
              to_char(max(rental_date) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as max
         from rental where rental_date >= $1::timestamptz`, [from],
    )).rows[0];
    expect(source.rows).toBeLessThan(16_044);
    expect(result.rows).toBe(source.rows);
    const [staged] = await query(result.parts, `SELECT count(*) AS rows, sum(rental_id) AS id_sum, min(rented_at) AS first FROM PARTS`);
    expect(Number(staged!.id_sum)).toBe(Number(source.id_sum));
    expect((staged!.first as Date).getTime()).toBeGreaterThanOrEqual(Date.parse(`${from}T00:00:00Z`));
    expect(result.maxWindowValue).toBe(source.max);
  });

  test('the window\'s maximum comes from the source even when the window column is not among the columns read', async () => {
    const from = '2022-02-15T00:00:00Z';
    const req = await request({ window: { column: 'last_update', type: 'TIMESTAMP', from } });
    const result = await extractPostgres(config(PAGILA_DB), PASSWORD, { schema: 'public', table: 'rental' }, req);
    const source = (await pagila.query(
      `select count(*)::int as rows, to_char(max(last_update) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as max
         from rental where last_update >= $1::timestamptz`, [from],
    )).rows[0];
    expect(result.rows).toBe(source.rows);
    expect(result.maxWindowValue).toBe(String(source.max).replace(/\.?0+Z$/, 'Z'));
    const types = await query(result.parts, 'SELECT column_name FROM (DESCRIBE SELECT * FROM PARTS)');
    expect(types.map((t) => t.column_name)).not.toContain('last_update');
  });

  test('a small partRows makes several parts that together hold every row once', async () => {
    const req = await request({ partRows: 5_000 });
    const result = await extractPostgres(config(PAGILA_DB), PASSWORD, { schema: 'public', table: 'rental' }, req);
    expect(result.parts.map((p) => p.rows)).toEqual([5_000, 5_000, 5_000, 1_044]);
    expect(await partFiles(req.stagingDir)).toEqual(['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet', 'part-00003.parquet']);
    const [staged] = await query(result.parts, 'SELECT count(*) AS rows, count(DISTINCT rental_id) AS ids FROM PARTS');
    expect(Number(staged!.rows)).toBe(16_044);
    expect(Number(staged!.ids)).toBe(16_044);
    expect(result.rows).toBe(16_044);
    expect(result.bytes).toBe(result.parts.reduce((sum, p) => sum + p.bytes, 0));
  });

  test('values of every kind arrive as they are in PostgreSQL', async () => {
    await scratch.query(`
      create table kinds (
        id int primary key, txt text, num numeric(38,9), big numeric, flt double precision, flag boolean,
        day date, at_time time, local timestamp, instant timestamptz, doc jsonb, tags text[], raw bytea, price money, zoned timetz);
      insert into kinds values
        (1, 'plain', 12.5, 123456789012345678901234567890.123456789012, 1.5, true, '2024-02-29', '23:59:59.999999',
         '2024-01-01 10:00:00.5', '2024-01-01 10:00:00+02', '{"a": [1, 2], "b": "x"}', '{a,"b c"}', '\\x00ff10', 12.34, '10:00:00+02'),
        (2, 'comma, "quote" and
      line break', -0.000000001, -1, 'NaN', false, '0001-01-01', '00:00:00', '1999-12-31 23:59:59', '1970-01-01 00:00:00+00', 'null', '{}', '', -1, '00:00:00+00'),
        (3, '', 99999999999999999999999999999.999999999, null, '-Infinity', null, null, null, null, null, null, null, null, null, null),
        (4, null, null, null, null, null, null, null, null, null, null, null, null, null, null),
        (5, 'élève ☃ 😀', 0, 0, 0, true, '2024-01-01', '12:00', '2024-01-01', '2024-01-01', '[]', '{NULL}', '\\x', 0, '12:00+00');
    `);
    const columns: ExtractColumn[] = [
      { source: 'id', destination: 'id', type: 'INT64' },
      { source: 'txt', destination: 'txt', type: 'STRING' },
      { source: 'num', destination: 'num', type: 'NUMERIC' },
      { source: 'big', destination: 'big', type: 'BIGNUMERIC' },
      { source: 'flt', destination: 'flt', type: 'FLOAT64' },
      { source: 'flag', destination: 'flag', type: 'BOOL' },
      { source: 'day', destination: 'day', type: 'DATE' },
      { source: 'at_time', destination: 'at_time', type: 'TIME' },
      { source: 'local', destination: 'local', type: 'DATETIME' },
      { source: 'instant', destination: 'instant', type: 'TIMESTAMP' },
      { source: 'doc', destination: 'doc', type: 'JSON' },
      { source: 'tags', destination: 'tags', type: 'JSON' },
      { source: 'raw', destination: 'raw', type: 'BYTES' },
      { source: 'price', destination: 'price', type: 'NUMERIC' },
      { source: 'zoned', destination: 'zoned', type: 'TIME' },
    ];
    const req = await request({ columns });
    const result = await extractPostgres(config(SCRATCH_DB), PASSWORD, { schema: 'public', table: 'kinds' }, req);
    expect(result.rows).toBe(5);
    const rows = await query(result.parts,
      `SELECT id, txt, num::VARCHAR AS num, big, flt, flag, day::VARCHAR AS day, at_time::VARCHAR AS at_time, local::VARCHAR AS local,
              instant, doc, tags, hex(raw) AS raw, price::VARCHAR AS price, zoned::VARCHAR AS zoned FROM PARTS ORDER BY id`);
    expect(rows[0]).toEqual({
      id: 1n, txt: 'plain', num: '12.500000000', big: '123456789012345678901234567890.123456789012', flt: 1.5, flag: true,
      day: '2024-02-29', at_time: '23:59:59.999999', local: '2024-01-01 10:00:00.5', instant: new Date('2024-01-01T08:00:00Z'),
      doc: '{"a": [1, 2], "b": "x"}', tags: '["a","b c"]', raw: '00FF10', price: '12.340000000', zoned: '10:00:00',
    });
    expect(rows[1]).toMatchObject({ txt: 'comma, "quote" and\n      line break', num: '-0.000000001', big: '-1', flag: false, day: '0001-01-01', doc: 'null', tags: '[]', raw: '', price: '-1.000000000' });
    expect(Number.isNaN(rows[1]!.flt)).toBe(true);
    expect(rows[2]).toMatchObject({ txt: '', num: '99999999999999999999999999999.999999999', flt: -Infinity, flag: null });
    expect(rows[3]).toEqual({ id: 4n, txt: null, num: null, big: null, flt: null, flag: null, day: null, at_time: null, local: null, instant: null, doc: null, tags: null, raw: null, price: null, zoned: null });
    expect(rows[4]).toMatchObject({ txt: 'élève ☃ 😀', tags: '[null]', raw: '' });
  });

  test('a value that does not fit its type is a rejected row with its row number and column; the others load', async () => {
    await scratch.query(`create table amounts (id int, amount numeric); insert into amounts select i, i / 4.0 from generate_series(1, 1000) i; update amounts set amount = 'NaN' where id = 700; update amounts set amount = 1e40 where id = 900`);
    const columns: ExtractColumn[] = [{ source: 'id', destination: 'id', type: 'INT64' }, { source: 'amount', destination: 'amount', type: 'NUMERIC' }];
    // The rows come in the table's physical order, which the updates changed: find where they are.
    const order = (await scratch.query('select id from amounts')).rows.map((r) => r.id as number);
    const within = await extractPostgres(config(SCRATCH_DB), PASSWORD, { schema: 'public', table: 'amounts' }, await request({ columns, maxBadRows: 2 }));
    expect(within.rows).toBe(998);
    expect(within.rejectedCount).toBe(2);
    expect(within.rejected.map((r) => [r.line, r.column, r.value])).toEqual([
      [order.indexOf(700) + 1, 'amount', 'NaN'],
      [order.indexOf(900) + 1, 'amount', `1${'0'.repeat(40)}`],
    ]);
    expect(within.rejected[0]!.reason).toMatch(/^Row \d+: column "amount": "NaN" is not a valid NUMERIC$/);

    const req = await request({ columns, maxBadRows: 1 });
    const error = await extractPostgres(config(SCRATCH_DB), PASSWORD, { schema: 'public', table: 'amounts' }, req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyBadRowsError);
    expect((error as TooManyBadRowsError).rejectedCount).toBe(2);
    expect(await partFiles(req.stagingDir)).toEqual([]);
  });

  test('a row longer than the pipe reader allows is converted on its own, in full', async () => {
    await scratch.query(`create table docs (id int, body text); insert into docs select i, repeat('x', 10) from generate_series(1, 100) i; insert into docs values (101, repeat('y', 6 * 1024 * 1024))`);
    const columns: ExtractColumn[] = [{ source: 'id', destination: 'id', type: 'INT64' }, { source: 'body', destination: 'body', type: 'STRING' }];
    const result = await extractPostgres(config(SCRATCH_DB), PASSWORD, { schema: 'public', table: 'docs' }, await request({ columns }));
    expect(result.rows).toBe(101);
    const [big] = await query(result.parts, 'SELECT length(body) AS n, count(*) OVER () AS rows FROM PARTS WHERE id = 101');
    expect(Number(big!.n)).toBe(6 * 1024 * 1024);
  });

  test('cancelling stops the extraction promptly and leaves no part files', async () => {
    // A view that makes rows as they are read (the series in the select list streams; in FROM it
    // would be made whole first): far more than the test waits for.
    await scratch.query(`create view endless as select i as id, md5(i::text) as label, now() as at from (select generate_series(1, 200000000) as i) s`);
    const controller = new AbortController();
    const columns: ExtractColumn[] = [
      { source: 'id', destination: 'id', type: 'INT64' },
      { source: 'label', destination: 'label', type: 'STRING' },
      { source: 'at', destination: 'at', type: 'TIMESTAMP' },
    ];
    const req = await request({ columns, partRows: 50_000, signal: controller.signal });
    let sawParts = false;
    let abortedAt = 0;
    req.onProgress = (p) => {
      if (p.rows > 200_000 && !controller.signal.aborted) {
        abortedAt = Date.now();
        controller.abort(new Error('cancelled by the test'));
      }
    };
    const started = extractPostgres(config(SCRATCH_DB), PASSWORD, { schema: 'public', table: 'endless' }, req);
    const watcher = setInterval(() => void partFiles(req.stagingDir).then((f) => (sawParts ||= f.length > 0)), 50);
    const outcome = await started.catch((e: unknown) => e);
    clearInterval(watcher);
    expect(Date.now() - abortedAt).toBeLessThan(3_000);
    expect(outcome).toEqual(new Error('cancelled by the test'));
    expect(controller.signal.aborted).toBe(true);
    expect(sawParts).toBe(true);
    expect(await readdir(req.stagingDir)).toEqual([]);
    // The server stopped the COPY: no query of ours still runs.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { rows } = await scratch.query(`select count(*)::int as n from pg_stat_activity where datname = $1 and query like 'COPY%endless%'`, [SCRATCH_DB]);
    expect(rows[0].n).toBe(0);
  });

  test('a missing table or column is a not_found SourceError that names it', async () => {
    const noTable = await extractPostgres(config(PAGILA_DB), PASSWORD, { schema: 'public', table: 'rentals' }, await request()).catch((e: unknown) => e);
    expect(noTable).toBeInstanceOf(SourceError);
    expect((noTable as SourceError).code).toBe('not_found');
    expect((noTable as SourceError).message).toMatch(/public\.rentals/);
    const columns: ExtractColumn[] = [...RENTAL_COLUMNS, { source: 'rental_price', destination: 'price', type: 'NUMERIC' }];
    const req = await request({ columns });
    const noColumn = await extractPostgres(config(PAGILA_DB), PASSWORD, { schema: 'public', table: 'rental' }, req).catch((e: unknown) => e);
    expect((noColumn as SourceError).code).toBe('not_found');
    expect((noColumn as SourceError).message).toMatch(/"rental_price"/);
    expect(await readdir(req.stagingDir)).toEqual([]);
  });
});
