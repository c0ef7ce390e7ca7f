import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { extractMysql } from '../../shared/src/extract/mysql-extract.js';
import { TooManyBadRowsError, type ExtractColumn, type ExtractRequest } from '../../shared/src/extract/extract.js';
import type { MysqlConfig } from '../../shared/src/sources/mysql-source.js';
import { SourceError } from '../../shared/src/sources/source-error.js';
import { ensureSakila, MARIADB, SAKILA_DB } from '../support/fixtures.js';

const SCRATCH_DB = `recs_test_extract_${randomBytes(4).toString('hex')}`;
const config = (database: string): MysqlConfig => ({ host: MARIADB.host, port: MARIADB.port, database, user: MARIADB.user, tlsMode: 'disable' });

const PAYMENT_COLUMNS: ExtractColumn[] = [
  { source: 'payment_id', destination: 'payment_id', type: 'INT64' },
  { source: 'customer_id', destination: 'customer', type: 'INT64' },
  { source: 'rental_id', destination: 'rental_id', type: 'INT64' },
  { source: 'amount', destination: 'amount', type: 'NUMERIC' },
  { source: 'payment_date', destination: 'paid_at', type: 'DATETIME' },
  { source: 'last_update', destination: 'last_update', type: 'TIMESTAMP' },
];

let tmp: string;
let admin: mysql.Connection;
let duck: DuckDBInstance;
let db: DuckDBConnection;

async function request(extra: Partial<ExtractRequest> = {}): Promise<ExtractRequest> {
  return {
    runId: `run-${randomBytes(3).toString('hex')}`,
    columns: PAYMENT_COLUMNS,
    stagingDir: await mkdtemp(path.join(tmp, 'staging-')),
    extractedAt: new Date('2026-11-22T10:00:00Z'),
    ...extra,
  };
}

async function query(parts: { uri: string }[], sql: string): Promise<Record<string, unknown>[]> {
  const list = `[${parts.map((p) => `'${p.uri}'`).join(', ')}]`;
  return (await db.runAndReadAll(sql.replaceAll('PARTS', `read_parquet(${list})`))).getRowObjectsJS() as Record<string, unknown>[];
}

async function sql<T = mysql.RowDataPacket>(text: string, values: unknown[] = []): Promise<T[]> {
  const [rows] = await admin.query(text, values);
  return rows as T[];
}

beforeAll(async () => {
  await ensureSakila();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-extract-mysql-'));
  admin = await mysql.createConnection({ ...MARIADB, multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  await admin.query(`create database ${SCRATCH_DB}`);
  await admin.query(`use ${SCRATCH_DB}`);
  duck = await DuckDBInstance.create(':memory:');
  db = await duck.connect();
  await db.run("SET TimeZone = 'UTC'");
}, 120_000);

afterAll(async () => {
  db?.closeSync();
  duck?.closeSync();
  await admin?.query(`drop database if exists ${SCRATCH_DB}`);
  await admin?.end();
  await rm(tmp, { recursive: true, force: true });
});

describe('extractMysql', () => {
  test('Sakila payment becomes parts holding every row once, renamed, typed as declared, with the run metadata', async () => {
    const req = await request();
    const result = await extractMysql(config(SAKILA_DB), MARIADB.password, { schema: SAKILA_DB, table: 'payment' }, req);
    const [source] = await sql(`select count(*) as n, cast(sum(payment_id) as char) as ids, count(distinct customer_id) as customers,
                                       cast(sum(amount) as char) as amount, count(rental_id) as rentals from ${SAKILA_DB}.payment`);
    expect(result.rows).toBe(Number(source!.n));
    expect(result.rejectedCount).toBe(0);
    expect(await readdir(req.stagingDir)).toEqual(['part-00000.parquet']);
    const [staged] = await query(result.parts,
      `SELECT count(*) AS n, sum(payment_id)::VARCHAR AS ids, count(DISTINCT customer) AS customers, sum(amount)::DECIMAL(10,2)::VARCHAR AS amount,
              count(rental_id) AS rentals, min(_extracted_at) AS at, max(_run_id) AS run FROM PARTS`);
    expect(Number(staged!.n)).toBe(Number(source!.n));
    expect(staged!.ids).toBe(source!.ids);
    expect(Number(staged!.customers)).toBe(Number(source!.customers));
    expect(staged!.amount).toBe(source!.amount);
    expect(Number(staged!.rentals)).toBe(Number(source!.rentals));
    expect(staged!.at).toEqual(req.extractedAt);
    expect(staged!.run).toBe(req.runId);
    const types = await query(result.parts, 'SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM PARTS)');
    expect(types.map((t) => [t.column_name, t.column_type])).toEqual([
      ['payment_id', 'BIGINT'], ['customer', 'BIGINT'], ['rental_id', 'BIGINT'], ['amount', 'DECIMAL(38,9)'],
      ['paid_at', 'TIMESTAMP'], ['last_update', 'TIMESTAMP WITH TIME ZONE'], ['_extracted_at', 'TIMESTAMP WITH TIME ZONE'], ['_run_id', 'VARCHAR'],
    ]);
    const [one] = await query(result.parts, `SELECT paid_at::VARCHAR AS paid_at, amount::VARCHAR AS amount FROM PARTS WHERE payment_id = 1`);
    const [original] = await sql(`select payment_date, cast(amount as char) as amount from ${SAKILA_DB}.payment where payment_id = 1`);
    expect(one).toEqual({ paid_at: original!.payment_date, amount: `${original!.amount}0000000` });
  });

  test('a window reads only the rows at or after its start, and its maximum is the source\'s', async () => {
    const req = await request({ window: { column: 'payment_date', type: 'DATETIME', from: '2005-08-01T00:00:00' } });
    const result = await extractMysql(config(SAKILA_DB), MARIADB.password, { schema: SAKILA_DB, table: 'payment' }, req);
    const [source] = await sql(`select count(*) as n, cast(sum(payment_id) as char) as ids, date_format(max(payment_date), '%Y-%m-%dT%H:%i:%s') as max
                                  from ${SAKILA_DB}.payment where payment_date >= '2005-08-01'`);
    expect(Number(source!.n)).toBeLessThan(16_044);
    expect(result.rows).toBe(Number(source!.n));
    const [staged] = await query(result.parts, 'SELECT sum(payment_id)::VARCHAR AS ids FROM PARTS');
    expect(staged!.ids).toBe(source!.ids);
    expect(result.maxWindowValue).toBe(source!.max);
  });

  test('a TIMESTAMP window compares instants in UTC', async () => {
    const req = await request({ window: { column: 'last_update', type: 'TIMESTAMP', from: '2006-02-15T22:12:00Z' } });
    const result = await extractMysql(config(SAKILA_DB), MARIADB.password, { schema: SAKILA_DB, table: 'payment' }, req);
    await admin.query("set time_zone = '+00:00'");
    const [source] = await sql(`select count(*) as n, date_format(max(last_update), '%Y-%m-%dT%H:%i:%sZ') as max from ${SAKILA_DB}.payment where last_update >= '2006-02-15 22:12:00'`);
    expect(result.rows).toBe(Number(source!.n));
    expect(result.maxWindowValue).toBe(source!.max);
  });

  test('a small partRows makes several parts that together hold every row once', async () => {
    const req = await request({ partRows: 5_000 });
    const result = await extractMysql(config(SAKILA_DB), MARIADB.password, { schema: SAKILA_DB, table: 'payment' }, req);
    expect(result.parts.map((p) => p.rows)).toEqual([5_000, 5_000, 5_000, 1_044]);
    expect((await readdir(req.stagingDir)).sort()).toEqual(['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet', 'part-00003.parquet']);
    const [staged] = await query(result.parts, 'SELECT count(*) AS n, count(DISTINCT payment_id) AS ids FROM PARTS');
    expect(Number(staged!.n)).toBe(16_044);
    expect(Number(staged!.ids)).toBe(16_044);
  });

  test('values of every kind arrive as they are in MariaDB', async () => {
    await admin.query(`
      set session sql_mode = '';
      create table ${SCRATCH_DB}.kinds (
        id int primary key, txt varchar(100), flag tinyint(1), bit1 bit(1), bits bit(8), big decimal(65,30), huge bigint unsigned,
        dbl double, flt float, doc json, raw blob, at datetime(6), instant timestamp(6) null, day date, t time, kind enum('a','b c'), tags set('x','y'));
      insert into ${SCRATCH_DB}.kinds values
        (1, 'comma, "quote" and\nline break', 1, b'1', b'00000101', 12345678901234567890123456789012345.123456789012345678901234567890,
         18446744073709551615, 1.5e-7, 0.25, '{"a": [1, 2]}', x'00ff10', '2024-01-01 10:00:00.123456', '2024-01-01 10:00:00.5', '2024-02-29', '23:59:59', 'b c', 'x,y'),
        (2, '', 0, b'0', b'00000000', -1, 0, -0.0, -1, '[]', '', '0000-00-00 00:00:00', null, '0000-00-00', '00:00:00', 'a', ''),
        (3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null),
        (4, 'élève ☃ 😀', 2, b'1', b'11111111', 0, 1, 1e300, 3.5, 'null', x'41', '1999-12-31 23:59:59', '1970-01-02 00:00:00', '0001-01-01', '12:00', 'a', 'y');
    `);
    const columns: ExtractColumn[] = [
      { source: 'id', destination: 'id', type: 'INT64' },
      { source: 'txt', destination: 'txt', type: 'STRING' },
      { source: 'flag', destination: 'flag', type: 'BOOL' },
      { source: 'bit1', destination: 'bit1', type: 'BOOL' },
      { source: 'bits', destination: 'bits', type: 'INT64' },
      { source: 'big', destination: 'big', type: 'BIGNUMERIC' },
      { source: 'huge', destination: 'huge', type: 'NUMERIC' },
      { source: 'dbl', destination: 'dbl', type: 'FLOAT64' },
      { source: 'flt', destination: 'flt', type: 'FLOAT64' },
      { source: 'doc', destination: 'doc', type: 'JSON' },
      { source: 'raw', destination: 'raw', type: 'BYTES' },
      { source: 'at', destination: 'at', type: 'DATETIME' },
      { source: 'instant', destination: 'instant', type: 'TIMESTAMP' },
      { source: 'day', destination: 'day', type: 'DATE' },
      { source: 't', destination: 't', type: 'TIME' },
      { source: 'kind', destination: 'kind', type: 'STRING' },
      { source: 'tags', destination: 'tags', type: 'STRING' },
    ];
    const result = await extractMysql(config(SCRATCH_DB), MARIADB.password, { schema: SCRATCH_DB, table: 'kinds' }, await request({ columns }));
    expect(result.rejectedCount).toBe(0);
    const rows = await query(result.parts,
      `SELECT id, txt, flag, bit1, bits, big, huge::VARCHAR AS huge, dbl, flt, doc, hex(raw) AS raw, "at"::VARCHAR AS "at", instant, day::VARCHAR AS day,
              t::VARCHAR AS t, kind, tags FROM PARTS ORDER BY id`);
    expect(rows[0]).toEqual({
      id: 1n, txt: 'comma, "quote" and\nline break', flag: true, bit1: true, bits: 5n, big: '12345678901234567890123456789012345.123456789012345678901234567890',
      huge: '18446744073709551615.000000000', dbl: 1.5e-7, flt: 0.25, doc: '{"a": [1, 2]}', raw: '00FF10', at: '2024-01-01 10:00:00.123456',
      instant: new Date('2024-01-01T10:00:00.500Z'), day: '2024-02-29', t: '23:59:59', kind: 'b c', tags: 'x,y',
    });
    // Zero dates are "no date"; an empty string stays one, apart from null.
    expect(rows[1]).toMatchObject({ txt: '', flag: false, bit1: false, bits: 0n, raw: '', at: null, day: null, tags: '' });
    expect(Object.values(rows[2]!).filter((v) => v !== null)).toEqual([3n]);
    expect(rows[3]).toMatchObject({ txt: 'élève ☃ 😀', flag: true, bits: 255n, dbl: 1e300, raw: '41', day: '0001-01-01', doc: 'null' });
  });

  test('a value that does not parse as its declared type is a rejected row with its row number and column; the others load', async () => {
    await admin.query(`create table ${SCRATCH_DB}.codes (id int primary key, code varchar(10)); insert into ${SCRATCH_DB}.codes select seq, cast(seq as char) from seq_1_to_1000; update ${SCRATCH_DB}.codes set code = 'n/a' where id = 500`);
    const columns: ExtractColumn[] = [{ source: 'id', destination: 'id', type: 'INT64' }, { source: 'code', destination: 'code', type: 'INT64' }];
    const within = await extractMysql(config(SCRATCH_DB), MARIADB.password, { schema: SCRATCH_DB, table: 'codes' }, await request({ columns, maxBadRows: 1 }));
    expect(within.rows).toBe(999);
    expect(within.rejected).toEqual([{ line: 500, column: 'code', value: 'n/a', reason: 'Row 500: column "code": "n/a" is not a valid INT64' }]);
    const req = await request({ columns });
    const error = await extractMysql(config(SCRATCH_DB), MARIADB.password, { schema: SCRATCH_DB, table: 'codes' }, req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyBadRowsError);
    expect(await readdir(req.stagingDir)).toEqual([]);
  });

  test('cancelling stops the extraction promptly and leaves no part files', async () => {
    await admin.query(`create view ${SCRATCH_DB}.endless as select seq as id, md5(seq) as label, now() as at from seq_1_to_200000000`);
    const controller = new AbortController();
    const columns: ExtractColumn[] = [
      { source: 'id', destination: 'id', type: 'INT64' },
      { source: 'label', destination: 'label', type: 'STRING' },
      { source: 'at', destination: 'at', type: 'DATETIME' },
    ];
    let abortedAt = 0;
    const req = await request({
      columns,
      partRows: 50_000,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.rows > 150_000 && !controller.signal.aborted) {
          abortedAt = Date.now();
          controller.abort(new Error('cancelled by the test'));
        }
      },
    });
    let sawParts = false;
    const watcher = setInterval(() => void readdir(req.stagingDir).then((f) => (sawParts ||= f.some((n) => n.endsWith('.parquet')))), 50);
    const outcome = await extractMysql(config(SCRATCH_DB), MARIADB.password, { schema: SCRATCH_DB, table: 'endless' }, req).catch((e: unknown) => e);
    clearInterval(watcher);
    expect(Date.now() - abortedAt).toBeLessThan(3_000);
    expect(outcome).toEqual(new Error('cancelled by the test'));
    expect(sawParts).toBe(true);
    expect(await readdir(req.stagingDir)).toEqual([]);
  });

  test('a missing table or column is a not_found SourceError that names it', async () => {
    const noTable = await extractMysql(config(SAKILA_DB), MARIADB.password, { schema: SAKILA_DB, table: 'payments' }, await request()).catch((e: unknown) => e);
    expect(noTable).toBeInstanceOf(SourceError);
    expect((noTable as SourceError).code).toBe('not_found');
    expect((noTable as SourceError).message).toMatch(/payments/);
    const noColumn = await extractMysql(config(SAKILA_DB), MARIADB.password, { schema: SAKILA_DB, table: 'payment' },
      await request({ columns: [...PAYMENT_COLUMNS, { source: 'tip', destination: 'tip', type: 'NUMERIC' }] })).catch((e: unknown) => e);
    expect((noColumn as SourceError).code).toBe('not_found');
    expect((noColumn as SourceError).message).toMatch(/"tip"/);
  });
});
