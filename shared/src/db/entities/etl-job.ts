import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ExtractColumn } from '../../extract/extract.js';
import type { SourceTarget } from '../../sources/source.js';
import { Connection } from './connection.js';
import { Project } from './project.js';
import { Tenant } from './tenant.js';

export const LOAD_TYPES = ['transactional', 'catalog'] as const;
export type LoadType = (typeof LOAD_TYPES)[number];

/** How far back a transactional job's first run reaches. */
export type Backfill = { days: number } | { since: string } | { all: true };

/** A transactional job's position: the largest value of its timestamp column that is loaded. */
export interface Watermark {
  value: string;
}

/**
 * One table, collection or set of files moved from a connection into one warehouse table.
 * `columns` is the source-to-destination mapping, stored so it stays stable from run to run.
 */
export const EtlJob = defineEntity({
  name: 'EtlJob',
  tableName: 'etl_jobs',
  uniques: [{ properties: ['project', 'name'] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenant: () => p.manyToOne(Tenant).deleteRule('cascade'),
    project: () => p.manyToOne(Project).deleteRule('cascade'),
    connection: () => p.manyToOne(Connection).deleteRule('restrict'),
    name: p.string().length(200),
    source: p.json<SourceTarget>(),
    columns: p.json<ExtractColumn[]>(),
    loadType: p.enum(LOAD_TYPES),
    timestampColumn: p.string().length(300).nullable(),
    primaryKey: p.json<string[]>().nullable(),
    backfill: p.json<Backfill>().nullable(),
    destinationTable: p.string().length(300),
    maxBadRows: p.integer().default(0),
    /** Late rows up to this many seconds older than the watermark are still picked up. */
    lookbackSeconds: p.integer().default(3600),
    keepSnapshots: p.boolean().default(false),
    watermark: p.json<Watermark>().nullable(),
    enabled: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type IEtlJob = InferEntity<typeof EtlJob>;
