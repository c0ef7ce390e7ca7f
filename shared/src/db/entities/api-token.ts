import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Tenant } from './tenant.js';
import { User } from './user.js';

/**
 * A bearer token for the API, acting as one user in one tenant. Only its SHA-256 is stored:
 * the token itself is shown once, when it is created.
 */
export const ApiToken = defineEntity({
  name: 'ApiToken',
  tableName: 'api_tokens',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenant: () => p.manyToOne(Tenant).deleteRule('cascade'),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    name: p.string().length(200),
    /** hex SHA-256 of the token. */
    tokenHash: p.string().length(64).unique().hidden(),
    /** The first characters of the token, so a person can tell tokens apart. */
    prefix: p.string().length(16),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    expiresAt: p.datetime().nullable(),
  },
});
export type IApiToken = InferEntity<typeof ApiToken>;
