import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { hasRole, type Scope } from '../accounts/scope.js';
import { getConnection, withConnectionSource, type ConnectionDeps } from '../connections/connections.js';
import { EtlJob, LOAD_TYPES, type IEtlJob } from '../db/entities/etl-job.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import type { ExtractColumn } from '../extract/extract.js';
import { getProject } from '../projects/projects.js';
import { FILE_FORMATS, type ColumnPreview, type SourceKind, type SourceTarget } from '../sources/source.js';
import { WAREHOUSE_TYPES } from '../types/warehouse-types.js';
import { sanitizeColumnName, sanitizeColumnNames } from '../warehouse/column-names.js';

const csvOverrides = z.object({
  delimiter: z.string().min(1).max(2).optional(),
  quote: z.string().length(1).optional(),
  header: z.boolean().optional(),
  encoding: z.enum(['utf8', 'utf16le', 'latin1']).optional(),
});
const source = z.union([
  z.object({ schema: z.string().min(1), table: z.string().min(1) }).strict(),
  z.object({ path: z.string(), pattern: z.string().optional(), format: z.enum(FILE_FORMATS).optional(), csv: csvOverrides.optional() }).strict(),
  z.object({ collection: z.string().min(1), sampleSize: z.number().int().min(1).max(10_000).optional() }).strict(),
]);
const column = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), type: z.enum(WAREHOUSE_TYPES).optional(), destination: z.string().min(1).max(300).optional() }),
]);
const backfill = z.union([
  z.object({ days: z.number().int().min(1).max(36_500) }).strict(),
  z.object({ since: z.iso.date().or(z.iso.datetime({ offset: true })) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);
const jobBody = z.object({
  name: z.string().trim().min(1, 'is required').max(200),
  connectionId: z.uuid(),
  source,
  columns: z.array(column).min(1, 'select at least one column'),
  loadType: z.enum(LOAD_TYPES),
  timestampColumn: z.string().min(1).optional(),
  primaryKey: z.array(z.string().min(1)).min(1).optional(),
  backfill: backfill.optional(),
  destinationTable: z.string().min(1).max(300).optional(),
  maxBadRows: z.number().int().min(0).max(10_000_000).default(0),
  lookbackSeconds: z.number().int().min(0).max(90 * 86_400).default(3600),
  keepSnapshots: z.boolean().default(false),
});
const jobPatch = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  enabled: z.boolean().optional(),
  maxBadRows: z.number().int().min(0).max(10_000_000).optional(),
  lookbackSeconds: z.number().int().min(0).max(90 * 86_400).optional(),
  keepSnapshots: z.boolean().optional(),
  backfill: backfill.optional(),
  /** Columns to read from now on: mapped ones keep their destination, new ones get one, and a type may be changed. */
  columns: z.array(column).min(1, 'select at least one column').optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
    throw invalid(details.map((d) => `${d.field || 'body'} ${d.message}`).join('; '), details);
  }
  return result.data;
}

/** An ETL job as the API shows it. */
export function etlJobView(job: IEtlJob) {
  return {
    id: job.id,
    projectId: job.project.id,
    connectionId: job.connection.id,
    name: job.name,
    source: job.source,
    columns: job.columns,
    loadType: job.loadType,
    timestampColumn: job.timestampColumn ?? null,
    primaryKey: job.primaryKey ?? null,
    backfill: job.backfill ?? null,
    destinationTable: job.destinationTable,
    maxBadRows: job.maxBadRows,
    lookbackSeconds: job.lookbackSeconds,
    keepSnapshots: job.keepSnapshots,
    watermark: job.watermark ?? null,
    enabled: job.enabled,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
  };
}

const SOURCE_SHAPE: Record<SourceKind, 'table' | 'files' | 'collection'> = {
  postgresql: 'table',
  mysql: 'table',
  bigquery: 'table',
  firestore: 'collection',
  gcs: 'files',
  s3: 'files',
  azure_blob: 'files',
  local_files: 'files',
};

function shapeOf(target: SourceTarget): 'table' | 'files' | 'collection' {
  return 'table' in target ? 'table' : 'path' in target ? 'files' : 'collection';
}

function defaultDestination(target: SourceTarget): string {
  if ('table' in target) return sanitizeColumnName(target.table);
  if ('collection' in target) return sanitizeColumnName(target.collection);
  const base = target.path.split('/').filter(Boolean).at(-1) ?? 'files';
  return sanitizeColumnName(base.replace(/\.(csv|tsv|parquet|jsonl?|ndjson)(\.gz)?$/i, ''));
}

/**
 * Creates an ETL job. Everything is checked before anything is saved: the connection (in this
 * project), the source (it exists and has the selected columns, read through a preview), the
 * timestamp column and primary key (among the selected columns), and the names. The column mapping
 * is fixed here, with types from the preview unless the request gives them.
 */
export async function createEtlJob(em: EntityManager, scope: Scope, projectId: string, raw: unknown, deps: ConnectionDeps): Promise<IEtlJob> {
  const project = await getProject(em, scope, projectId);
  if (!hasRole(scope, 'editor')) throw forbidden('Viewers cannot create ETL jobs');
  const input = parse(jobBody, raw);
  const connection = await getConnection(em, scope, input.connectionId);
  if (connection.project.id !== project.id) throw invalid(`connectionId: the connection "${connection.name}" belongs to another project`);
  const shape = SOURCE_SHAPE[connection.type];
  if (shapeOf(input.source) !== shape) {
    throw invalid(`source: a ${connection.type} connection reads ${shape === 'table' ? '{schema, table}' : shape === 'files' ? '{path, pattern, format}' : '{collection}'}`);
  }
  if (await em.count(EtlJob, { project, name: input.name })) throw conflict(`An ETL job named "${input.name}" already exists in this project`, { name: input.name });

  const preview = await withConnectionSource(em, scope, connection.id, deps, (s, o) => s.preview(input.source, { ...o, limit: 5 }));
  const columns = mapColumns(input.columns, preview.columns);

  // A transactional file job appends new and changed files; its timestamp column is optional.
  if (input.loadType === 'transactional' && (shape !== 'files' || input.timestampColumn)) {
    if (!input.timestampColumn) throw invalid('timestampColumn: a transactional job needs the column that orders its rows (a timestamp or an increasing key)');
    const ts = columns.find((c) => c.source === input.timestampColumn);
    if (!ts) throw invalid(`timestampColumn: "${input.timestampColumn}" must be one of the selected columns`);
    if (!['TIMESTAMP', 'DATETIME', 'DATE', 'INT64', 'NUMERIC'].includes(ts.type)) {
      throw invalid(`timestampColumn: "${input.timestampColumn}" is ${ts.type}; a watermark needs a timestamp, date or increasing number`);
    }
  }
  const notSelected = (input.primaryKey ?? []).filter((k) => !columns.some((c) => c.source === k));
  if (notSelected.length) throw invalid(`primaryKey: ${notSelected.join(', ')} must be among the selected columns`);
  const destinationTable = sanitizeColumnName(input.destinationTable ?? defaultDestination(input.source));
  const clash = await em.findOne(EtlJob, { project, destinationTable });
  if (clash) throw conflict(`The ETL job "${clash.name}" already loads into ${destinationTable}; choose another destination table`, { destinationTable });

  const job = em.create(EtlJob, {
    tenant: scope.tenantId,
    project,
    connection,
    name: input.name,
    source: input.source,
    columns,
    loadType: input.loadType,
    timestampColumn: input.timestampColumn ?? null,
    primaryKey: input.primaryKey ?? null,
    backfill: input.backfill ?? null,
    destinationTable,
    maxBadRows: input.maxBadRows,
    lookbackSeconds: input.lookbackSeconds,
    keepSnapshots: input.keepSnapshots,
    watermark: null,
    enabled: true,
  });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict(`An ETL job named "${input.name}" already exists in this project`, { name: input.name });
    throw error;
  }
  return job;
}

export async function listEtlJobs(em: EntityManager, scope: Scope, projectId: string): Promise<IEtlJob[]> {
  const project = await getProject(em, scope, projectId);
  return em.find(EtlJob, { project, tenant: scope.tenantId }, { orderBy: { name: 'asc' } });
}

/** One job of the caller's tenant; another tenant's answers not found. */
export async function getEtlJob(em: EntityManager, scope: Scope, id: string): Promise<IEtlJob> {
  const job = z.uuid().safeParse(id).success ? await em.findOne(EtlJob, { id, tenant: scope.tenantId }) : null;
  if (!job) throw notFound('ETL job', id);
  return job;
}

/**
 * The stored source-to-destination mapping of the selected columns, with types from the source's
 * preview unless given. Columns already in `previous` keep their destination, so the warehouse
 * table's columns stay the same from run to run; new ones get a sanitized name no column has.
 */
function mapColumns(selected: z.infer<typeof column>[], available: readonly ColumnPreview[], previous: readonly ExtractColumn[] = []): ExtractColumn[] {
  const inSource = new Map(available.map((c) => [c.name, c]));
  const wanted = selected.map((c) => (typeof c === 'string' ? { name: c } : c));
  const missing = wanted.filter((c) => !inSource.has(c.name)).map((c) => c.name);
  if (missing.length) throw invalid(`columns: ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the source (it has ${[...inSource.keys()].slice(0, 20).join(', ')})`, { missing });
  const before = new Map(previous.map((c) => [c.source, c]));
  const names = sanitizeColumnNames(wanted.map((c) => c.name), previous);
  const columns: ExtractColumn[] = wanted.map((c, i) => {
    const kept = before.get(c.name);
    if (kept && c.destination && sanitizeColumnName(c.destination) !== kept.destination) {
      throw invalid(`columns: "${c.name}" already loads into ${kept.destination}; its destination cannot change (the table's column would be orphaned)`);
    }
    return {
      source: c.name,
      destination: c.destination ? sanitizeColumnName(c.destination) : names[i]!.destination,
      type: c.type ?? kept?.type ?? inSource.get(c.name)!.suggested.type,
    };
  });
  const dests = columns.map((c) => c.destination.toLowerCase());
  if (new Set(dests).size !== dests.length) throw invalid('columns: two columns map to the same destination name');
  return columns;
}

/**
 * Changes what may change after creation. The source and load type are fixed (make a new job).
 * Columns may be added, dropped or given another type (the next run adds or promotes the table's
 * columns, or fails if the change would lose data); a column keeps its destination name.
 */
export async function updateEtlJob(em: EntityManager, scope: Scope, id: string, raw: unknown, deps?: ConnectionDeps): Promise<IEtlJob> {
  const job = await getEtlJob(em, scope, id);
  if (!hasRole(scope, 'editor')) throw forbidden('Viewers cannot change ETL jobs');
  const input = parse(jobPatch.strict(), raw);
  if (input.name && input.name !== job.name && (await em.count(EtlJob, { project: job.project, name: input.name }))) {
    throw conflict(`An ETL job named "${input.name}" already exists in this project`, { name: input.name });
  }
  const { columns: selected, ...rest } = input;
  if (selected) {
    if (!deps) throw new Error('updateEtlJob needs the connection dependencies to change columns');
    const preview = await withConnectionSource(em, scope, job.connection.id, deps, (s, o) => s.preview(job.source, { ...o, limit: 5 }));
    const columns = mapColumns(selected, preview.columns, job.columns);
    const dropped = [job.timestampColumn, ...(job.primaryKey ?? [])].filter((k): k is string => !!k && !columns.some((c) => c.source === k));
    if (dropped.length) throw invalid(`columns: ${dropped.map((d) => `"${d}"`).join(', ')} ${dropped.length === 1 ? 'is' : 'are'} the job's timestamp column or primary key and must stay selected`);
    job.columns = columns;
  }
  em.assign(job, rest);
  await em.flush();
  return job;
}

/** Deletes a job and its run history; the warehouse table stays. */
export async function deleteEtlJob(em: EntityManager, scope: Scope, id: string): Promise<void> {
  const job = await getEtlJob(em, scope, id);
  if (!hasRole(scope, 'editor')) throw forbidden('Viewers cannot delete ETL jobs');
  await em.remove(job).flush();
}
