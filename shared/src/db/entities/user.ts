import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A person who signs in. E-mail addresses are stored lower-case and are unique platform-wide. */
export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    email: p.string().length(320).unique(),
    name: p.string().length(200),
    /** scrypt hash, see `auth/password.ts`; never serialized. */
    passwordHash: p.string().length(300).hidden(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastLoginAt: p.datetime().nullable(),
  },
});
export type IUser = InferEntity<typeof User>;
