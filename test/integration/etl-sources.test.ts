import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import {
  createConnection,
  createEtlJob,
  createProject,
  createTenant,
  getEtlJob,
  listRejectedRows,
  openWarehouse,
  startRun,
  updateEtlJob,
  type ConnectionDeps,
  type IEtlJob,
  type Scope,
  type Warehouse,
} from '@b2b-recs/shared';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { createSourceDatabase, startEtlWorkers, waitForRun, type EtlWorkers } from '../support/etl.js';
import { ensurePagila, ensureSakila, MARIADB, pagilaUrl, SAKILA_DB } from '../support/fixtures.js';
import { startS3rver, type S3rver } from '../support/s3rver.js';
import { createTestEnv, type TestEnv } from '../support/test-env.js';

/**
 * The ETL engine end to end on the sample databases and the object stores this machine runs:
 * Pagila in PostgreSQL, Sakila in MariaDB, s3rver and azurite. Each source's rows are copied into
 * a scratch database (or bucket) of the test's own, since the tests change them. Both warehouses
 * run the same tests.
 */
describe.each(['local', 'postgres'] as const)('ETL from the sample sources into the %s warehouse', (kind) => {
  let env: TestEnv;
  let workers: EtlWorkers;
  let warehouse: Warehouse;
  let scope: Scope;
  let projectId: string;
  let deps: ConnectionDeps;
  let pagila: Awaited<ReturnType<typeof createSourceDatabase>>;
  let maria: mysql.Connection;
  let s3rver: S3rver;
  let azurite: Azurite;
  const mariaDb = `recs_src_${randomBytes(4).toString('hex')}`;

  const run = async (job: IEtlJob) => waitForRun(env.orm, (await startRun(env.orm.em.fork(), scope, job.id, workers.pipeline.queues)).id);
  const one = async (sql: string) => (await warehouse.query(projectId, sql))[0]!;

  beforeAll(async () => {
    env = await createTestEnv();
    if (kind === 'postgres') env = { ...env, config: { ...env.config, warehouseUrl: env.config.databaseUrl } };
    await Promise.all([ensurePagila(), ensureSakila()]);
    [s3rver, azurite] = await Promise.all([startS3rver(), startAzurite()]);

    // Pagila's rental table, copied row for row.
    pagila = await createSourceDatabase(env);
    await pagila.client.query(`create table rental (rental_id int primary key, rental_date timestamptz not null, inventory_id int not null,
      customer_id int not null, return_date timestamptz, staff_id int not null, last_update timestamptz not null)`);
    const from = new pg.Client({ connectionString: pagilaUrl().toString() });
    await from.connect();
    await pipeline(
      from.query(copyStreams.to('COPY (select rental_id, rental_date, inventory_id, customer_id, return_date, staff_id, last_update from rental) TO STDOUT')),
      pagila.client.query(copyStreams.from('COPY rental FROM STDIN')),
    );
    await from.end();

    // Sakila's payment and film tables, copied without their foreign keys.
    maria = await mysql.createConnection({ ...MARIADB, multipleStatements: true });
    await maria.query(`create database ${mariaDb};
      create table ${mariaDb}.payment like ${SAKILA_DB}.payment; insert into ${mariaDb}.payment select * from ${SAKILA_DB}.payment;
      create table ${mariaDb}.film like ${SAKILA_DB}.film; insert into ${mariaDb}.film select * from ${SAKILA_DB}.film;`);

    const em = env.orm.em.fork();
    const { tenantId, userId } = await createTenant(em, { name: 'Sources', email: `sources-${kind}@acme.test`, password: 'long enough password' });
    scope = { tenantId, userId, role: 'admin' };
    projectId = (await createProject(em, scope, { name: 'Sources' })).id;
    workers = await startEtlWorkers(env);
    deps = { secrets: workers.pipeline.secrets, sourceDeps: { localFilesRoot: env.config.sources.localFilesRoot }, allowLinkLocal: false };
    warehouse = await openWarehouse(env.config);
  }, 180_000);

  afterAll(async () => {
    await workers?.stop();
    await warehouse?.close();
    await pagila?.drop();
    await maria?.query(`drop database if exists ${mariaDb}`);
    await maria?.end();
    await Promise.all([s3rver?.stop(), azurite?.stop()]);
    await env?.cleanup();
  });

  describe('Pagila in PostgreSQL', () => {
    let job: IEtlJob;

    const source = async () => (await pagila.client.query('select count(*)::int as n, sum(rental_id)::float8 as ids, sum(inventory_id)::float8 as inv from rental')).rows[0];
    const landed = async () => {
      const row = await one('select count(*) as n, sum(rental_id) as ids, count(distinct rental_id) as d, sum(inventory_id) as inv from rental');
      return { n: Number(row.n), ids: Number(row.ids), d: Number(row.d), inv: Number(row.inv) };
    };

    test('a transactional rental job backfills 16,044 rows, then takes boundary, late and new rows exactly once', async () => {
      const url = new URL(pagila.url);
      const { connection } = await createConnection(env.orm.em.fork(), scope, projectId, {
        name: 'Pagila', type: 'postgresql', config: { host: url.hostname, port: Number(url.port || 5432), database: pagila.name, user: 'postgres', sslMode: 'disable' },
      }, deps);
      job = await createEtlJob(env.orm.em.fork(), scope, projectId, {
        name: 'Rentals', connectionId: connection.id, source: { schema: 'public', table: 'rental' },
        columns: ['rental_id', 'rental_date', 'inventory_id', 'customer_id', 'staff_id'],
        loadType: 'transactional', timestampColumn: 'rental_date', primaryKey: ['rental_id'], backfill: { all: true }, lookbackSeconds: 3600,
      }, deps);

      const first = await run(job);
      expect(first).toMatchObject({ status: 'succeeded', rowsExtracted: 16_044, rowsLoaded: 16_044 });
      let expected = await source();
      expect(await landed()).toEqual({ n: expected.n, ids: expected.ids, d: expected.n, inv: expected.inv });

      // Rows at exactly the watermark, late rows inside the look-back window, and new rows.
      await pagila.client.query(`insert into rental (rental_id, rental_date, inventory_id, customer_id, staff_id, last_update)
        select 90000 + i, m.max + case when i <= 3 then interval '0' when i <= 5 then interval '-20 minutes' else interval '1 day' end, 1, 1, 1, now()
          from (select max(rental_date) as max from rental) as m, generate_series(1, 8) as i`);
      const second = await run(job);
      expect(second.status).toBe('succeeded');
      expected = await source();
      expect(await landed()).toEqual({ n: expected.n, ids: expected.ids, d: expected.n, inv: expected.inv });
    });

    test('a column added to the job and a widened type are added and promoted; a change that would lose data fails the run and changes nothing', async () => {
      await pagila.client.query(`insert into rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id, last_update)
        select 91000 + i, (select max(rental_date) from rental) + interval '2 days', 2, 2, now(), 1, now() from generate_series(1, 4) as i`);
      const columns = ['rental_id', 'rental_date', { name: 'inventory_id', type: 'NUMERIC' }, 'customer_id', 'staff_id', 'return_date'];
      job = await updateEtlJob(env.orm.em.fork(), scope, job.id, { columns }, deps);
      expect(job.columns.map((c) => c.destination)).toEqual(['rental_id', 'rental_date', 'inventory_id', 'customer_id', 'staff_id', 'return_date']);

      const widened = await run(job);
      expect(widened.status).toBe('succeeded');
      const described = new Map((await warehouse.describe(projectId, 'rental'))!.map((c) => [c.name, c]));
      expect(described.get('inventory_id')?.type).toBe('NUMERIC');
      expect(described.get('return_date')).toMatchObject({ type: 'TIMESTAMP', nullable: true });
      const expected = await source();
      expect(await landed()).toEqual({ n: expected.n, ids: expected.ids, d: expected.n, inv: expected.inv });
      // The rows loaded before the column existed read it as null; the new rows bring theirs.
      expect(Number((await one('select count(return_date) as n from rental')).n)).toBe(4);

      // The source turns customer_id into a JSON document: an INT64 column cannot hold it.
      await pagila.client.query('alter table rental alter column customer_id type jsonb using jsonb_build_object(\'id\', customer_id)');
      await pagila.client.query(`insert into rental (rental_id, rental_date, inventory_id, customer_id, staff_id, last_update)
        values (92001, (select max(rental_date) from rental) + interval '1 day', 3, '{"id": 3}', 1, now())`);
      job = await updateEtlJob(env.orm.em.fork(), scope, job.id, { columns: columns.map((c) => (c === 'customer_id' ? { name: c, type: 'JSON' } : c)) }, deps);
      const lossy = await run(job);
      expect(lossy.status).toBe('failed');
      expect(lossy.error).toMatchObject({ stage: 'load', code: 'schema_change', message: expect.stringMatching(/"customer_id" is INT64 in the warehouse but the source now sends JSON/) });
      // The job's watermark stays where the last load committed it.
      expect((await getEtlJob(env.orm.em.fork(), scope, job.id)).watermark).toEqual(widened.watermarkAfter);
      expect((await landed()).n).toBe(expected.n);
      expect((await warehouse.describe(projectId, 'rental'))!.find((c) => c.name === 'customer_id')?.type).toBe('INT64');
    });
  });

  describe('Sakila in MariaDB', () => {
    let connectionId: string;

    beforeAll(async () => {
      const { connection } = await createConnection(env.orm.em.fork(), scope, projectId, {
        name: 'Sakila', type: 'mysql', config: { host: MARIADB.host, port: MARIADB.port, database: mariaDb, user: MARIADB.user }, credentials: { password: MARIADB.password },
      }, deps);
      connectionId = connection.id;
    });

    test('a transactional payment job backfills 16,044 rows, then takes boundary, late and new rows exactly once', async () => {
      const job = await createEtlJob(env.orm.em.fork(), scope, projectId, {
        name: 'Payments', connectionId, source: { schema: mariaDb, table: 'payment' },
        columns: ['payment_id', 'customer_id', 'staff_id', 'rental_id', { name: 'amount', type: 'NUMERIC' }, 'payment_date'],
        loadType: 'transactional', timestampColumn: 'payment_date', primaryKey: ['payment_id'], backfill: { all: true }, lookbackSeconds: 3600,
      }, deps);
      const source = async () => {
        const [rows] = await maria.query(`select count(*) as n, sum(payment_id) as ids, sum(amount) as amount from ${mariaDb}.payment`);
        const row = (rows as Record<string, unknown>[])[0]!;
        return { n: Number(row.n), ids: Number(row.ids), amount: Number(row.amount) };
      };
      const landed = async () => {
        const row = await one('select count(*) as n, sum(payment_id) as ids, count(distinct payment_id) as d, sum(amount) as amount from payment');
        return { n: Number(row.n), ids: Number(row.ids), amount: Number(row.amount), d: Number(row.d) };
      };

      expect(await run(job)).toMatchObject({ status: 'succeeded', rowsLoaded: 16_044 });
      let expected = await source();
      expect(await landed()).toEqual({ ...expected, d: expected.n });

      await maria.query(`insert into ${mariaDb}.payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date)
        select 60000 + seq, 1, 1, null, 1.25 * seq, m.max + interval case when seq <= 3 then 0 when seq <= 5 then -15 else 1440 end minute
          from (select max(payment_date) as max from ${mariaDb}.payment) as m, (select 1 as seq union select 2 union select 3 union select 4 union select 5 union select 6 union select 7) as s`);
      expect((await run(job)).status).toBe('succeeded');
      expected = await source();
      expect(await landed()).toEqual({ ...expected, d: expected.n });
    });

    test('a catalog film job replaces its table while a reader reads it: the reader sees the old or the new snapshot, never a part', async () => {
      const job = await createEtlJob(env.orm.em.fork(), scope, projectId, {
        name: 'Films', connectionId, source: { schema: mariaDb, table: 'film' },
        columns: ['film_id', 'title', 'rental_rate', 'length', 'rating'], loadType: 'catalog', destinationTable: 'film_catalog',
      }, deps);
      expect(await run(job)).toMatchObject({ status: 'succeeded', rowsLoaded: 1000 });
      await maria.query(`delete from ${mariaDb}.film where film_id > 800`);

      const seen = new Set<string>();
      let reading = true;
      const reader = (async () => {
        while (reading) {
          const row = await one('select count(*) as n, max(film_id) as m from film_catalog');
          seen.add(`${Number(row.n)}/${Number(row.m)}`);
        }
      })();
      const second = await run(job);
      reading = false;
      await reader;
      expect(second).toMatchObject({ status: 'succeeded', rowsLoaded: 800 });
      expect([...seen].every((s) => s === '1000/1000' || s === '800/800')).toBe(true);
      expect(seen.has('1000/1000')).toBe(true);
      expect(await one('select count(*) as n from film_catalog')).toMatchObject({ n: expect.anything() });
      expect(Number((await one('select count(*) as n from film_catalog')).n)).toBe(800);
    });
  });

  describe.each(['s3', 'azure_blob'] as const)('files in %s', (store) => {
    let put: (name: string, body: string) => Promise<void>;
    let connectionId: string;
    const bucket = `drops-${kind}`;

    beforeAll(async () => {
      if (store === 's3') {
        const s3 = new S3Client({
          region: 'us-east-1', endpoint: s3rver.endpoint, forcePathStyle: true,
          credentials: { accessKeyId: s3rver.accessKeyId, secretAccessKey: s3rver.secretAccessKey },
          requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
        });
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        put = async (name, body) => void (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `in/${name}`, Body: body })));
      } else {
        const container: ContainerClient = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(bucket);
        await container.create();
        put = async (name, body) => void (await container.getBlockBlobClient(`in/${name}`).upload(body, Buffer.byteLength(body)));
      }
      // A connection's test wants the folder to hold files.
      await put('README.txt', 'Daily sales drops.\n');
      const config = store === 's3'
        ? { type: 's3', config: { bucket, prefix: 'in', endpoint: s3rver.endpoint, forcePathStyle: true }, credentials: { accessKeyId: s3rver.accessKeyId, secretAccessKey: s3rver.secretAccessKey } }
        : { type: 'azure_blob', config: { account: azurite.account, container: bucket, prefix: 'in', endpoint: azurite.endpoint }, credentials: { accountKey: azurite.accountKey } };
      const { connection } = await createConnection(env.orm.em.fork(), scope, projectId, { name: `Drops ${store}`, ...config }, deps);
      connectionId = connection.id;
    });

    test('a transactional file job picks up only the file that is new', async () => {
      const day = (d: number, ids: number[]) => put(`sales-2011-01-0${d}.csv`, ['id,amount', ...ids.map((i) => `${i},${i}.5`)].join('\n') + '\n');
      await day(1, [1, 2, 3]);
      await day(2, [4, 5]);
      const job = await createEtlJob(env.orm.em.fork(), scope, projectId, {
        name: `Daily ${store}`, connectionId, source: { path: '', pattern: 'sales-*.csv', format: 'csv' },
        columns: ['id', 'amount'], loadType: 'transactional', destinationTable: `daily_${store}`,
      }, deps);
      expect(await run(job)).toMatchObject({ status: 'succeeded', rowsLoaded: 5, filesProcessed: 2 });
      await day(3, [6, 7]);
      expect(await run(job)).toMatchObject({ status: 'succeeded', rowsLoaded: 2, filesProcessed: 1 });
      expect(await run(job)).toMatchObject({ status: 'succeeded', rowsLoaded: 0, filesProcessed: 0 });
      const row = await one(`select count(*) as n, sum(id) as s from daily_${store}`);
      expect({ n: Number(row.n), s: Number(row.s) }).toEqual({ n: 7, s: 28 });
    });

    test('malformed CSV lines are listed within maxBadRows; over it the run fails and loads nothing', async () => {
      await put('orders.csv', [
        'order_id,customer,amount',
        '1,A-1,10.50',
        '2,A-2,eleven',
        '3,A-3',
        '4,A-4,12.25',
      ].join('\n') + '\n');
      const base = { connectionId, source: { path: 'orders.csv', format: 'csv' }, columns: ['order_id', 'customer', { name: 'amount', type: 'NUMERIC' }], loadType: 'catalog' };
      const strict = await createEtlJob(env.orm.em.fork(), scope, projectId, { ...base, name: `Strict ${store}`, destinationTable: `strict_${store}`, maxBadRows: 1 }, deps);
      const failed = await run(strict);
      expect(failed).toMatchObject({ status: 'failed', error: { stage: 'extract', code: 'too_many_bad_rows' } });
      expect((await warehouse.listTables(projectId)).map((t) => t.name)).not.toContain(`strict_${store}`);

      const lenient = await createEtlJob(env.orm.em.fork(), scope, projectId, { ...base, name: `Lenient ${store}`, destinationTable: `lenient_${store}`, maxBadRows: 2 }, deps);
      const ok = await run(lenient);
      expect(ok).toMatchObject({ status: 'succeeded', rowsLoaded: 2, rowsRejected: 2 });
      const rejected = await listRejectedRows(env.orm.em.fork(), scope, ok.id);
      expect(rejected.map((r) => r.line).sort()).toEqual([3, 4]);
      expect(rejected.find((r) => r.line === 4)!.reason).toContain('2 fields where 3 are expected');
      expect(rejected.find((r) => r.line === 3)).toMatchObject({ file: 'orders.csv', value: expect.stringContaining('eleven') });
    });
  });
});
