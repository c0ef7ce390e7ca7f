import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { StagedPart } from '../../warehouse/warehouse.js';
import type { FileFingerprint } from '../../extract/extract.js';
import { EtlJob, type Watermark } from './etl-job.js';
import { Tenant } from './tenant.js';

export const RUN_STATUSES = ['queued', 'extracting', 'loading', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
export const RUN_TRIGGERS = ['manual', 'schedule', 'webhook', 'retry'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** Where a run is: rows and bytes done of the stage, and the estimate when known. */
export interface RunProgress {
  rows: number;
  bytes: number;
  estimatedRows?: number;
  updatedAt: string;
}

/** When each stage started and ended (ISO 8601). */
export interface RunTimings {
  extractStartedAt?: string;
  extractEndedAt?: string;
  loadStartedAt?: string;
  loadEndedAt?: string;
}

/** Why a run failed: the stage, the cause, and what to do. */
export interface RunError {
  stage: 'extract' | 'load';
  code: string;
  message: string;
  hint: string;
}

/** One execution of an ETL job. Its state lives here; Redis holds only the queued work. */
export const EtlRun = defineEntity({
  name: 'EtlRun',
  tableName: 'etl_runs',
  indexes: [{ properties: ['job', 'createdAt'] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenant: () => p.manyToOne(Tenant).deleteRule('cascade'),
    job: () => p.manyToOne(EtlJob).deleteRule('cascade'),
    status: p.enum(RUN_STATUSES).default('queued'),
    trigger: p.enum(RUN_TRIGGERS).default('manual'),
    progress: p.json<RunProgress>().nullable(),
    rowsExtracted: p.integer().default(0),
    rowsLoaded: p.integer().default(0),
    rowsRejected: p.integer().default(0),
    filesProcessed: p.integer().default(0),
    bytes: p.double().default(0),
    timings: p.json<RunTimings>().default('{}'),
    watermarkBefore: p.json<Watermark>().nullable(),
    watermarkAfter: p.json<Watermark>().nullable(),
    /** The extraction's lower bound (inclusive), for the loader's de-duplication. */
    windowFrom: p.string().length(100).nullable(),
    stagedParts: p.json<StagedPart[]>().nullable(),
    /** File sources: the file versions this run read, recorded as loaded when it succeeds. */
    files: p.json<FileFingerprint[]>().nullable(),
    error: p.json<RunError>().nullable(),
    cancelRequested: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
    finishedAt: p.datetime().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type IEtlRun = InferEntity<typeof EtlRun>;
