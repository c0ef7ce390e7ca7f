import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ApiToken, Membership, Tenant, User, type IUser, type Role, ROLES } from '../db/entities/index.js';
import { generateApiToken, hashApiToken } from '../auth/api-token.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { conflict, invalid, notFound } from '../errors.js';
import type { Scope } from './scope.js';

const email = z.email().max(320).transform((e) => e.toLowerCase());
const password = z.string().min(8, 'must be at least 8 characters').max(200);

/** A parsed value, or an `invalid_request` naming the field. */
function parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(`${field}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

/** Creates a tenant and its first admin. */
export async function createTenant(
  em: EntityManager,
  input: { name: string; email: string; password: string; userName?: string },
): Promise<{ tenantId: string; userId: string; email: string }> {
  const name = parse(z.string().trim().min(1).max(200), input.name, 'name');
  const mail = parse(email, input.email, 'email');
  const hash = await hashPassword(parse(password, input.password, 'password'));
  return em.transactional(async (tx) => {
    let user = await tx.findOne(User, { email: mail });
    if (user && !(await verifyPassword(input.password, user.passwordHash))) {
      throw conflict(`A user with e-mail ${mail} already exists with another password`);
    }
    const tenant = tx.create(Tenant, { name });
    user ??= tx.create(User, { email: mail, name: input.userName ?? mail.split('@')[0]!, passwordHash: hash });
    tx.create(Membership, { tenant, user, role: 'admin' });
    await tx.flush();
    return { tenantId: tenant.id, userId: user.id, email: mail };
  });
}

/** Adds a user to a tenant with a role (creating the user when the e-mail is new). */
export async function createUser(
  em: EntityManager,
  input: { tenantId: string; email: string; password: string; role: Role; name?: string },
): Promise<{ userId: string }> {
  const mail = parse(email, input.email, 'email');
  const role = parse(z.enum(ROLES), input.role, 'role');
  const pass = parse(password, input.password, 'password');
  return em.transactional(async (tx) => {
    const tenant = await tx.findOne(Tenant, { id: input.tenantId });
    if (!tenant) throw notFound('Tenant', input.tenantId);
    let user = await tx.findOne(User, { email: mail });
    if (user) {
      if (await tx.count(Membership, { tenant, user })) throw conflict(`${mail} is already a member of ${tenant.name}`);
    } else {
      user = tx.create(User, { email: mail, name: input.name ?? mail.split('@')[0]!, passwordHash: await hashPassword(pass) });
    }
    tx.create(Membership, { tenant, user, role });
    await tx.flush();
    return { userId: user.id };
  });
}

/** Finds a tenant by id or exact name. */
export async function findTenant(em: EntityManager, idOrName: string) {
  const byId = z.uuid().safeParse(idOrName).success ? await em.findOne(Tenant, { id: idOrName }) : null;
  const tenants = byId ? [byId] : await em.find(Tenant, { name: idOrName });
  if (tenants.length > 1) throw conflict(`${tenants.length} tenants are named "${idOrName}": give the id`);
  const tenant = tenants[0];
  if (!tenant) throw notFound('Tenant', idOrName);
  return tenant;
}

/**
 * Issues an API token for a user, in their tenant (or the one given when they belong to several).
 * Returns the token itself: it is never stored and cannot be shown again.
 */
export async function createApiToken(
  em: EntityManager,
  input: { email: string; tenantId?: string; name?: string },
): Promise<{ token: string; id: string; tenantId: string }> {
  const mail = parse(email, input.email, 'email');
  const user = await em.findOne(User, { email: mail });
  if (!user) throw notFound('User', mail);
  const memberships = await em.find(Membership, { user, ...(input.tenantId ? { tenant: input.tenantId } : {}) }, { populate: ['tenant'] });
  if (memberships.length === 0) throw notFound('Membership of', mail);
  if (memberships.length > 1) throw invalid(`${mail} belongs to ${memberships.length} tenants: say which with --tenant`);
  const membership = memberships[0]!;
  const generated = generateApiToken();
  const row = em.create(ApiToken, {
    tenant: membership.tenant,
    user,
    name: input.name ?? 'cli',
    tokenHash: generated.hash,
    prefix: generated.prefix,
  });
  await em.flush();
  return { token: generated.token, id: row.id, tenantId: membership.tenant.id };
}

/** The scope an API token acts in, or null when it is unknown or expired. */
export async function authenticateToken(em: EntityManager, token: string): Promise<Scope | null> {
  const row = await em.findOne(ApiToken, { tokenHash: hashApiToken(token) });
  if (!row || (row.expiresAt && row.expiresAt < new Date())) return null;
  const membership = await em.findOne(Membership, { tenant: row.tenant, user: row.user });
  if (!membership) return null;
  // A token used often should not write on every request.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await em.nativeUpdate(ApiToken, { id: row.id }, { lastUsedAt: new Date() });
  }
  return { tenantId: row.tenant.id, userId: row.user.id, role: membership.role };
}

/**
 * Checks an e-mail and password. Returns the user and their memberships, or null; the same work is
 * done for an unknown e-mail so timing does not tell which addresses exist.
 */
export async function authenticatePassword(
  em: EntityManager,
  mail: string,
  pass: string,
): Promise<{ user: IUser; scopes: (Scope & { tenantName: string })[] } | null> {
  const user = await em.findOne(User, { email: mail.trim().toLowerCase() });
  const ok = await verifyPassword(pass, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) return null;
  user.lastLoginAt = new Date();
  await em.flush();
  const memberships = await em.find(Membership, { user }, { populate: ['tenant'], orderBy: { createdAt: 'asc' } });
  return {
    user,
    scopes: memberships.map((m) => ({ tenantId: m.tenant.id, tenantName: m.tenant.name, userId: user.id, role: m.role })),
  };
}

/** A valid hash of a random password, verified against when the e-mail is unknown. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Whether any tenant exists (a fresh database gets a demo tenant). */
export async function hasTenants(em: EntityManager): Promise<boolean> {
  return (await em.count(Tenant, {})) > 0;
}
