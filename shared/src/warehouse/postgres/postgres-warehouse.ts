import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { PermanentError } from '../../jobs/errors.js';
import { METADATA_COLUMNS } from '../column-names.js';
import { POSTGRES_TYPES } from '../physical-types.js';
import { planSchemaChange } from '../schema-evolution.js';
import type { ColumnSpec, LoadMarker, LoadRequest, LoadResult, SchemaChange, Warehouse } from '../warehouse.js';
import { copyParquetToPostgres } from './parquet-copy.js';
import { convert, warehouseTypeOf, type CatalogColumn } from './postgres-column-types.js';
import { checkColumnName, checkTableName, ident, INTERNAL_PREFIX, LOADS_TABLE, projectSchema, qualified } from './postgres-identifiers.js';
import { insertStagedSql, type DedupeSql, type StagedColumn } from './postgres-load-sql.js';

/** Settings of the PostgreSQL warehouse. */
export interface PostgresWarehouseOptions {
  /** The database, as `WAREHOUSE_URL`: `postgres://user:password@host:5432/database`. */
  url: string;
  /** Connections to PostgreSQL, shared by loads and queries. @defaultValue 4 */
  maxConnections?: number;
  /** DuckDB's memory limit while it reads staged parts. @defaultValue `512MB` */
  duckdbMemoryLimit?: string;
  /** DuckDB's threads while it reads staged parts. @defaultValue 2 */
  duckdbThreads?: number;
}

/** Whether a `WAREHOUSE_URL` names a PostgreSQL warehouse. */
export function isPostgresWarehouseUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The staging table of a load: session-local, dropped with the load's transaction. */
const STAGE = `pg_temp.${ident(`${INTERNAL_PREFIX}stage`)}`;

/** Lower-cased names of the columns every load adds; a dedupe key of all the others is "every source column". */
const METADATA = new Set<string>(METADATA_COLUMNS);

/**
 * A warehouse in a PostgreSQL database: a schema per project (`p_<project id without dashes>`),
 * a table per destination with columns typed by POSTGRES_TYPES, and a `_recs_loads` table per
 * schema holding each committed run's marker.
 *
 * A load copies the run's Parquet parts (read by DuckDB) into a temporary staging table, then,
 * in the same transaction, locks the destination, checks the run's marker, evolves the columns,
 * writes the rows and the marker, and commits: rows and marker become visible together or not at
 * all. Loads of one table wait for each other (a transaction-scoped advisory lock, taken after the
 * slow COPY); loads of different tables run side by side.
 */
export class PostgresWarehouse implements Warehouse {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly duckdbOptions: Record<string, string>;
  private duckdb: Promise<DuckDBInstance> | null = null;
  /** Schemas this process has created or found, with their `_recs_loads`. */
  private readonly readySchemas = new Set<string>();
  private closed = false;

  constructor(options: PostgresWarehouseOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      application_name: 'b2b-recs-warehouse',
      types: RESULT_TYPES,
    });
    // A broken idle connection (the server restarted) leaves the pool and the next checkout opens a
    // new one; without a listener its error would end the process.
    this.pool.on('error', () => undefined);
    this.duckdbOptions = {
      memory_limit: options.duckdbMemoryLimit ?? '512MB',
      threads: String(options.duckdbThreads ?? 2),
      autoinstall_known_extensions: 'false',
    };
  }

  /**
   * Loads a run as one transaction (see `Warehouse.load`). The order inside matters: the marker is
   * checked after the table lock (two tries of one run cannot both pass), the schema is evolved
   * before the rows are written, and the marker is written in the same transaction as the rows.
   */
  async load(request: LoadRequest, options: { signal?: AbortSignal } = {}): Promise<LoadResult> {
    this.assertOpen();
    const { signal } = options;
    signal?.throwIfAborted();
    const schema = projectSchema(request.projectId);
    const files = checkRequest(request);
    // A retry after a commit whose answer was lost: answer without reading the parts again.
    const earlier = await this.findLoad(request.projectId, request.table, request.runId);
    if (earlier) return { marker: earlier, alreadyLoaded: true, schemaChanges: [] };
    await this.ensureSchema(schema);
    const duckdb = await this.duckdbInstance();

    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL TimeZone = 'UTC'`);
      await client.query(`CREATE TEMP TABLE ${STAGE} (${columnsDdl(request.columns)}) ON COMMIT DROP`);
      const copied = await copyParquetToPostgres({ duckdb, client, target: STAGE, columns: request.columns, files, signal }).catch((error: unknown) => {
        throw stagingError(error, request, signal);
      });
      const expected = request.parts.reduce((sum, part) => sum + part.rows, 0);
      if (copied !== expected) {
        throw new PermanentError(
          `The staged parts of run ${request.runId} hold ${copied} rows, but the extractor recorded ${expected}: ` +
            `the files were changed or are incomplete. Nothing was loaded into ${request.table}; run the job again to extract afresh.`,
          'staged_rows_mismatch',
        );
      }
      // Temporary tables get no autovacuum statistics; the dedupe join is planned from these.
      if (request.mode === 'append' && request.dedupe?.key.length) await client.query(`ANALYZE ${STAGE}`);
      signal?.throwIfAborted();

      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`recs-warehouse-table:${schema}.${request.table}`]);
      const committed = await readMarker(client, schema, request.runId);
      if (committed) {
        if (committed.table !== request.table) {
          throw new PermanentError(
            `Run ${request.runId} already committed into table ${committed.table} of project ${request.projectId}, not ${request.table}; ` +
              `a run loads one table. Start a new run to load ${request.table}.`,
            'run_loaded_elsewhere',
          );
        }
        await client.query('ROLLBACK');
        return { marker: committed.marker, alreadyLoaded: true, schemaChanges: [] };
      }

      const existing = await describeTable(client, schema, request.table);
      // SchemaChangeError leaves here, and the rollback undoes the staging: nothing changes.
      const plan = existing ? planSchemaChange(existing, request.columns) : { columns: request.columns.map((c) => ({ ...c, nullable: true })), changes: [] };
      const staged = stagedColumns(request.columns, plan.columns);
      const rowsLoaded =
        request.mode === 'replace'
          ? await replaceTable(client, schema, request, staged, plan.columns, existing !== null)
          : await appendRows(client, schema, request, staged, existing, plan);

      const { rows } = await client.query(
        `INSERT INTO ${qualified(schema, LOADS_TABLE)} (run_id, job_id, table_name, rows_loaded, watermark_after, committed_at) ` +
          `VALUES ($1, $2, $3, $4, $5::jsonb, clock_timestamp()) RETURNING ${MARKER_COLUMNS}`,
        [request.runId, request.jobId, request.table, rowsLoaded, JSON.stringify(request.marker.watermarkAfter ?? null)],
      );
      signal?.throwIfAborted();
      await client.query('COMMIT');
      return { marker: toMarker(rows[0] as MarkerRow), alreadyLoaded: false, schemaChanges: plan.changes };
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      // The schema was dropped behind this process's back (a deleted project): let a retry create it again.
      if (isMissingRelation(error)) this.readySchemas.delete(schema);
      // A failed COMMIT leaves the outcome unknown; the retry's marker check tells.
      await client.query('ROLLBACK').catch(() => undefined);
      // An abort surfaces as whatever it broke first (often PostgreSQL's "COPY from stdin failed"): answer the abort.
      throw signal?.aborted ? signal.reason : error;
    } finally {
      // After a failure the connection may be mid-COPY: close it rather than hand it on.
      client.release(failure);
    }
  }

  async findLoad(projectId: string, table: string, runId: string): Promise<LoadMarker | null> {
    this.assertOpen();
    const schema = projectSchema(projectId);
    try {
      const { rows } = await this.pool.query(`SELECT ${MARKER_COLUMNS} FROM ${qualified(schema, LOADS_TABLE)} WHERE run_id = $1 AND table_name = $2`, [runId, table]);
      return rows[0] ? toMarker(rows[0] as MarkerRow) : null;
    } catch (error) {
      if (isMissingRelation(error)) return null;
      throw error;
    }
  }

  /** The table's columns; all are nullable, as a later load may leave any of them out. */
  async describe(projectId: string, table: string): Promise<ColumnSpec[] | null> {
    this.assertOpen();
    return describeTable(this.pool, projectSchema(projectId), table);
  }

  /**
   * The project's tables, snapshots included, with exact row counts (`count(*)`, one statement, so
   * one point in time): estimates from pg_class are unknown until autovacuum has analyzed a table.
   */
  async listTables(projectId: string): Promise<{ name: string; rows: number }[]> {
    this.assertOpen();
    const schema = projectSchema(projectId);
    const { rows: tables } = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ` +
        `WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND left(c.relname, $2) <> $3 ORDER BY c.relname`,
      [schema, INTERNAL_PREFIX.length, INTERNAL_PREFIX],
    );
    if (tables.length === 0) return [];
    const counts = tables.map((t, i) => `SELECT $${i + 1}::text AS name, count(*) AS rows FROM ${qualified(schema, t.name)}`).join(' UNION ALL ');
    const { rows } = await this.pool.query<{ name: string; rows: bigint }>(
      counts,
      tables.map((t) => t.name),
    );
    const byName = new Map(rows.map((r) => [r.name, Number(r.rows)]));
    return tables.map((t) => ({ name: t.name, rows: byName.get(t.name) ?? 0 }));
  }

  /**
   * Runs one statement in a read-only transaction with the project's schema as the search path, so
   * its tables are named unqualified. The extended protocol refuses a second statement (which could
   * otherwise end the read-only transaction). Values: BIGINT as bigint, NUMERIC as exact decimal
   * text, TIMESTAMP as Date, DATETIME as Date (the wall-clock time read as UTC), DATE as Date at
   * midnight UTC, JSON parsed.
   *
   * This separates projects by name, not by permission: a query that names another project's schema
   * can read it. Do not pass SQL a tenant wrote; that needs a role per project.
   */
  async query(projectId: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    const schema = projectSchema(projectId);
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SELECT set_config('search_path', $1, true), set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, MDY', true)`, [ident(schema)]);
      const statement: pg.QueryConfig & { queryMode: 'extended' } = { text: sql, values: params, queryMode: 'extended' };
      const result = await client.query<Record<string, unknown>>(statement);
      await client.query('ROLLBACK');
      return result.rows;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        failure = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.release(failure);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const duckdb = this.duckdb;
    this.duckdb = null;
    if (duckdb) (await duckdb.catch(() => null))?.closeSync();
    await this.pool.end();
  }

  /** Creates the project's schema and marker table once; concurrent first loads wait on a lock. */
  private async ensureSchema(schema: string): Promise<void> {
    if (this.readySchemas.has(schema)) return;
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`recs-warehouse-schema:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${qualified(schema, LOADS_TABLE)} (` +
          `run_id text PRIMARY KEY, job_id text NOT NULL, table_name text NOT NULL, rows_loaded bigint NOT NULL, ` +
          `watermark_after jsonb, committed_at timestamptz NOT NULL)`,
      );
      await client.query('COMMIT');
      this.readySchemas.add(schema);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release(failure);
    }
  }

  private duckdbInstance(): Promise<DuckDBInstance> {
    this.duckdb ??= DuckDBInstance.create(':memory:', this.duckdbOptions);
    return this.duckdb;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('This PostgresWarehouse was closed; open a new one.');
  }
}

/** Opens the warehouse a `WAREHOUSE_URL` of `postgres://...` names. */
export function createPostgresWarehouse(url: string, options: Omit<PostgresWarehouseOptions, 'url'> = {}): PostgresWarehouse {
  if (!isPostgresWarehouseUrl(url)) throw new Error(`WAREHOUSE_URL "${url.split('@').pop()}" is not a postgres:// URL.`);
  return new PostgresWarehouse({ ...options, url });
}

/** Checks what PostgreSQL would mangle or refuse, before any work; returns the parts' local paths. */
function checkRequest(request: LoadRequest): string[] {
  checkTableName(request.table);
  if (request.keepSnapshotAs !== undefined) checkTableName(`${request.table}__${request.keepSnapshotAs}`, 'snapshot table');
  if (request.columns.length === 0) throw new PermanentError(`Run ${request.runId} sends no columns for table ${request.table}; there is nothing to load.`, 'invalid_columns');
  const seen = new Set<string>();
  for (const column of request.columns) {
    checkColumnName(request.table, column.name);
    if (seen.has(column.name.toLowerCase())) {
      throw new PermanentError(`Run ${request.runId} sends column "${column.name}" of table ${request.table} twice (names are compared without case).`, 'invalid_columns');
    }
    seen.add(column.name.toLowerCase());
  }
  return request.parts.map((part) => {
    if (part.uri.startsWith('file://')) return fileURLToPath(part.uri);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(part.uri) || !path.isAbsolute(part.uri)) {
      throw new PermanentError(
        `Staged part ${part.uri} of run ${request.runId} is not an absolute local path; the PostgreSQL warehouse reads parts from the loader's disk. ` +
          `Stage to a local folder, or download the part first.`,
        'invalid_part',
      );
    }
    return part.uri;
  });
}

/**
 * Says which run and table a failed COPY was for. A value PostgreSQL or DuckDB cannot convert, or a
 * part that is missing or lacks a column, fails the same way on every retry: permanent. Anything
 * else (a dropped connection) may pass on a retry. An abort stays an abort.
 */
function stagingError(error: unknown, request: LoadRequest, signal: AbortSignal | undefined): unknown {
  // Not `instanceof Error`: DuckDB's errors may come from another realm (a test's VM context).
  const { code, where, message: reason } = (error ?? {}) as { code?: string; where?: string; message?: unknown };
  if (signal?.aborted || typeof reason !== 'string') return error;
  // DuckDB appends the failing SQL, many lines long; the first line says what happened.
  const first = reason.split('\n')[0];
  const message =
    `Copying the staged parts of run ${request.runId} into PostgreSQL for table ${request.table} failed: ${first}` +
    `${where ? ` (${where.split('\n').join('; ')})` : ''}. Nothing was loaded.`;
  if (code?.startsWith('22') || /^(Conversion|Invalid Input|Binder|IO) Error/.test(reason)) {
    const permanent = new PermanentError(`${message} Fix the value in the source, or the column's type in the job, and run it again.`, 'invalid_staged_rows');
    permanent.cause = error;
    return permanent;
  }
  return new Error(message, { cause: error });
}

function columnsDdl(columns: readonly ColumnSpec[]): string {
  return columns.map((c) => `${ident(c.name)} ${POSTGRES_TYPES[c.type]}`).join(', ');
}

/** Pairs each staged column with the destination column of the same name (compared without case). */
function stagedColumns(incoming: readonly ColumnSpec[], columns: readonly ColumnSpec[]): StagedColumn[] {
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  return incoming.map((c) => {
    const target = byName.get(c.name.toLowerCase());
    if (!target) throw new Error(`Column "${c.name}" is missing from the planned columns; planSchemaChange should have added it.`);
    return { name: c.name, type: c.type, target: target.name, targetType: target.type };
  });
}

/** Creates or evolves the table, then inserts the staged rows it lacks; returns how many. */
async function appendRows(
  client: pg.ClientBase,
  schema: string,
  request: LoadRequest,
  staged: StagedColumn[],
  existing: ColumnSpec[] | null,
  plan: { columns: ColumnSpec[]; changes: SchemaChange[] },
): Promise<number> {
  const table = qualified(schema, request.table);
  if (!existing) {
    await client.query(`CREATE TABLE ${table} (${columnsDdl(plan.columns)})`);
  } else if (plan.changes.length > 0) {
    // One ALTER for all changes: promotions rewrite the table once.
    const actions = plan.changes.map((change) => {
      const to = columnType(plan.columns, change.column);
      if (change.kind === 'added') return `ADD COLUMN ${ident(change.column)} ${POSTGRES_TYPES[to]}`;
      const from = columnType(existing, change.column);
      return `ALTER COLUMN ${ident(change.column)} TYPE ${POSTGRES_TYPES[to]} USING ${convert(ident(change.column), from, to)}`;
    });
    await client.query(`ALTER TABLE ${table} ${actions.join(', ')}`);
  }
  const dedupe = dedupeSql(request, staged, plan.columns);
  // A new table has nothing to compare with: every staged row is new.
  const insert = insertStagedSql(table, STAGE, staged, existing ? dedupe : undefined);
  const result = await client.query(insert.text, insert.values);
  return result.rowCount ?? 0;
}

/**
 * Builds the new snapshot in a table of its own, then swaps names, all in the load's transaction:
 * readers of the table see the old rows until the commit and the new ones after it (a reader that
 * arrives meanwhile waits on the rename's lock, then finds the new table by name).
 */
async function replaceTable(client: pg.ClientBase, schema: string, request: LoadRequest, staged: StagedColumn[], columns: ColumnSpec[], exists: boolean): Promise<number> {
  const building = `${INTERNAL_PREFIX}new_${randomBytes(6).toString('hex')}`;
  await client.query(`CREATE TABLE ${qualified(schema, building)} (${columnsDdl(columns)})`);
  const insert = insertStagedSql(qualified(schema, building), STAGE, staged);
  const result = await client.query(insert.text, insert.values);
  if (exists) {
    if (request.keepSnapshotAs !== undefined) {
      // A snapshot of the same name (a second replace on one date) gives way to the newer one, but
      // a table that loads commit into is a destination, not a snapshot: never drop one.
      const snapshot = `${request.table}__${request.keepSnapshotAs}`;
      const { rowCount } = await client.query(`SELECT 1 FROM ${qualified(schema, LOADS_TABLE)} WHERE table_name = $1 LIMIT 1`, [snapshot]);
      if (rowCount) {
        throw new PermanentError(
          `Replacing table ${request.table} would keep its snapshot as ${snapshot}, but that is the destination table of another job. ` +
            `Rename one of the two destination tables.`,
          'snapshot_is_destination',
        );
      }
      await client.query(`DROP TABLE IF EXISTS ${qualified(schema, snapshot)}`);
      await client.query(`ALTER TABLE ${qualified(schema, request.table)} RENAME TO ${ident(snapshot)}`);
    } else {
      await client.query(`DROP TABLE ${qualified(schema, request.table)}`);
    }
  }
  await client.query(`ALTER TABLE ${qualified(schema, building)} RENAME TO ${ident(request.table)}`);
  return result.rowCount ?? 0;
}

/** The append's dedupe in destination terms, or undefined when it has none. */
function dedupeSql(request: LoadRequest, staged: readonly StagedColumn[], columns: readonly ColumnSpec[]): DedupeSql | undefined {
  const spec = request.dedupe;
  if (!spec || spec.key.length === 0) return undefined;
  const stagedByName = new Map(staged.map((c) => [c.name.toLowerCase(), c]));
  const key = spec.key.map((name) => {
    const column = stagedByName.get(name.toLowerCase());
    if (!column) {
      throw new PermanentError(
        `The dedupe key column "${name}" of job ${request.jobId} is not among the columns run ${request.runId} sends to ${request.table} ` +
          `(${staged.map((c) => c.name).join(', ')}). Fix the job's primary key.`,
        'invalid_dedupe',
      );
    }
    return column.target;
  });
  const keyNames = new Set(spec.key.map((name) => name.toLowerCase()));
  const multiplicity = staged.every((c) => METADATA.has(c.name.toLowerCase()) || keyNames.has(c.name.toLowerCase()));
  if (spec.timestampColumn === undefined || spec.from === undefined) return { key, multiplicity };
  const timestamp = columns.find((c) => c.name.toLowerCase() === spec.timestampColumn?.toLowerCase());
  if (!timestamp) {
    throw new PermanentError(
      `The timestamp column "${spec.timestampColumn}" of job ${request.jobId} is not a column of table ${request.table}. Fix the job's timestamp column.`,
      'invalid_dedupe',
    );
  }
  return { key, multiplicity, window: { timestampColumn: timestamp.name, from: spec.from } };
}

function columnType(columns: readonly ColumnSpec[], name: string): ColumnSpec['type'] {
  const column = columns.find((c) => c.name === name);
  if (!column) throw new Error(`Column "${name}" is missing from the planned columns.`);
  return column.type;
}

/** The columns of a table from information_schema, or null when there is no such table. */
async function describeTable(db: pg.Pool | pg.ClientBase, schema: string, table: string): Promise<ColumnSpec[] | null> {
  const { rows } = await db.query<CatalogColumn>(
    `SELECT column_name, data_type, numeric_precision, numeric_scale, is_nullable FROM information_schema.columns ` +
      `WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  if (rows.length === 0) return null;
  return rows.map((row) => {
    const type = warehouseTypeOf(row);
    if (!type) {
      throw new Error(
        `Column "${row.column_name}" of table ${schema}.${table} is ${row.data_type}, a type the PostgreSQL warehouse never creates; ` +
          `the table was changed outside the platform. Change the column back to one of ${[...new Set(Object.values(POSTGRES_TYPES))].join(', ')}, or drop the table and load it again.`,
      );
    }
    return { name: row.column_name, type, nullable: row.is_nullable === 'YES' };
  });
}

interface MarkerRow {
  run_id: string;
  job_id: string;
  table_name: string;
  rows_loaded: bigint;
  watermark_after: unknown;
  committed_at: Date;
}

const MARKER_COLUMNS = 'run_id, job_id, table_name, rows_loaded, watermark_after, committed_at';

async function readMarker(client: pg.ClientBase, schema: string, runId: string): Promise<{ table: string; marker: LoadMarker } | null> {
  const { rows } = await client.query(`SELECT ${MARKER_COLUMNS} FROM ${qualified(schema, LOADS_TABLE)} WHERE run_id = $1`, [runId]);
  const row = rows[0] as MarkerRow | undefined;
  return row ? { table: row.table_name, marker: toMarker(row) } : null;
}

function toMarker(row: MarkerRow): LoadMarker {
  return {
    runId: row.run_id,
    jobId: row.job_id,
    rowsLoaded: Number(row.rows_loaded),
    watermarkAfter: row.watermark_after,
    committedAt: row.committed_at.toISOString(),
  };
}

/** The schema or `_recs_loads` does not exist: no load ever committed into this project. */
function isMissingRelation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '42P01' || code === '3F000';
}

const INT8 = 20;
const DATE = 1082;
const TIMESTAMP = 1114;

/**
 * How values come back: BIGINT as bigint (exact, as the local warehouse answers), DATE at midnight
 * UTC and TIMESTAMP (a wall-clock time) read as UTC, not in the process's time zone as pg would.
 * Values outside Date's range ("infinity", years BC) stay text.
 */
const RESULT_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      if (oid === INT8) return (value: string) => BigInt(value);
      if (oid === DATE) return (value: string) => (/^\d{4}-\d\d-\d\d$/.test(value) ? new Date(`${value}T00:00:00Z`) : value);
      if (oid === TIMESTAMP) return (value: string) => (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(value) ? new Date(`${value.replace(' ', 'T')}Z`) : value);
    }
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};
