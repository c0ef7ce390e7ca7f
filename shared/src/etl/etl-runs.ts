import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Queue } from 'bullmq';
import { hasRole, type Scope } from '../accounts/scope.js';
import { EtlRejectedRow } from '../db/entities/etl-rejected-row.js';
import { EtlRun, TERMINAL_STATUSES, type IEtlRun, type RunTrigger } from '../db/entities/etl-run.js';
import { conflict, forbidden, notFound } from '../errors.js';
import type { RunPayload } from '../jobs/catalogue.js';
import { getEtlJob } from './etl-jobs.js';

/** Where runs are queued: the extractor's and the loader's queues. */
export interface EtlQueues {
  extractor: Queue;
  loader: Queue;
}

/** Deterministic BullMQ job ids: a stage of a run is queued at most once, however often it is asked. */
export const extractJobId = (runId: string) => `extract-${runId}`;
export const loadJobId = (runId: string) => `load-${runId}`;

/** A run as the API shows it. */
export function etlRunView(run: IEtlRun) {
  return {
    id: run.id,
    jobId: run.job.id,
    status: run.status,
    trigger: run.trigger,
    stage: run.status === 'extracting' ? 'extract' : run.status === 'loading' ? 'load' : null,
    progress: run.progress ?? null,
    counts: { rowsExtracted: run.rowsExtracted, rowsLoaded: run.rowsLoaded, rowsRejected: run.rowsRejected, filesProcessed: run.filesProcessed, bytes: run.bytes },
    timings: run.timings,
    watermarkBefore: run.watermarkBefore ?? null,
    watermarkAfter: run.watermarkAfter ?? null,
    error: run.error ?? null,
    cancelRequested: run.cancelRequested,
    createdAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

/** Queues a run's extraction; safe to call again for the same run. */
export async function queueExtraction(queues: EtlQueues, runId: string): Promise<void> {
  const payload: RunPayload = { v: 1, runId };
  await queues.extractor.add('extract', payload, { jobId: extractJobId(runId) });
}

/**
 * Starts a run of a job now: records it as queued, then queues its extraction. One run of a job
 * works at a time; a second start while one is working answers 409 with the run.
 */
export async function startRun(em: EntityManager, scope: Scope, jobId: string, queues: EtlQueues, trigger: RunTrigger = 'manual'): Promise<IEtlRun> {
  const job = await getEtlJob(em, scope, jobId);
  if (!hasRole(scope, 'editor')) throw forbidden('Viewers cannot start runs');
  const active = await em.findOne(EtlRun, { job, status: { $nin: [...TERMINAL_STATUSES] } });
  if (active) throw conflict(`The job "${job.name}" is already running (run ${active.id}, ${active.status})`, { runId: active.id });
  const run = em.create(EtlRun, { tenant: scope.tenantId, job, trigger, watermarkBefore: job.watermark ?? null, timings: {} });
  await em.flush();
  await queueExtraction(queues, run.id);
  return run;
}

/** One run of the caller's tenant. */
export async function getRun(em: EntityManager, scope: Scope, id: string): Promise<IEtlRun> {
  const run = z.uuid().safeParse(id).success ? await em.findOne(EtlRun, { id, tenant: scope.tenantId }) : null;
  if (!run) throw notFound('Run', id);
  return run;
}

/** A job's runs, newest first. */
export async function listRuns(em: EntityManager, scope: Scope, jobId: string, limit = 50): Promise<IEtlRun[]> {
  const job = await getEtlJob(em, scope, jobId);
  return em.find(EtlRun, { job }, { orderBy: { createdAt: 'desc' }, limit });
}

/**
 * Asks a run to stop. A queued run is cancelled at once; a working one stops at its next progress
 * check (at most 2 s), and the destination stays as it was: a load commits all or nothing.
 */
export async function cancelRun(em: EntityManager, scope: Scope, id: string, queues: EtlQueues): Promise<IEtlRun> {
  const run = await getRun(em, scope, id);
  if (!hasRole(scope, 'editor')) throw forbidden('Viewers cannot cancel runs');
  if (TERMINAL_STATUSES.includes(run.status)) return run;
  run.cancelRequested = true;
  if (run.status === 'queued') {
    run.status = 'cancelled';
    run.finishedAt = new Date();
    await queues.extractor.remove(extractJobId(run.id)).catch(() => undefined);
  }
  await em.flush();
  return run;
}

/** The rows a run rejected, in source order. */
export async function listRejectedRows(em: EntityManager, scope: Scope, runId: string, limit = 1_000) {
  const run = await getRun(em, scope, runId);
  const rows = await em.find(EtlRejectedRow, { run }, { orderBy: { id: 'asc' }, limit });
  return rows.map((r) => ({ file: r.file ?? null, line: r.line ?? null, column: r.column ?? null, value: r.value ?? null, reason: r.reason }));
}
