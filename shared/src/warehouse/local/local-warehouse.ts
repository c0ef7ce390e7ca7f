import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  blobValue,
  DuckDBInstance,
  DuckDBTypeId,
  JSDuckDBValueConverter,
  StatementType,
  timestampTZValue,
  type DuckDBValue,
  type DuckDBValueConverter,
  type JS,
} from '@duckdb/node-api';
import { PermanentError } from '../../jobs/errors.js';
import { planSchemaChange } from '../schema-evolution.js';
import type { ColumnSpec, LoadMarker, LoadRequest, LoadResult, Warehouse } from '../warehouse.js';
import {
  commitManifest,
  DATA_DIR,
  dataFiles,
  isCode,
  listVersions,
  manifestName,
  MANIFESTS_DIR,
  readLatestManifest,
  readManifest,
  rowCount,
  syncDir,
  withFiles,
  type DataFile,
  type FileColumn,
  type TableManifest,
} from './table-manifest.js';
import { parquetFooter } from './parquet-footer.js';
import { QueryInstances } from './query-instances.js';
import { ident, literal, newRowsSelect, stagedSelect, tableSelect, type DedupeSql } from './table-sql.js';

/** Settings of the local warehouse. */
export interface LocalWarehouseOptions {
  /** The folder holding every project's tables, as `<root>/<projectId>/<table>/`: `$DATA_DIR/warehouse`. */
  root: string;
  /** DuckDB's memory limit, once for all loads of this process and once per query. @defaultValue `1GB` */
  memoryLimit?: string;
  /** DuckDB's threads, for loads and for each query. @defaultValue 2 */
  threads?: number;
  /** How often a load re-plans when other writers keep committing first. @defaultValue 50 */
  maxCommitAttempts?: number;
  /**
   * Idle query instances kept (one per recently queried project, each with its own memory limit).
   * @defaultValue 4
   */
  queryInstances?: number;
}

/** What `vacuum` removed. */
export interface VacuumResult {
  removedManifests: number;
  removedFiles: number;
  removedBytes: number;
}

/**
 * The embedded warehouse: each table is a folder of immutable Parquet files and a sequence of
 * manifests (see `table-manifest.ts`), loaded and queried with DuckDB.
 *
 * Any number of processes may load into the same tables at once, with no lock and no single
 * writer: a load writes its data file under a new name, then commits the next manifest version
 * with an exclusive create. A load that finds its version taken re-reads the latest manifest,
 * plans again (schema, dedupe, idempotency) and retries. Readers read the latest manifest and
 * exactly the files it lists, so they see a table before or after a load, never between.
 */
export class LocalWarehouse implements Warehouse {
  readonly kind = 'local' as const;
  readonly root: string;
  private readonly memoryLimit: string;
  private readonly threads: number;
  private readonly maxCommitAttempts: number;
  private readonly tempRoot: string;
  private loader: Promise<DuckDBInstance> | null = null;
  private readonly queries: QueryInstances;
  private closed = false;

  constructor(options: LocalWarehouseOptions) {
    this.root = path.resolve(options.root);
    this.memoryLimit = options.memoryLimit ?? '1GB';
    this.threads = options.threads ?? 2;
    this.maxCommitAttempts = options.maxCommitAttempts ?? 50;
    // DuckDB spills here; one folder per process, as DuckDB names its spill files the same in every process.
    this.tempRoot = path.join(this.root, '.tmp', `duckdb-${process.pid}-${randomUUID().slice(0, 8)}`);
    this.queries = new QueryInstances((projectId) => this.createQueryInstance(projectId), options.queryInstances ?? 4, 5 * 60 * 1000);
  }

  /**
   * Loads a run's staged parts as one commit (see `Warehouse.load`). The steps are ordered so that
   * a crash anywhere leaves the table as it was or as committed: data file first (under a name no
   * manifest uses yet), then the manifest that lists it, carrying the run's marker. Never commit a
   * manifest that was planned against an older version: the exclusive create is what makes the
   * dedupe and the idempotency check hold between processes.
   */
  async load(request: LoadRequest, options: { signal?: AbortSignal } = {}): Promise<LoadResult> {
    this.assertOpen();
    const { signal } = options;
    const dir = this.tableDir(request.projectId, request.table);
    const parts = request.parts.map((part) => partPath(part.uri, request));
    if (request.keepSnapshotAs !== undefined) this.tableDir(request.projectId, snapshotTable(request.table, request.keepSnapshotAs));
    if (!isJson(request.marker.watermarkAfter)) {
      throw new PermanentError(`The watermark of run ${request.runId} cannot be stored: the local warehouse keeps markers as JSON, and ${String(request.marker.watermarkAfter)} is not.`, 'invalid_marker');
    }
    await mkdir(path.join(dir, DATA_DIR), { recursive: true });

    let pending: Written | null = null;
    let committing = false;
    try {
      for (let attempt = 1; ; attempt++) {
        signal?.throwIfAborted();
        if (attempt > this.maxCommitAttempts) {
          throw new Error(
            `Loading run ${request.runId} into table ${request.table} of project ${request.projectId} lost the commit race ${attempt - 1} times in a row ` +
              `(other loads kept committing first); the job will retry. If this persists, fewer loads should write this table at once.`,
          );
        }
        const base = await readLatestManifest(dir);
        const done = base?.markers.find((m) => m.runId === request.runId);
        if (done) return { marker: done, alreadyLoaded: true, schemaChanges: [] };

        // SchemaChangeError leaves here, before anything is committed.
        const plan = base ? planSchemaChange(base.columns, request.columns) : { columns: request.columns.map((c) => ({ ...c })), changes: [] };
        const dedupe = request.mode === 'append' && base ? dedupeSql(request, dir, base, plan.columns) : null;
        if (pending && !reusable(pending, plan.columns, dedupe !== null, base)) {
          await discard(dir, pending);
          pending = null;
        }
        try {
          pending ??= await this.writeRows(dir, request, parts, plan.columns, base, dedupe, signal);
          if (request.mode === 'replace' && request.keepSnapshotAs !== undefined && base) {
            await this.keepSnapshot(request.projectId, request.table, request.keepSnapshotAs, base);
          }
        } catch (error) {
          if (error instanceof BaseChanged) continue;
          throw error;
        }
        signal?.throwIfAborted();

        const marker: LoadMarker = {
          runId: request.runId,
          jobId: request.jobId,
          rowsLoaded: pending.files.reduce((sum, file) => sum + file.rows, 0),
          // As `findLoad` will read it back.
          watermarkAfter: JSON.parse(JSON.stringify(request.marker.watermarkAfter ?? null)) as unknown,
          committedAt: new Date().toISOString(),
        };
        const kept = request.mode === 'append' && base ? dataFiles(base) : [];
        const next = withFiles(
          {
            format: 1,
            version: (base?.version ?? 0) + 1,
            committedAt: marker.committedAt,
            operation: request.mode,
            columns: plan.columns,
            markers: [...(base?.markers ?? []), marker],
          },
          [...kept, ...pending.files],
        );
        // If the commit fails in an unknown state, the data file may be listed: leave it to vacuum.
        committing = true;
        const committed = await commitManifest(dir, next);
        committing = false;
        if (committed) {
          pending = null;
          return { marker, alreadyLoaded: false, schemaChanges: plan.changes };
        }
        await sleep(Math.random() * Math.min(1_000, 5 * 2 ** attempt), undefined, { signal });
      }
    } finally {
      if (pending && !committing) await discard(dir, pending);
    }
  }

  async findLoad(projectId: string, table: string, runId: string): Promise<LoadMarker | null> {
    this.assertOpen();
    const manifest = await readLatestManifest(this.tableDir(projectId, table));
    return manifest?.markers.find((m) => m.runId === runId) ?? null;
  }

  async describe(projectId: string, table: string): Promise<ColumnSpec[] | null> {
    this.assertOpen();
    const manifest = await readLatestManifest(this.tableDir(projectId, table));
    return manifest ? manifest.columns.map((c) => ({ ...c })) : null;
  }

  /** The project's tables (snapshots included) with their row counts, read from the manifests. */
  async listTables(projectId: string): Promise<{ name: string; rows: number }[]> {
    this.assertOpen();
    const tables = await this.latestManifests(projectId);
    return tables.map(({ name, manifest }) => ({ name, rows: rowCount(manifest) }));
  }

  /**
   * Runs one read-only SELECT against the project's tables, each a view over its latest manifest,
   * in a DuckDB instance that can read the project's folder and nothing else (see `QueryInstances`).
   *
   * Values come back as JavaScript values: BIGINT as bigint, DOUBLE as number, NUMERIC as an exact
   * decimal string, TIMESTAMP and DATETIME as Date (milliseconds), DATE as Date at midnight UTC.
   */
  async query(projectId: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      const tables = await this.latestManifests(projectId);
      try {
        return await this.queryOnce(projectId, tables, sql, params);
      } catch (error) {
        // A vacuum removed files of the versions this query read; a newer version exists: read that.
        if (attempt >= 3 || !/no such file|no files found|cannot open file/i.test((error as Error).message)) throw error;
        const now = await this.latestManifests(projectId);
        const changed = now.some((t) => tables.find((old) => old.name === t.name)?.manifest.version !== t.manifest.version);
        if (!changed) throw error;
      }
    }
  }

  private async queryOnce(projectId: string, tables: ProjectTable[], sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return this.queries.use(projectId, async (instance) => {
      const connection = await instance.connect();
      try {
        // Views of this connection only: each query reads the versions it found, whatever others do.
        for (const { name, dir, manifest } of tables) {
          await connection.run(`CREATE TEMP VIEW ${ident(name)} AS ${tableSelect(dir, manifest.columns, dataFiles(manifest))}`);
        }
        const statements = await connection.extractStatements(sql);
        if (statements.count !== 1) {
          throw new PermanentError(`A warehouse query must be exactly one SELECT statement; this one has ${statements.count}.`, 'invalid_query');
        }
        const prepared = await statements.prepare(0);
        if (prepared.statementType !== StatementType.SELECT) {
          throw new PermanentError(
            `A warehouse query must be a read-only SELECT; this one is ${StatementType[prepared.statementType]}. Tables change only through loads.`,
            'invalid_query',
          );
        }
        prepared.bind(params.map(toDuckDBValue));
        const result = await prepared.run();
        return await result.convertRowObjects(fromDuckDB);
      } finally {
        connection.closeSync();
      }
    });
  }

  /**
   * A query instance for one project: it may read the project's folder and nothing else, and its
   * configuration is locked, so a query cannot widen its own access.
   */
  private async createQueryInstance(projectId: string): Promise<DuckDBInstance> {
    const projectDir = this.projectDir(projectId);
    return this.openInstance(path.join(this.tempRoot, `query-${projectId}`), [
      // Safe to cache: a data file is never rewritten under the same name.
      'SET GLOBAL parquet_metadata_cache = true',
      `SET GLOBAL allowed_directories = [${literal(projectDir + path.sep)}]`,
      'SET GLOBAL enable_external_access = false',
      'SET GLOBAL lock_configuration = true',
    ]);
  }

  /**
   * Rewrites the table's data files as one, so that a table appended every few minutes does not
   * become thousands of small files for every query to open. Rows, columns and markers stay as they
   * are. Loads may commit meanwhile: appends are kept (the compacted file replaces only the files
   * it was made from); after a replace, the compaction is dropped, as its rows are gone. Returns
   * the number of files before and after, or null when there was nothing to compact.
   */
  async compact(projectId: string, table: string, options: { minFiles?: number; signal?: AbortSignal } = {}): Promise<{ filesBefore: number; filesAfter: number } | null> {
    this.assertOpen();
    const dir = this.tableDir(projectId, table);
    const base = await readLatestManifest(dir);
    if (!base || base.files.length < Math.max(2, options.minFiles ?? 2)) return null;
    let compacted: DataFile | null;
    try {
      compacted = await this.writeDataFile(dir, tableSelect(dir, base.columns, dataFiles(base)), base.columns, options.signal);
    } catch (error) {
      if ((await listVersions(dir)).at(-1) !== base.version) return null;
      throw new Error(`Compacting table ${table} of project ${projectId} failed: ${(error as Error).message}`, { cause: error });
    }
    const replaced = new Set(base.files.map((f) => f.path));
    let committed = false;
    try {
      for (let attempt = 1; attempt <= this.maxCommitAttempts; attempt++) {
        const latest = await readLatestManifest(dir);
        if (!latest || !base.files.every((f) => latest.files.some((l) => l.path === f.path))) return null;
        const files = [...(compacted ? [compacted] : []), ...dataFiles(latest).filter((f) => !replaced.has(f.path))];
        const next = withFiles(
          { format: 1, version: latest.version + 1, committedAt: new Date().toISOString(), operation: 'compact', columns: latest.columns, markers: latest.markers },
          files,
        );
        if (await commitManifest(dir, next)) {
          committed = true;
          return { filesBefore: latest.files.length, filesAfter: next.files.length };
        }
        await sleep(Math.random() * Math.min(1_000, 5 * 2 ** attempt));
      }
      return null;
    } finally {
      if (compacted && !committed) await unlink(path.join(dir, compacted.path)).catch(() => undefined);
    }
  }

  /**
   * Removes what the last `keepVersions` manifests (at least one, the latest) no longer reference:
   * older manifests, the data files only they listed, and files no manifest ever listed (a crashed
   * load's) once they are older than `orphanGraceMs`, so that a load that has written its file but
   * not yet committed keeps it. A query still reading a removed version fails and can be re-run.
   */
  async vacuum(projectId: string, table: string, keepVersions: number, options: { orphanGraceMs?: number } = {}): Promise<VacuumResult> {
    this.assertOpen();
    const dir = this.tableDir(projectId, table);
    const graceMs = options.orphanGraceMs ?? 60 * 60 * 1000;
    const result: VacuumResult = { removedManifests: 0, removedFiles: 0, removedBytes: 0 };
    const keep = Math.max(1, Math.floor(keepVersions));
    const { versions, referenced } = await this.keptVersions(dir, keep);
    if (versions.length === 0) return result;
    const superseded = new Set<string>();
    for (const version of versions.slice(0, -keep)) {
      for (const file of (await readManifest(dir, version))?.files ?? []) if (!referenced.has(file.path)) superseded.add(file.path);
    }
    // Manifests first: once they are gone nobody plans against them, then their files.
    for (const version of versions.slice(0, -keep)) {
      if (await remove(path.join(dir, MANIFESTS_DIR, manifestName(version)))) result.removedManifests++;
    }
    const removeFile = async (file: string) => {
      const size = await stat(file).then((s) => s.size, () => 0);
      if (await remove(file)) {
        result.removedFiles++;
        result.removedBytes += size;
      }
    };
    for (const file of superseded) await removeFile(path.join(dir, file));
    const now = Date.now();
    for (const sub of [DATA_DIR, MANIFESTS_DIR]) {
      const names = await readdir(path.join(dir, sub)).catch(() => [] as string[]);
      for (const name of names) {
        const relative = `${sub}/${name}`;
        if (referenced.has(relative) || superseded.has(relative)) continue;
        if (sub === MANIFESTS_DIR && !name.startsWith('.tmp-')) continue;
        const file = path.join(dir, relative);
        // ctime, not mtime: hard-linking a file into a snapshot changes its ctime only.
        const info = await stat(file).catch(() => null);
        if (info && now - Math.max(info.mtimeMs, info.ctimeMs) > graceMs) await removeFile(file);
      }
    }
    return result;
  }

  /**
   * The table's versions and the files its last `keep` versions list. A kept manifest that vanished
   * was removed by another vacuum, after a newer version was committed: list again, or the files
   * of that newer version could look unreferenced.
   */
  private async keptVersions(dir: string, keep: number): Promise<{ versions: number[]; referenced: Set<string> }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const versions = await listVersions(dir);
      const referenced = new Set<string>();
      let complete = true;
      for (const version of versions.slice(-keep)) {
        const manifest = await readManifest(dir, version);
        if (!manifest) complete = false;
        for (const file of manifest?.files ?? []) referenced.add(file.path);
      }
      if (complete) return { versions, referenced };
    }
    throw new Error(`The manifests of ${dir} kept vanishing while a vacuum read them; run one vacuum per table at a time.`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const loader = this.loader;
    this.loader = null;
    if (loader) (await loader.catch(() => null))?.closeSync();
    await this.queries.closeAll();
    await rm(this.tempRoot, { recursive: true, force: true });
  }

  /**
   * The data files of the rows this load adds. Without a dedupe every staged row is added, so the
   * staged parts become the table's files as they are, hard-linked (they are already Parquet in the
   * warehouse's physical types, and each file's columns are recorded, so `tableSelect` reads them
   * like any other): no rewrite, no DuckDB, no memory. With a dedupe the new rows are chosen by a
   * query against the table and written as one new file (none when there are none).
   */
  private async writeRows(
    dir: string,
    request: LoadRequest,
    parts: string[],
    columns: ColumnSpec[],
    base: TableManifest | null,
    dedupe: DedupeSql | null,
    signal: AbortSignal | undefined,
  ): Promise<Written> {
    const written: Written = { files: [], columns: columns.map((c) => ({ name: c.name, type: c.type })), baseVersion: base?.version ?? 0 };
    if (parts.length === 0) return written;
    if (!dedupe) {
      written.columns = request.columns.map((c) => ({ name: c.name, type: c.type }));
      try {
        for (const [i, part] of parts.entries()) {
          signal?.throwIfAborted();
          written.files.push(await adoptPart(dir, part, request.parts[i]!.rows, written.columns));
        }
        await syncDir(path.join(dir, DATA_DIR));
      } catch (error) {
        await discard(dir, written);
        throw error;
      }
      return written;
    }
    const staged = stagedSelect(parts, request.columns, columns);
    try {
      const file = await this.writeDataFile(dir, newRowsSelect(staged, dedupe), columns, signal);
      if (file) written.files.push(file);
      return written;
    } catch (error) {
      signal?.throwIfAborted();
      // A vacuum may have removed files of the version we read; if a newer one exists, plan again.
      if (base && (await listVersions(dir)).at(-1) !== base.version) throw new BaseChanged();
      throw new Error(
        `Loading run ${request.runId} into table ${request.table} of project ${request.projectId} failed while reading the staged parts` +
          `${dedupe ? ' and the table' : ''}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * Writes the rows of `select` (in `columns`) as a new data file of the table: under a temporary
   * name, synced, then renamed to a name no manifest uses yet. Null when there are no rows.
   */
  private async writeDataFile(dir: string, select: string, columns: readonly ColumnSpec[], signal?: AbortSignal): Promise<DataFile | null> {
    const id = randomUUID();
    const temp = path.join(dir, DATA_DIR, `.tmp-${id}.parquet`);
    const relative = `${DATA_DIR}/part-${id}.parquet`;
    const connection = await (await this.loaderInstance()).connect();
    const interrupt = () => connection.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    let rows: number;
    try {
      rows = (await connection.run(`COPY (${select}) TO ${literal(temp)} (FORMAT parquet, COMPRESSION zstd)`)).rowsChanged;
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    } finally {
      signal?.removeEventListener('abort', interrupt);
      connection.closeSync();
    }
    if (rows === 0) {
      await unlink(temp).catch(() => undefined);
      return null;
    }
    await syncFile(temp);
    await rename(temp, path.join(dir, relative));
    await syncDir(path.join(dir, DATA_DIR));
    const { size } = await stat(path.join(dir, relative));
    return { path: relative, rows, bytes: size, columns: columns.map((c) => ({ name: c.name, type: c.type })) };
  }

  /**
   * Keeps `base` as the table `<table>__<name>`: a manifest over hard links to the same files, so
   * the snapshot is self-contained (vacuuming either table never breaks the other) and costs no copy.
   * Committed before the replace itself: a crash in between leaves a snapshot of the unchanged table,
   * and the retry takes it again. A snapshot of the same name is overwritten (as a new version): it
   * holds the table as it was before the latest replace that named it.
   */
  private async keepSnapshot(projectId: string, table: string, name: string, base: TableManifest): Promise<void> {
    const dir = this.tableDir(projectId, table);
    const snapshotDir = this.tableDir(projectId, snapshotTable(table, name));
    await mkdir(path.join(snapshotDir, DATA_DIR), { recursive: true });
    for (const file of base.files) await linkOrCopy(path.join(dir, file.path), path.join(snapshotDir, file.path));
    for (let attempt = 1; ; attempt++) {
      const latest = await readLatestManifest(snapshotDir);
      const manifest: TableManifest = { ...base, version: (latest?.version ?? 0) + 1, committedAt: new Date().toISOString(), operation: 'snapshot' };
      if (await commitManifest(snapshotDir, manifest)) return;
      if (attempt >= this.maxCommitAttempts) throw new Error(`Keeping the snapshot ${snapshotTable(table, name)} of project ${projectId} lost the commit race ${attempt} times; the job will retry.`);
      await sleep(Math.random() * 50);
    }
  }

  private async latestManifests(projectId: string): Promise<ProjectTable[]> {
    const projectDir = this.projectDir(projectId);
    const entries = await readdir(projectDir, { withFileTypes: true }).catch((error: unknown) => {
      if (isCode(error, 'ENOENT')) return [];
      throw error;
    });
    const tables = await Promise.all(
      entries
        .filter((entry) => entry.isDirectory() && TABLE_NAME.test(entry.name))
        .map(async (entry) => {
          const dir = path.join(projectDir, entry.name);
          return { name: entry.name, dir, manifest: await readLatestManifest(dir) };
        }),
    );
    return tables
      .filter((t): t is ProjectTable => t.manifest !== null)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private loaderInstance(): Promise<DuckDBInstance> {
    // Rows are written in no particular order, which lets DuckDB stream a COPY in bounded memory.
    this.loader ??= this.openInstance(path.join(this.tempRoot, 'load'), ['SET GLOBAL preserve_insertion_order = false']);
    return this.loader;
  }

  /**
   * An in-memory DuckDB with bounded memory and threads. Its time zone is UTC whatever the
   * machine's: DuckDB converts TIMESTAMPTZ to TIMESTAMP and text in the session's zone, and the same
   * rows must load the same on every machine.
   */
  private async openInstance(tempDirectory: string, settings: string[]): Promise<DuckDBInstance> {
    // DuckDB creates the spill folder itself, but not its parents.
    await mkdir(path.dirname(tempDirectory), { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      memory_limit: this.memoryLimit,
      threads: String(this.threads),
      temp_directory: tempDirectory,
      autoinstall_known_extensions: 'false',
    });
    const connection = await instance.connect();
    try {
      for (const sql of ["SET GLOBAL TimeZone = 'UTC'", ...settings]) await connection.run(sql);
    } catch (error) {
      instance.closeSync();
      throw error;
    } finally {
      connection.closeSync();
    }
    return instance;
  }

  private projectDir(projectId: string): string {
    if (!PROJECT_ID.test(projectId)) {
      throw new PermanentError(`"${projectId}" is not a project id the local warehouse accepts (letters, digits, "-" and "_").`, 'invalid_project');
    }
    return path.join(this.root, projectId);
  }

  private tableDir(projectId: string, table: string): string {
    if (!TABLE_NAME.test(table)) {
      throw new PermanentError(
        `"${table}" is not a table name the local warehouse accepts: use letters, digits, "_" and "-", at most 255 characters, not starting with "-".`,
        'invalid_table',
      );
    }
    return path.join(this.projectDir(projectId), table);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('This LocalWarehouse was closed; open a new one.');
  }
}

/** A data file written for a load but not committed yet. */
interface Written {
  /** None when the load adds no rows. */
  files: DataFile[];
  columns: FileColumn[];
  /** The version the rows were planned against (it matters for a dedupe). */
  baseVersion: number;
}

/** A table of a project with its latest version. */
interface ProjectTable {
  name: string;
  dir: string;
  manifest: TableManifest;
}

/** The version a load planned against is gone or superseded: plan again. */
class BaseChanged extends Error {}

const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const TABLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;

/** The table a catalog load keeps its replaced snapshot in. */
export function snapshotTable(table: string, name: string): string {
  return `${table}__${name}`;
}

/**
 * Whether a written data file still fits after re-planning: without a dedupe its rows do not
 * depend on the table, only its columns must still be the table's; with one they were chosen
 * against one version of the table and must be chosen again against any other.
 */
function reusable(written: Written, columns: readonly ColumnSpec[], dedupe: boolean, base: TableManifest | null): boolean {
  if (dedupe) return written.baseVersion === (base?.version ?? 0);
  const names = new Set(columns.map((c) => c.name.toLowerCase()));
  return written.columns.every((c) => names.has(c.name.toLowerCase()));
}

function dedupeSql(request: LoadRequest, dir: string, base: TableManifest, columns: ColumnSpec[]): DedupeSql | null {
  const spec = request.dedupe;
  if (!spec || spec.key.length === 0) return null;
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  const column = (name: string, role: string): ColumnSpec => {
    const found = byName.get(name.toLowerCase());
    if (!found) {
      throw new PermanentError(
        `The ${role} "${name}" of job ${request.jobId} is not a column of table ${request.table} (columns: ${columns.map((c) => c.name).join(', ')}). ` +
          `Fix the job's dedupe settings.`,
        'invalid_dedupe',
      );
    }
    return found;
  };
  const key = spec.key.map((k) => column(k, 'dedupe key column').name);
  const window = spec.timestampColumn !== undefined && spec.from !== undefined ? { column: column(spec.timestampColumn, 'timestamp column'), from: spec.from } : undefined;
  // The table is read in the planned columns, so keys added by this load compare as null.
  return { table: tableSelect(dir, columns, dataFiles(base)), key, ...(window ? { window } : {}) };
}

/** A staged part's local path; the local warehouse reads parts staged on this machine. */
function partPath(uri: string, request: LoadRequest): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(uri)) {
    throw new PermanentError(
      `Run ${request.runId} staged ${uri}, which the local warehouse cannot read: it loads parts staged on this machine. ` +
        `Set STAGING_URL to a folder when WAREHOUSE_URL is local.`,
      'unsupported_staging',
    );
  }
  return path.resolve(uri);
}

async function discard(dir: string, written: Written): Promise<void> {
  await Promise.all(written.files.map((file) => unlink(path.join(dir, file.path)).catch(() => undefined)));
}

async function remove(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw error;
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes a staged part a data file of the table: checked (its footer must hold the staged columns
 * and the rows the extractor counted, or the part is not the one it claims to be), then hard-linked
 * under a name no manifest uses yet, and synced, as a written file would be.
 */
async function adoptPart(dir: string, partFile: string, rows: number, columns: FileColumn[]): Promise<DataFile> {
  const footer = await parquetFooter(partFile);
  const expected = columns.map((c) => c.name);
  if (footer.rows !== rows || footer.columns.join('\u0000') !== expected.join('\u0000')) {
    throw new Error(
      `The staged part ${partFile} holds ${footer.rows} rows in columns ${footer.columns.join(', ')}, ` +
        `where the extraction recorded ${rows} rows in ${expected.join(', ')}; the run must be extracted again.`,
    );
  }
  const relative = `${DATA_DIR}/part-${randomUUID()}.parquet`;
  await linkOrCopy(partFile, path.join(dir, relative));
  await syncFile(path.join(dir, relative));
  const { size } = await stat(path.join(dir, relative));
  return { path: relative, rows, bytes: size, columns };
}

/** Hard-links a data file into another table's folder; copies it where links are not possible. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    if (isCode(error, 'EEXIST')) return;
    if (isCode(error, 'ENOENT')) throw new BaseChanged();
    if (!isCode(error, 'EXDEV') && !isCode(error, 'EPERM') && !isCode(error, 'ENOTSUP')) throw error;
    const temp = `${to}.tmp-${randomUUID().slice(0, 8)}`;
    await copyFile(from, temp);
    await rename(temp, to);
  }
}

/** Whether a value survives JSON (a Date becomes its ISO text, which is what a watermark is read back as). */
function isJson(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/** A query parameter as DuckDB binds it; a Date is an instant. */
function toDuckDBValue(value: unknown, index: number): DuckDBValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (value instanceof Date) return timestampTZValue(BigInt(value.getTime()) * 1000n);
  if (value instanceof Uint8Array) return blobValue(value);
  throw new PermanentError(`Query parameter $${index + 1} is a ${typeof value}, which the local warehouse cannot bind; pass a string, number, bigint, boolean, Date, Buffer or null.`, 'invalid_query');
}

/** DuckDB's JavaScript values, except NUMERIC as an exact decimal string rather than a lossy double. */
const fromDuckDB: DuckDBValueConverter<JS> = (value, type, converter) =>
  type.typeId === DuckDBTypeId.DECIMAL && value !== null ? String(value) : JSDuckDBValueConverter(value, type, converter);
