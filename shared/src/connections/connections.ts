import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { Connection, type ConnectionStatus, type ConnectionTestError, type IConnection } from '../db/entities/connection.js';
import { EtlJob } from '../db/entities/etl-job.js';
import { conflict, forbidden, invalid, notFound, unprocessable } from '../errors.js';
import { hasRole, type Scope } from '../accounts/scope.js';
import { getProject } from '../projects/projects.js';
import { connectionSecretName, SecretStoreError, type SecretStore } from '../secrets/secret-store.js';
import { assertHostAllowed } from '../sources/network-guard.js';
import { sourceModule } from '../sources/registry.js';
import { isRefusal, SourceError } from '../sources/source-error.js';
import { SOURCE_KINDS, type CallOptions, type Source, type SourceDeps, type SourceKind } from '../sources/source.js';

/** What the connections service needs besides the database. */
export interface ConnectionDeps {
  secrets: SecretStore;
  sourceDeps: SourceDeps;
  allowLinkLocal: boolean;
  /** Time limit of one call to a source. @defaultValue 10 000 */
  timeoutMs?: number;
}

/** The answer of a connection test. */
export interface TestResult {
  ok: boolean;
  latencyMs: number;
  error?: ConnectionTestError;
}

/** A connection as the API and pages show it: settings, never credentials. */
export interface ConnectionView {
  id: string;
  projectId: string;
  name: string;
  type: SourceKind;
  label: string;
  description: string;
  config: Record<string, unknown>;
  hasCredentials: boolean;
  status: ConnectionStatus;
  previousStatus: ConnectionStatus | null;
  lastTestedAt: string | null;
  lastError: ConnectionTestError | null;
  lastLatencyMs: number | null;
  lastUsedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function connectionView(c: IConnection): ConnectionView {
  const module = sourceModule(c.type);
  return {
    id: c.id,
    projectId: c.project.id,
    name: c.name,
    type: c.type,
    label: module.label,
    description: module.describe(c.config),
    config: c.config,
    hasCredentials: c.secretRef !== null && c.secretRef !== undefined,
    status: c.status,
    previousStatus: c.previousStatus ?? null,
    lastTestedAt: c.lastTestedAt?.toISOString() ?? null,
    lastError: c.lastError ?? null,
    lastLatencyMs: c.lastLatencyMs ?? null,
    lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

const body = z.object({
  name: z.string().trim().min(1, 'is required').max(200),
  type: z.enum(SOURCE_KINDS),
  config: z.record(z.string(), z.unknown()).default({}),
  credentials: z.record(z.string(), z.unknown()).default({}),
});
const patch = z.object({
  name: z.string().trim().min(1, 'is required').max(200).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  credentials: z.record(z.string(), z.unknown()).optional(),
});

function issues(error: z.ZodError, prefix = ''): { field: string; message: string }[] {
  return error.issues.map((i) => ({ field: [prefix, ...i.path.map(String)].filter(Boolean).join('.'), message: i.message }));
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = issues(result.error, prefix);
    throw invalid(details.map((d) => `${d.field || 'body'} ${d.message}`).join('; '), details);
  }
  return result.data;
}

/** A kind's settings and credentials, validated by its module; errors name `config.x` or `credentials.y`. */
export function parseSettings(type: SourceKind, config: unknown, credentials: unknown): { config: Record<string, unknown>; credentials: Record<string, unknown> } {
  const module = sourceModule(type);
  const c = module.config.safeParse(config);
  const s = module.credentials.safeParse(credentials);
  // Both are checked before either fails, so a form can show every missing field at once.
  const details = [...(c.success ? [] : issues(c.error, 'config')), ...(s.success ? [] : issues(s.error, 'credentials'))];
  if (details.length) throw invalid(details.map((d) => `${d.field} ${d.message}`).join('; '), details);
  return { config: c.data as Record<string, unknown>, credentials: s.data as Record<string, unknown> };
}

/**
 * Replaces any credential value that appears in a text: a driver may echo what it was given,
 * and no message that leaves the platform may carry a secret.
 */
export function scrubSecrets(text: string, credentials: Record<string, unknown>): string {
  let out = text;
  const values = Object.values(credentials).flatMap((v) => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).filter((x): x is string => typeof x === 'string') : []));
  for (const value of values.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(value).join('***');
  return out;
}

function asTestError(error: unknown, credentials: Record<string, unknown>): ConnectionTestError {
  const e = error instanceof SourceError ? error : new SourceError('unreachable', (error as Error)?.message ?? String(error), 'Check the connection settings.');
  return { code: e.code, message: scrubSecrets(e.message, credentials), hint: scrubSecrets(e.hint, credentials) };
}

/** Opens a source for these settings, after the network guard has checked where it points. */
async function openSource(deps: ConnectionDeps, type: SourceKind, config: Record<string, unknown>, credentials: Record<string, unknown>): Promise<Source> {
  const module = sourceModule(type);
  const host = module.host?.(config);
  if (host) await assertHostAllowed(host, { allowLinkLocal: deps.allowLinkLocal });
  return module.open(config, credentials, deps.sourceDeps);
}

/** Tries settings without saving anything. Never throws for a source's failure: it is the answer. */
export async function testSettings(
  deps: ConnectionDeps,
  type: SourceKind,
  config: Record<string, unknown>,
  credentials: Record<string, unknown>,
  options: CallOptions = {},
): Promise<TestResult> {
  const started = performance.now();
  let source: Source | undefined;
  try {
    source = await openSource(deps, type, config, credentials);
    await source.test({ timeoutMs: deps.timeoutMs, ...options });
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: asTestError(error, credentials) };
  } finally {
    await source?.close().catch(() => undefined);
  }
}

/** Tests a request body of `POST .../connections/test`. */
export async function testConnectionBody(deps: ConnectionDeps, raw: unknown, options: CallOptions = {}): Promise<TestResult> {
  const input = parseOrThrow(body.extend({ name: z.string().optional() }), raw);
  const settings = parseSettings(input.type, input.config, input.credentials);
  return testSettings(deps, input.type, settings.config, settings.credentials, options);
}

function requireWriter(scope: Scope): void {
  if (!hasRole(scope, 'editor')) throw forbidden('Viewers cannot change connections; ask an admin of your tenant for the editor role');
}

/** The project's connections, by name. */
export async function listConnections(em: EntityManager, scope: Scope, projectId: string): Promise<IConnection[]> {
  const project = await getProject(em, scope, projectId);
  return em.find(Connection, { project, tenant: scope.tenantId }, { orderBy: { name: 'asc' } });
}

/** One connection of the caller's tenant; another tenant's answers not found. */
export async function getConnection(em: EntityManager, scope: Scope, id: string): Promise<IConnection> {
  const connection = z.uuid().safeParse(id).success ? await em.findOne(Connection, { id, tenant: scope.tenantId }) : null;
  if (!connection) throw notFound('Connection', id);
  return connection;
}

async function assertNameFree(em: EntityManager, projectId: string, name: string, exceptId?: string): Promise<void> {
  const existing = await em.findOne(Connection, { project: projectId, name });
  if (existing && existing.id !== exceptId) {
    throw conflict(`A connection named "${name}" already exists in this project (${sourceModule(existing.type).label}, ${sourceModule(existing.type).describe(existing.config)})`, {
      existing: { id: existing.id, name: existing.name, type: existing.type },
    });
  }
}

function hasAny(credentials: Record<string, unknown>): boolean {
  return Object.values(credentials).some((v) => v !== undefined && v !== null && v !== '');
}

/**
 * Creates a connection: validates, tests, and saves only when the test passes. The credentials
 * go to the secret store; if saving the row fails, the secret is removed again.
 */
export async function createConnection(
  em: EntityManager,
  scope: Scope,
  projectId: string,
  raw: unknown,
  deps: ConnectionDeps,
): Promise<{ connection: IConnection; test: TestResult }> {
  const project = await getProject(em, scope, projectId);
  requireWriter(scope);
  const input = parseOrThrow(body, raw);
  const settings = parseSettings(input.type, input.config, input.credentials);
  await assertNameFree(em, project.id, input.name);
  const test = await testSettings(deps, input.type, settings.config, settings.credentials);
  if (!test.ok) throw unprocessable(`The connection test failed: ${test.error!.message}`, { test });
  const connection = em.create(Connection, {
    tenant: scope.tenantId,
    project,
    name: input.name,
    type: input.type,
    config: settings.config,
    secretRef: null,
    status: 'ok',
    lastTestedAt: new Date(),
    lastLatencyMs: test.latencyMs,
  });
  if (hasAny(settings.credentials)) connection.secretRef = await deps.secrets.put(connectionSecretName(scope.tenantId, connection.id), settings.credentials);
  try {
    await em.flush();
  } catch (error) {
    if (connection.secretRef) await deps.secrets.delete(connection.secretRef).catch(() => undefined);
    if (error instanceof UniqueConstraintViolationException) await assertNameFree(em.fork(), project.id, input.name);
    throw error;
  }
  return { connection, test };
}

/** The stored credentials of a connection; {} when it has none. */
async function storedCredentials(deps: ConnectionDeps, connection: IConnection): Promise<Record<string, unknown>> {
  return connection.secretRef ? deps.secrets.get(connection.secretRef) : {};
}

/** The names of the ETL jobs that read from a connection. */
export async function dependentJobNames(em: EntityManager, connectionId: string): Promise<string[]> {
  const jobs = await em.find(EtlJob, { connection: connectionId }, { fields: ['name'], orderBy: { name: 'asc' } });
  return jobs.map((j) => j.name);
}

/**
 * Changes a connection: re-tests with the new settings (keeping the stored credentials unless new
 * ones are given) and saves only when the test passes.
 */
export async function updateConnection(
  em: EntityManager,
  scope: Scope,
  id: string,
  raw: unknown,
  deps: ConnectionDeps,
): Promise<{ connection: IConnection; test: TestResult; usedBy: { count: number; jobs: string[] } }> {
  const connection = await getConnection(em, scope, id);
  requireWriter(scope);
  const input = parseOrThrow(patch, raw);
  const newCredentials = input.credentials && hasAny(input.credentials) ? input.credentials : undefined;
  const credentials = newCredentials ?? (await storedCredentials(deps, connection));
  const settings = parseSettings(connection.type, { ...connection.config, ...input.config }, credentials);
  if (input.name && input.name !== connection.name) await assertNameFree(em, connection.project.id, input.name, connection.id);
  const test = await testSettings(deps, connection.type, settings.config, settings.credentials);
  if (!test.ok) throw unprocessable(`The connection test failed; nothing was changed: ${test.error!.message}`, { test });
  if (newCredentials) connection.secretRef = await deps.secrets.put(connectionSecretName(scope.tenantId, connection.id), settings.credentials);
  if (input.name) connection.name = input.name;
  connection.config = settings.config;
  Object.assign(connection, { status: 'ok', previousStatus: null, lastError: null, lastTestedAt: new Date(), lastLatencyMs: test.latencyMs });
  await em.flush();
  const jobs = await dependentJobNames(em, connection.id);
  return { connection, test, usedBy: { count: jobs.length, jobs } };
}

/** Deletes a connection and its secret; refuses while ETL jobs use it. */
export async function deleteConnection(em: EntityManager, scope: Scope, id: string, deps: ConnectionDeps): Promise<void> {
  const connection = await getConnection(em, scope, id);
  requireWriter(scope);
  const jobs = await dependentJobNames(em, connection.id);
  if (jobs.length) throw conflict(`The connection "${connection.name}" is used by ${jobs.length} ETL job(s): ${jobs.join(', ')}; delete or change them first`, { jobs });
  if (connection.secretRef) await deps.secrets.delete(connection.secretRef);
  await em.remove(connection).flush();
}

/**
 * Re-tests a saved connection and records the outcome: `ok`, `failed` when the source refused, or
 * `error` when we could not tell (timeout, unreachable, the secret store down), keeping the last
 * conclusive status visible beside it.
 */
export async function retestConnection(em: EntityManager, scope: Scope, id: string, deps: ConnectionDeps): Promise<{ connection: IConnection; test: TestResult }> {
  const connection = await getConnection(em, scope, id);
  let test: TestResult;
  try {
    const credentials = await storedCredentials(deps, connection);
    test = await testSettings(deps, connection.type, connection.config, credentials);
  } catch (error) {
    const message = error instanceof SecretStoreError ? `The secret store could not give this connection's credentials: ${error.message}` : (error as Error).message;
    test = { ok: false, latencyMs: 0, error: { code: 'secret_store_unavailable', message, hint: 'Check the secret store (SECRETS_BACKEND and its key or permissions), then test again.' } };
  }
  recordTest(connection, test);
  await em.flush();
  return { connection, test };
}

/** Applies a test's outcome to a connection's status. */
export function recordTest(connection: IConnection, test: TestResult): void {
  connection.lastTestedAt = new Date();
  connection.lastLatencyMs = test.latencyMs;
  const conclusive = connection.status === 'ok' || connection.status === 'failed' ? connection.status : connection.previousStatus;
  if (test.ok) {
    Object.assign(connection, { status: 'ok', previousStatus: null, lastError: null });
  } else if (isRefusal(test.error!.code as SourceError['code'])) {
    Object.assign(connection, { status: 'failed', previousStatus: null, lastError: test.error });
  } else {
    Object.assign(connection, { status: 'error', previousStatus: conclusive ?? null, lastError: test.error });
  }
}

/**
 * Runs a discovery call (schemas, tables, files, preview) on a saved connection and records that
 * it was used. Source failures surface as SourceError, with secrets scrubbed from the message.
 */
export async function withConnectionSource<T>(
  em: EntityManager,
  scope: Scope,
  id: string,
  deps: ConnectionDeps,
  work: (source: Source, options: CallOptions) => Promise<T>,
): Promise<T> {
  const connection = await getConnection(em, scope, id);
  const credentials = await storedCredentials(deps, connection);
  const source = await openSource(deps, connection.type, connection.config, credentials);
  try {
    const result = await work(source, { timeoutMs: deps.timeoutMs });
    connection.lastUsedAt = new Date();
    await em.flush();
    return result;
  } catch (error) {
    if (error instanceof SourceError) throw new SourceError(error.code, scrubSecrets(error.message, credentials), scrubSecrets(error.hint, credentials));
    throw error;
  } finally {
    await source.close().catch(() => undefined);
  }
}
