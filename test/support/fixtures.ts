import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { REPO } from './processes.js';
import { SERVER_DATABASE_URL } from './test-env.js';

const run = promisify(execFile);
const FIXTURES = path.join(REPO, 'test', 'fixtures');

export const PAGILA_DB = 'recs_fixture_pagila';
export const SAKILA_DB = 'recs_fixture_sakila';
export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** The Pagila database's address on this machine's PostgreSQL. */
export function pagilaUrl(): URL {
  const url = new URL(SERVER_DATABASE_URL);
  url.pathname = `/${PAGILA_DB}`;
  return url;
}

/**
 * Loads Pagila into PostgreSQL once (with psql, which reads its COPY blocks), under an advisory
 * lock so parallel test files do not load it twice. A half-loaded database is dropped and reloaded.
 */
export async function ensurePagila(): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock(hashtext($1))', [PAGILA_DB]);
    if (await pagilaComplete()) return;
    await admin.query(`drop database if exists ${PAGILA_DB} with (force)`);
    await admin.query(`create database ${PAGILA_DB}`);
    const url = pagilaUrl().toString();
    for (const file of ['pagila-schema.sql', 'pagila-data.sql']) {
      await run('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', path.join(FIXTURES, 'pagila', file)], { maxBuffer: 64 * 1024 * 1024 });
    }
    await run('psql', ['-q', '-d', url, '-c', 'create table recs_fixture_loaded (at timestamptz default now()); insert into recs_fixture_loaded default values']);
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', [PAGILA_DB]).catch(() => undefined);
    await admin.end();
  }
}

async function pagilaComplete(): Promise<boolean> {
  const client = new pg.Client({ connectionString: pagilaUrl().toString() });
  try {
    await client.connect();
    const { rows } = await client.query("select to_regclass('public.recs_fixture_loaded') is not null as loaded");
    return rows[0].loaded === true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Loads Sakila into MariaDB once, as `recs_fixture_sakila`, under a named lock. */
export async function ensureSakila(): Promise<void> {
  const conn = await mysql.createConnection({ ...MARIADB, multipleStatements: true });
  try {
    await conn.query('select get_lock(?, 300)', [SAKILA_DB]);
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      "select count(*) as n from information_schema.tables where table_schema = ? and table_name = 'recs_fixture_loaded'",
      [SAKILA_DB],
    );
    if (rows[0]!.n > 0) return;
    const point = (sql: string) =>
      sql
        .replace(/DROP SCHEMA IF EXISTS sakila;/g, `DROP SCHEMA IF EXISTS ${SAKILA_DB};`)
        .replace(/CREATE SCHEMA sakila;/g, `CREATE SCHEMA ${SAKILA_DB};`)
        .replace(/USE sakila(_app)?;/g, `USE ${SAKILA_DB};`)
        .replace(/\bsakila\./g, `${SAKILA_DB}.`);
    for (const file of ['sakila-schema.sql', 'sakila-data.sql']) {
      const sql = point(await readFile(path.join(FIXTURES, 'sakila', file), 'utf8'));
      await new Promise<void>((resolve, reject) => {
        const child = execFile('mariadb', ['-h', MARIADB.host, '-P', String(MARIADB.port), '-u', MARIADB.user], { maxBuffer: 64 * 1024 * 1024 }, (err) => (err ? reject(err) : resolve()));
        child.stdin!.end(sql);
      });
    }
    await conn.query(`create table ${SAKILA_DB}.recs_fixture_loaded (at timestamp default current_timestamp)`);
  } finally {
    await conn.query('select release_lock(?)', [SAKILA_DB]).catch(() => undefined);
    await conn.end();
  }
}
