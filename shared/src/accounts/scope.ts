import type { Role } from '../db/entities/membership.js';

/** Who is asking: every read and write is scoped by it. */
export interface Scope {
  tenantId: string;
  userId: string;
  role: Role;
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** Whether a role is at least another (admin > editor > viewer). */
export function hasRole(scope: Scope, atLeast: Role): boolean {
  return RANK[scope.role] >= RANK[atLeast];
}
