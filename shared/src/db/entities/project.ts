import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Tenant } from './tenant.js';

/** One recommendation system of a tenant (the seed platform's "model endpoint"). */
export const Project = defineEntity({
  name: 'Project',
  tableName: 'projects',
  uniques: [{ properties: ['tenant', 'name'] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenant: () => p.manyToOne(Tenant).deleteRule('cascade'),
    name: p.string().length(200),
    description: p.text().default(''),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type IProject = InferEntity<typeof Project>;
