/**
 * `npm run bench:etl`: the ETL engine beside its references, in one run on this machine.
 *
 * 1. PostgreSQL: an 8-column transactions table (BENCH_ROWS, default 5 million) into the local
 *    warehouse, end to end (run queued → succeeded, through real extractor and loader processes),
 *    against `psql -c "\copy (select * from t) to '/dev/null'"`.
 * 2. The same table in MariaDB against `mysql --quick -e 'select * from t' > /dev/null`.
 * 3. A CSV file (the same rows, repeated to about BENCH_CSV_MB, default 1024) from a local folder
 *    into the local warehouse, against DuckDB's own `COPY (SELECT * FROM read_csv(...)) TO 'x.parquet'`.
 * 4. The extractor's and loader's peak resident memory (VmHWM) in each case.
 *
 * Results go to bench/results/etl-<time>.json. Timings are measurements, never test assertions.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  EtlRun,
  TERMINAL_STATUSES,
  createConnection,
  createEtlJob,
  createOrm,
  createProject,
  createTenant,
  ensureDatabase,
  migrate,
  openSecretStore,
  parseConfig,
  startRun,
  createQueue,
  QUEUES,
  type Scope,
} from '@b2b-recs/shared';
import { peakRssMb, timeCommand } from './measure.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const CSV_MB = Number(process.env.BENCH_CSV_MB ?? 1024);
const PG_SERVER = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SOURCE_DB = `recs_bench_src_${ROWS}`;
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' };

function url(db: string): string {
  const u = new URL(PG_SERVER);
  u.pathname = `/${db}`;
  return u.toString();
}

/** The source table, generated once and kept between runs (it takes a while to make). */
async function ensureSourceTable(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_SERVER });
  await admin.connect();
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [SOURCE_DB])).rowCount;
  if (!exists) await admin.query(`create database ${SOURCE_DB}`);
  await admin.end();
  const client = new pg.Client({ connectionString: url(SOURCE_DB) });
  await client.connect();
  const has = await client.query("select to_regclass('public.t') is not null as ok");
  if (!has.rows[0].ok) {
    console.log(`generating ${ROWS.toLocaleString()} rows in PostgreSQL ...`);
    await client.query('drop table if exists t_build');
    await client.query(`create unlogged table t_build (id bigint, customer_id int, stock_code text, quantity int, price numeric(10,2), ts timestamptz, country text, description text)`);
    await client.query(`insert into t_build
      select i, (12000 + (i * 7919) % 4339)::int, lpad(((i * 104729) % 3940)::text, 5, '0') || case when i % 9 = 0 then 'A' else '' end,
             (1 + (i % 24))::int, ((i * 31) % 2000) / 100.0, timestamptz '2010-12-01' + (i::float8 / ${ROWS}) * interval '373 days',
             (array['United Kingdom','France','Germany','EIRE','Spain','Netherlands','Belgium','Switzerland'])[1 + i % 8],
             'WHITE HANGING HEART T-LIGHT HOLDER ' || (i % 1000)
        from generate_series(1::bigint, ${ROWS}::bigint) i`);
    await client.query('alter table t_build add primary key (id)');
    await client.query('alter table t_build rename to t');
    await client.query('analyze t');
  }
  await client.end();
}

/** The same table in MariaDB, loaded from a CSV that psql writes. */
async function ensureMariaTable(csv: string): Promise<void> {
  const check = await run('mariadb', ['-h', MARIADB.host, '-u', MARIADB.user, '-N', '-e', `select count(*) from information_schema.tables where table_schema='recs_bench' and table_name='t_${ROWS}'`]);
  if (check.trim() === '1') return;
  console.log('loading the same rows into MariaDB ...');
  await run('mariadb', ['-h', MARIADB.host, '-u', MARIADB.user, '-e', `create database if not exists recs_bench; drop table if exists recs_bench.t_${ROWS};
    create table recs_bench.t_${ROWS} (id bigint primary key, customer_id int, stock_code varchar(20), quantity int, price decimal(10,2), ts datetime(6), country varchar(40), description varchar(200));
    load data local infile '${csv}' into table recs_bench.t_${ROWS} fields terminated by ',' optionally enclosed by '"' (id, customer_id, stock_code, quantity, price, @ts, country, description) set ts = str_to_date(substring(@ts, 1, 26), '%Y-%m-%d %H:%i:%s.%f');`]);
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command}: ${err}`))));
  });
}

interface Case {
  name: string;
  rows: number;
  bytes?: number;
  reference: { command: string; seconds: number; rowsPerSecond: number };
  engine?: { seconds: number; rowsPerSecond: number; extractSeconds?: number; loadSeconds?: number; extractorPeakMb?: number; loaderPeakMb?: number };
  ratio?: number;
  goal: number;
  error?: string;
}

async function main(): Promise<void> {
  const id = randomBytes(3).toString('hex');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'recs-bench-'));
  const filesDir = path.join(dataDir, 'files');
  await mkdir(filesDir, { recursive: true });
  const vars: Record<string, string> = {
    DATABASE_URL: url(`recs_bench_meta_${id}`),
    QUEUE_PREFIX: `bench-${id}`,
    DATA_DIR: dataDir,
    LOCAL_FILES_ROOT: filesDir,
    WAREHOUSE_URL: 'local',
    LOG_LEVEL: 'warn',
  };
  const config = parseConfig(vars);
  await ensureSourceTable();
  await ensureDatabase(config.databaseUrl);
  const orm = createOrm(config.databaseUrl);
  await migrate(orm);
  const em = orm.em.fork();
  const { tenantId, userId } = await createTenant(em, { name: 'Bench', email: `bench-${id}@bench.test`, password: 'bench password' });
  const scope: Scope = { tenantId, userId, role: 'admin' };
  const project = await createProject(em, scope, { name: 'Bench' });
  const secrets = await openSecretStore(config);
  const connectionDeps = { secrets, sourceDeps: { localFilesRoot: filesDir }, allowLinkLocal: false };
  const queues = { extractor: createQueue(QUEUES.extractor, config.redis), loader: createQueue(QUEUES.loader, config.redis) };

  const workers: ChildProcess[] = ['extractor', 'loader'].map((s, i) =>
    spawn(process.execPath, [path.join(repo, 'services', s, 'dist', 'main.js')], {
      env: { ...process.env, ...vars, HEALTH_PORT: String(19_102 + i) },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  await sleep(1_500);

  async function engineRun(name: string, body: Record<string, unknown>): Promise<NonNullable<Case['engine']>> {
    const job = await createEtlJob(orm.em.fork(), scope, project.id, { name, ...body }, connectionDeps);
    const started = performance.now();
    const run = await startRun(orm.em.fork(), scope, job.id, queues);
    let done;
    for (;;) {
      done = await orm.em.fork().findOneOrFail(EtlRun, { id: run.id });
      if (TERMINAL_STATUSES.includes(done.status)) break;
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    if (done.status !== 'succeeded') throw new Error(`run ${done.status}: ${JSON.stringify(done.error)}`);
    const t = done.timings;
    const span = (a?: string, b?: string) => (a && b ? (new Date(b).getTime() - new Date(a).getTime()) / 1000 : undefined);
    return {
      seconds,
      rowsPerSecond: Math.round(done.rowsLoaded / seconds),
      extractSeconds: span(t.extractStartedAt, t.extractEndedAt),
      loadSeconds: span(t.loadStartedAt, t.loadEndedAt),
      extractorPeakMb: await peakRssMb(workers[0]!.pid!),
      loaderPeakMb: await peakRssMb(workers[1]!.pid!),
    };
  }

  const cases: Case[] = [];
  const columns = ['id', 'customer_id', 'stock_code', 'quantity', 'price', 'ts', 'country', 'description'];

  // 1. PostgreSQL.
  {
    const seconds = await timeCommand('psql', ['-q', '-d', url(SOURCE_DB), '-c', "\\copy (select * from t) to '/dev/null'"]);
    const c: Case = { name: 'postgresql → local warehouse', rows: ROWS, goal: 0.7, reference: { command: "psql \\copy (select * from t) to '/dev/null'", seconds, rowsPerSecond: Math.round(ROWS / seconds) } };
    try {
      const u = new URL(url(SOURCE_DB));
      const { connection } = await createConnection(orm.em.fork(), scope, project.id, {
        name: 'bench pg', type: 'postgresql', config: { host: u.hostname, port: Number(u.port || 5432), database: SOURCE_DB, user: u.username || 'postgres', sslMode: 'disable' },
      }, connectionDeps);
      c.engine = await engineRun('pg', { connectionId: connection.id, source: { schema: 'public', table: 't' }, columns, loadType: 'catalog', destinationTable: 'pg_t' });
      c.ratio = +(c.engine.rowsPerSecond / c.reference.rowsPerSecond).toFixed(3);
    } catch (error) {
      c.error = (error as Error).message;
    }
    cases.push(c);
  }

  // The rows as CSV, for MariaDB's load and the file case.
  const csv = path.join(dataDir, 'rows.csv');
  await timeCommand('psql', ['-q', '-d', url(SOURCE_DB), '-c', `\\copy (select id, customer_id, stock_code, quantity, price, to_char(ts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), country, description from t) to '${csv}' with (format csv)`]);

  // 2. MariaDB.
  {
    const c: Case = { name: 'mariadb → local warehouse', rows: ROWS, goal: 0.7, reference: { command: "mysql --quick -e 'select * from t' > /dev/null", seconds: 0, rowsPerSecond: 0 } };
    try {
      await ensureMariaTable(csv);
      const seconds = await timeCommand('sh', ['-c', `mysql --quick -h ${MARIADB.host} -u ${MARIADB.user} -e 'select * from recs_bench.t_${ROWS}' > /dev/null`]);
      c.reference = { ...c.reference, seconds, rowsPerSecond: Math.round(ROWS / seconds) };
      const { connection } = await createConnection(orm.em.fork(), scope, project.id, {
        name: 'bench mariadb', type: 'mysql', config: { host: MARIADB.host, port: MARIADB.port, database: 'recs_bench', user: MARIADB.user }, credentials: { password: '' },
      }, connectionDeps);
      c.engine = await engineRun('mariadb', { connectionId: connection.id, source: { schema: 'recs_bench', table: `t_${ROWS}` }, columns, loadType: 'catalog', destinationTable: 'mariadb_t' });
      c.ratio = +(c.engine.rowsPerSecond / c.reference.rowsPerSecond).toFixed(3);
    } catch (error) {
      c.error = (error as Error).message;
    }
    cases.push(c);
  }

  // 3. A CSV file of about CSV_MB.
  {
    const big = path.join(filesDir, 'transactions.csv');
    const out = createWriteStream(big);
    out.write('id,customer_id,stock_code,quantity,price,ts,country,description\n');
    const size = (await stat(csv)).size;
    const copies = Math.max(1, Math.round((CSV_MB * 1024 * 1024) / size));
    for (let i = 0; i < copies; i++) await pipeline(createReadStream(csv), out, { end: false });
    await new Promise((r) => out.end(r));
    const rows = ROWS * copies;
    const bytes = (await stat(big)).size;
    const db = await DuckDBInstance.create(':memory:', { threads: '2' });
    const conn = await db.connect();
    const started = performance.now();
    await conn.run(`COPY (SELECT * FROM read_csv('${big}')) TO '${path.join(dataDir, 'x.parquet')}' (FORMAT parquet)`);
    const seconds = (performance.now() - started) / 1000;
    conn.closeSync();
    db.closeSync();
    const c: Case = { name: 'csv file → local warehouse', rows, bytes, goal: 0.5, reference: { command: "duckdb COPY (SELECT * FROM read_csv(...)) TO 'x.parquet'", seconds, rowsPerSecond: Math.round(rows / seconds) } };
    try {
      const { connection } = await createConnection(orm.em.fork(), scope, project.id, { name: 'bench files', type: 'local_files', config: { path: '' } }, connectionDeps);
      c.engine = await engineRun('csv', { connectionId: connection.id, source: { path: 'transactions.csv', format: 'csv' }, columns, loadType: 'catalog', destinationTable: 'csv_t' });
      c.ratio = +(c.engine.rowsPerSecond / c.reference.rowsPerSecond).toFixed(3);
    } catch (error) {
      c.error = (error as Error).message;
    }
    cases.push(c);
  }

  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  await Promise.all([queues.extractor.obliterate({ force: true }), queues.loader.obliterate({ force: true })]).catch(() => undefined);
  await Promise.all([queues.extractor.close(), queues.loader.close()]);
  await orm.close();
  const admin = new pg.Client({ connectionString: PG_SERVER });
  await admin.connect();
  await admin.query(`drop database if exists recs_bench_meta_${id} with (force)`);
  await admin.end();
  await rm(dataDir, { recursive: true, force: true });

  const result = { benchmark: 'etl', at: new Date().toISOString(), machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, cases };
  const file = path.join(repo, 'bench', 'results', `etl-${result.at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(result, null, 2) + '\n');
  console.table(cases.map((c) => ({
    case: c.name,
    rows: c.rows,
    'reference rows/s': c.reference.rowsPerSecond,
    'engine rows/s': c.engine?.rowsPerSecond,
    ratio: c.ratio,
    goal: c.goal,
    'extractor MB': c.engine?.extractorPeakMb?.toFixed(0),
    'loader MB': c.engine?.loaderPeakMb?.toFixed(0),
    error: c.error?.slice(0, 80),
  })));
  console.log(`written to ${path.relative(repo, file)}`);
}

await main();
