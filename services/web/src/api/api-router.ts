import express, { Router } from 'express';
import {
  Membership,
  createProject,
  deleteProject,
  getProject,
  listProjects,
  projectView,
  updateProject,
} from '@b2b-recs/shared';
import type { WebDeps } from '../context.js';
import { requireApiRole } from '../auth/authenticate.js';
import { csrfProtection } from '../auth/csrf.js';
import { apiNotFound } from '../http/errors.js';
import { openApiDocument } from './openapi.js';
import { sendPing } from '../ping.js';
import { connectionsRoutes } from './connections-routes.js';
import { etlRoutes } from './etl-routes.js';

/** The JSON API under `/api/v1`. Every handler reads and writes within `req.scope`'s tenant. */
export function apiRouter(deps: WebDeps): Router {
  const api = Router();
  api.use(express.json({ limit: '1mb' }));
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(deps.config.web.publicUrl));
  });
  api.use(requireApiRole('viewer'), csrfProtection);

  api.get('/me', async (req, res) => {
    const scope = req.scope!;
    const membership = await req.em.findOneOrFail(Membership, { tenant: scope.tenantId, user: scope.userId }, { populate: ['tenant', 'user'] });
    res.json({
      user: { id: membership.user.id, email: membership.user.email, name: membership.user.name },
      tenant: { id: membership.tenant.id, name: membership.tenant.name },
      role: membership.role,
    });
  });

  api.get('/projects', async (req, res) => {
    res.json({ projects: (await listProjects(req.em, req.scope!)).map(projectView) });
  });
  api.post('/projects', async (req, res) => {
    const project = await createProject(req.em, req.scope!, req.body);
    res.status(201).location(`/api/v1/projects/${project.id}`).json(projectView(project));
  });
  api.get('/projects/:id', async (req, res) => {
    res.json(projectView(await getProject(req.em, req.scope!, req.params.id)));
  });
  api.patch('/projects/:id', async (req, res) => {
    res.json(projectView(await updateProject(req.em, req.scope!, req.params.id, req.body)));
  });
  api.delete('/projects/:id', async (req, res) => {
    await deleteProject(req.em, req.scope!, req.params.id);
    res.status(204).end();
  });

  connectionsRoutes(api, deps);
  etlRoutes(api, deps);

  api.post('/admin/ping', requireApiRole('admin'), async (_req, res) => {
    res.json(await sendPing(deps));
  });

  api.use(apiNotFound);
  return api;
}
