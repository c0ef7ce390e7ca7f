import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { Connection } from '../db/entities/connection.js';
import { EtlJob, type IEtlJob, type Watermark } from '../db/entities/etl-job.js';
import { EtlRejectedRow } from '../db/entities/etl-rejected-row.js';
import { EtlLoadedFile } from '../db/entities/etl-loaded-file.js';
import { EtlRun, TERMINAL_STATUSES, type IEtlRun, type RunError } from '../db/entities/etl-run.js';
import { PermanentError } from '../jobs/errors.js';
import { TooManyBadRowsError, type ExtractWindow } from '../extract/extract.js';
import { sourceModule } from '../sources/registry.js';
import { SourceError, isRefusal } from '../sources/source-error.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { SourceDeps } from '../sources/source.js';
import { METADATA_COLUMNS } from '../warehouse/column-names.js';
import { SchemaChangeError } from '../warehouse/schema-evolution.js';
import type { ColumnSpec, Warehouse } from '../warehouse/warehouse.js';
import { loadJobId, type EtlQueues } from './etl-runs.js';
import { failpoint } from '../runtime/failpoint.js';

/**
 * The ETL pipeline, in one place: a run is queued → the extractor stages it as Parquet parts →
 * the loader commits the parts and the new watermark into the warehouse in one commit → the run's
 * row and the job's watermark move in the metadata database. Each step is idempotent, so BullMQ may
 * retry any of them after a crash: extraction restarts from a clean staging folder, and a load
 * that already committed is recognised by its marker in the warehouse.
 */
export interface PipelineDeps {
  em: EntityManager;
  log: Logger;
  secrets: SecretStore;
  sourceDeps: SourceDeps;
  warehouse: Warehouse;
  queues: EtlQueues;
  /** A local folder; each run stages under `<stagingDir>/<projectId>/<jobId>/<runId>`. */
  stagingDir: string;
}

/** How often a working run writes its progress and checks for a cancel. */
const PROGRESS_INTERVAL_MS = 1_000;

function stagingFolder(deps: PipelineDeps, job: IEtlJob, runId: string): string {
  return path.join(deps.stagingDir, job.project.id, job.id, runId);
}

class RunCancelled extends Error {}

/** The lower bound of a transactional run: the watermark less the look-back, or the backfill. */
export function extractionWindow(job: IEtlJob, now: Date): ExtractWindow | undefined {
  if (job.loadType !== 'transactional' || !job.timestampColumn) return undefined;
  const column = job.columns.find((c) => c.source === job.timestampColumn)!;
  const window: ExtractWindow = { column: column.source, type: column.type };
  const numeric = column.type === 'INT64' || column.type === 'NUMERIC';
  if (job.watermark) {
    if (numeric) window.from = job.watermark.value; // an increasing key has no look-back in seconds
    else window.from = new Date(new Date(job.watermark.value).getTime() - job.lookbackSeconds * 1000).toISOString();
  } else if (job.backfill && 'days' in job.backfill && !numeric) {
    window.from = new Date(now.getTime() - job.backfill.days * 86_400_000).toISOString();
  } else if (job.backfill && 'since' in job.backfill && !numeric) {
    window.from = new Date(job.backfill.since).toISOString();
  }
  return window;
}

/** The later of two watermark values (ISO times compare as instants; numbers as numbers). */
function laterWatermark(a: Watermark | null | undefined, value: string | undefined, numeric: boolean): Watermark | null {
  if (value === undefined) return a ?? null;
  if (!a) return { value };
  const newer = numeric ? Number(value) > Number(a.value) : new Date(value).getTime() > new Date(a.value).getTime();
  return newer ? { value } : a;
}

function asRunError(stage: RunError['stage'], error: unknown): RunError {
  if (error instanceof SourceError) return { stage, code: error.code, message: error.message, hint: error.hint };
  if (error instanceof SchemaChangeError) return { stage, code: 'schema_change', message: error.message, hint: 'Change the column back in the source, or load into a new destination table.' };
  if (error instanceof TooManyBadRowsError) return { stage, code: 'too_many_bad_rows', message: error.message, hint: 'Read the rejected rows, fix the source, or raise maxBadRows on the job.' };
  return { stage, code: 'internal', message: (error as Error).message ?? String(error), hint: 'The run can be retried; if it fails again, the logs of the worker have the details.' };
}

/** Whether an error is worth a retry: network trouble yes; refusals, bad data and schema changes no. */
function isTransient(error: unknown): boolean {
  if (error instanceof SourceError) return !isRefusal(error.code);
  return !(error instanceof SchemaChangeError || error instanceof TooManyBadRowsError || error instanceof PermanentError);
}

async function loadRunAndJob(em: EntityManager, runId: string): Promise<{ run: IEtlRun; job: IEtlJob } | null> {
  const run = await em.findOne(EtlRun, { id: runId }, { populate: ['job'] });
  if (!run) return null;
  return { run, job: run.job };
}

async function fail(em: EntityManager, run: IEtlRun, error: RunError): Promise<void> {
  run.status = 'failed';
  run.error = error;
  run.finishedAt = new Date();
  await em.flush();
}

/**
 * The extractor's step: reads the source into staged parts, records the counts and rejects, and
 * queues the load. A retry starts again from an empty staging folder.
 */
export async function extractRun(deps: PipelineDeps, runId: string, attempt: { final: boolean }): Promise<void> {
  const { em, log } = deps;
  const found = await loadRunAndJob(em, runId);
  if (!found) throw new PermanentError(`Run ${runId} does not exist (deleted with its job?)`, 'not_found');
  const { run, job } = found;
  if (TERMINAL_STATUSES.includes(run.status) || run.status === 'loading') return;
  if (run.cancelRequested) return finishCancelled(deps, run, job);

  const folder = stagingFolder(deps, job, run.id);
  await rm(folder, { recursive: true, force: true });
  run.status = 'extracting';
  run.timings = { ...run.timings, extractStartedAt: new Date().toISOString() };
  run.progress = { rows: 0, bytes: 0, updatedAt: new Date().toISOString() };
  await em.flush();

  const connection = await em.findOneOrFail(Connection, { id: job.connection.id });
  const controller = new AbortController();
  let lastWrite = 0;
  const ticker = setInterval(() => void checkCancel(), PROGRESS_INTERVAL_MS);
  const checkCancel = async () => {
    const fresh = await em.fork().findOne(EtlRun, { id: run.id }, { fields: ['cancelRequested'] });
    if (fresh?.cancelRequested) controller.abort(new RunCancelled('cancelled'));
  };
  const window = extractionWindow(job, new Date());
  try {
    const credentials = connection.secretRef ? await deps.secrets.get(connection.secretRef) : {};
    const source = sourceModule(connection.type).open(connection.config, credentials, deps.sourceDeps);
    try {
      if (!source.extract) throw new PermanentError(`Extraction from ${sourceModule(connection.type).label} is not available yet`, 'not_supported');
      const alreadyLoaded = job.loadType === 'transactional' && 'path' in job.source
        ? (await em.find(EtlLoadedFile, { job: job.id })).map((f) => ({ path: f.path, size: Number(f.size), ...(f.etag ? { etag: f.etag } : {}), ...(f.modified ? { modified: f.modified } : {}) }))
        : undefined;
      const result = await source.extract(job.source, {
        alreadyLoaded,
        runId: run.id,
        columns: job.columns,
        window,
        stagingDir: folder,
        extractedAt: new Date(),
        maxBadRows: job.maxBadRows,
        signal: controller.signal,
        onProgress: (p) => {
          failpoint('extract:after-progress');
          if (Date.now() - lastWrite < PROGRESS_INTERVAL_MS) return;
          lastWrite = Date.now();
          void em.fork().nativeUpdate(EtlRun, { id: run.id }, { progress: { rows: p.rows, bytes: p.bytes, updatedAt: new Date().toISOString() } });
        },
      });
      run.rowsExtracted = result.rows;
      run.bytes = result.bytes;
      run.rowsRejected = result.rejectedCount;
      run.stagedParts = result.parts;
      run.files = result.files ?? null;
      run.filesProcessed = result.files?.length ?? 0;
      run.windowFrom = window?.from ?? null;
      run.watermarkAfter = laterWatermark(job.watermark, result.maxWindowValue, window?.type === 'INT64' || window?.type === 'NUMERIC');
      run.progress = { rows: result.rows, bytes: result.bytes, updatedAt: new Date().toISOString() };
      run.timings = { ...run.timings, extractEndedAt: new Date().toISOString() };
      await em.nativeDelete(EtlRejectedRow, { run: run.id });
      for (const r of result.rejected) em.create(EtlRejectedRow, { run, file: r.file ?? null, line: r.line ?? null, column: r.column ?? null, value: r.value?.slice(0, 200) ?? null, reason: r.reason });
      await em.flush();
    } finally {
      await source.close().catch(() => undefined);
    }
  } catch (error) {
    clearInterval(ticker);
    if (controller.signal.aborted && controller.signal.reason instanceof RunCancelled) return finishCancelled(deps, run, job);
    if (error instanceof TooManyBadRowsError) {
      for (const r of error.rejected) em.create(EtlRejectedRow, { run, file: r.file ?? null, line: r.line ?? null, column: r.column ?? null, value: r.value?.slice(0, 200) ?? null, reason: r.reason });
      run.rowsRejected = error.rejectedCount;
    }
    if (isTransient(error) && !attempt.final) {
      log.warn({ err: error, runId }, 'extraction failed; BullMQ will retry it');
      throw error;
    }
    await rm(folder, { recursive: true, force: true });
    await fail(em, run, asRunError('extract', error));
    if (!isTransient(error)) throw new PermanentError((error as Error).message, 'extract_failed');
    throw error;
  }
  clearInterval(ticker);
  failpoint('extract:before-queuing-load');
  await deps.queues.loader.add('load', { v: 1, runId: run.id }, { jobId: loadJobId(run.id) });
}

async function finishCancelled(deps: PipelineDeps, run: IEtlRun, job: IEtlJob): Promise<void> {
  await rm(stagingFolder(deps, job, run.id), { recursive: true, force: true });
  run.status = 'cancelled';
  run.finishedAt = new Date();
  await deps.em.flush();
}

/** The staged columns: the job's mapping plus the metadata columns every row carries. */
export function stagedColumns(job: IEtlJob): ColumnSpec[] {
  return [
    ...job.columns.map((c) => ({ name: c.destination, type: c.type, nullable: true })),
    { name: METADATA_COLUMNS[0], type: 'TIMESTAMP', nullable: false },
    { name: METADATA_COLUMNS[1], type: 'STRING', nullable: false },
  ];
}

/**
 * The loader's step: commits the staged parts and the watermark into the warehouse as one commit,
 * then records the outcome in the metadata database. If the warehouse already holds this run's
 * commit (the loader died after committing), only the metadata is brought up to date.
 * The part must be committed before the watermark moves, or rows are lost.
 */
export async function loadRun(deps: PipelineDeps, runId: string, attempt: { final: boolean }): Promise<void> {
  const { em, warehouse, log } = deps;
  const found = await loadRunAndJob(em, runId);
  if (!found) throw new PermanentError(`Run ${runId} does not exist (deleted with its job?)`, 'not_found');
  const { run, job } = found;
  if (TERMINAL_STATUSES.includes(run.status)) return;
  const projectId = job.project.id;
  let marker = await warehouse.findLoad(projectId, job.destinationTable, run.id);
  if (!marker) {
    if (run.cancelRequested) return finishCancelled(deps, run, job);
    run.status = 'loading';
    run.timings = { ...run.timings, loadStartedAt: new Date().toISOString() };
    await em.flush();
    const key = job.primaryKey?.length
      ? job.columns.filter((c) => job.primaryKey!.includes(c.source)).map((c) => c.destination)
      : job.columns.map((c) => c.destination);
    const ts = job.columns.find((c) => c.source === job.timestampColumn);
    try {
      failpoint('load:before-warehouse-commit');
      const result = await warehouse.load({
        projectId,
        table: job.destinationTable,
        jobId: job.id,
        runId: run.id,
        mode: job.loadType === 'catalog' ? 'replace' : 'append',
        columns: stagedColumns(job),
        parts: run.stagedParts ?? [],
        dedupe: job.loadType === 'transactional' && job.watermark ? { key, timestampColumn: ts?.destination, from: run.windowFrom ?? undefined } : undefined,
        keepSnapshotAs: job.loadType === 'catalog' && job.keepSnapshots ? new Date().toISOString().slice(0, 10).replaceAll('-', '') : undefined,
        marker: { watermarkAfter: run.watermarkAfter ?? null },
      });
      marker = result.marker;
      if (result.schemaChanges.length) log.info({ runId, changes: result.schemaChanges }, 'destination schema evolved');
    } catch (error) {
      if (isTransient(error) && !attempt.final) throw error;
      await fail(em, run, asRunError('load', error));
      if (!isTransient(error)) throw new PermanentError((error as Error).message, 'load_failed');
      throw error;
    }
  }
  failpoint('load:after-warehouse-commit');
  // The warehouse holds the rows and the watermark; now the metadata follows.
  await em.transactional(async (tx) => {
    const fresh = await tx.findOneOrFail(EtlRun, { id: run.id });
    const freshJob = await tx.findOneOrFail(EtlJob, { id: job.id });
    fresh.status = 'succeeded';
    fresh.rowsLoaded = marker.rowsLoaded;
    fresh.watermarkAfter = (marker.watermarkAfter as Watermark | null) ?? null;
    fresh.finishedAt = new Date();
    fresh.timings = { ...fresh.timings, loadEndedAt: new Date().toISOString() };
    if (job.loadType === 'transactional') freshJob.watermark = (marker.watermarkAfter as Watermark | null) ?? freshJob.watermark ?? null;
    // Files are skipped next time only now that their rows are committed.
    if (job.loadType === 'transactional') {
      for (const file of fresh.files ?? []) {
        await tx.upsert(EtlLoadedFile, { job: freshJob, path: file.path, size: file.size, etag: file.etag ?? null, modified: file.modified ?? null, runId: fresh.id, loadedAt: new Date() }, { onConflictFields: ['job', 'path'] });
      }
    }
  });
  await rm(stagingFolder(deps, job, run.id), { recursive: true, force: true });
}
