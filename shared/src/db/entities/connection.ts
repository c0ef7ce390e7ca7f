import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { SOURCE_KINDS } from '../../sources/source.js';
import { Project } from './project.js';
import { Tenant } from './tenant.js';

/**
 * A connection's health: `untested` (gray), `ok` (green), `failed` (red: the source answered and
 * refused), `error` (yellow: we could not tell, e.g. a timeout or the secret store was down).
 */
export const CONNECTION_STATUSES = ['untested', 'ok', 'failed', 'error'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** Why the last test failed, as the API shows it. */
export interface ConnectionTestError {
  code: string;
  message: string;
  hint: string;
}

/**
 * Where a tenant's data lives. Only non-secret settings are stored here; passwords, keys and
 * service-account JSON live in the secret store under `secretRef`.
 */
export const Connection = defineEntity({
  name: 'Connection',
  tableName: 'connections',
  uniques: [{ properties: ['project', 'name'] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenant: () => p.manyToOne(Tenant).deleteRule('cascade'),
    project: () => p.manyToOne(Project).deleteRule('cascade'),
    name: p.string().length(200),
    type: p.enum(SOURCE_KINDS),
    config: p.json<Record<string, unknown>>(),
    secretRef: p.string().length(500).nullable(),
    status: p.enum(CONNECTION_STATUSES).default('untested'),
    /** The last conclusive status (ok or failed), kept visible while the status is `error`. */
    previousStatus: p.enum(CONNECTION_STATUSES).nullable(),
    lastTestedAt: p.datetime().nullable(),
    lastError: p.json<ConnectionTestError>().nullable(),
    lastLatencyMs: p.integer().nullable(),
    lastUsedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type IConnection = InferEntity<typeof Connection>;
