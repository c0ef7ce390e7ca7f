import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { Project, type IProject } from '../db/entities/index.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { hasRole, type Scope } from '../accounts/scope.js';

/** What a client may send to create or change a project. */
export const projectInput = z.object({
  name: z.string().trim().min(1, 'is required').max(200),
  description: z.string().max(5_000).optional(),
});
export const projectPatch = projectInput.partial();

/** A project as the API shows it. */
export interface ProjectView {
  id: string;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

export function projectView(p: IProject): ProjectView {
  return { id: p.id, name: p.name, description: p.description, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() };
}

function requireWriter(scope: Scope): void {
  if (!hasRole(scope, 'editor')) throw forbidden('Viewers cannot change projects; ask an admin of your tenant for the editor role');
}

function parseInput<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const details = result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
    throw invalid(details.map((d) => `${d.field || 'body'} ${d.message}`).join('; '), details);
  }
  return result.data;
}

/** The tenant's projects, newest first. */
export async function listProjects(em: EntityManager, scope: Scope): Promise<IProject[]> {
  return em.find(Project, { tenant: scope.tenantId }, { orderBy: { createdAt: 'desc' } });
}

/** One project of the caller's tenant; another tenant's answers not found. */
export async function getProject(em: EntityManager, scope: Scope, id: string): Promise<IProject> {
  const project = z.uuid().safeParse(id).success ? await em.findOne(Project, { id, tenant: scope.tenantId }) : null;
  if (!project) throw notFound('Project', id);
  return project;
}

async function flushUnique(em: EntityManager, name: string): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict(`A project named "${name}" already exists`, { name });
    throw error;
  }
}

export async function createProject(em: EntityManager, scope: Scope, body: unknown): Promise<IProject> {
  requireWriter(scope);
  const input = parseInput(projectInput, body);
  const project = em.create(Project, { tenant: scope.tenantId, name: input.name, description: input.description ?? '' });
  await flushUnique(em, input.name);
  return project;
}

export async function updateProject(em: EntityManager, scope: Scope, id: string, body: unknown): Promise<IProject> {
  const project = await getProject(em, scope, id);
  requireWriter(scope);
  const input = parseInput(projectPatch, body);
  if (input.name !== undefined) project.name = input.name;
  if (input.description !== undefined) project.description = input.description;
  await flushUnique(em, project.name);
  return project;
}

export async function deleteProject(em: EntityManager, scope: Scope, id: string): Promise<void> {
  const project = await getProject(em, scope, id);
  requireWriter(scope);
  await em.remove(project).flush();
}
