import type { Router } from 'express';
import { z } from 'zod';
import {
  FILE_FORMATS,
  connectionView,
  createConnection,
  deleteConnection,
  getConnection,
  invalid,
  listConnections,
  retestConnection,
  testConnectionBody,
  updateConnection,
  withConnectionSource,
  type SourceTarget,
} from '@b2b-recs/shared';
import type { WebDeps } from '../context.js';
import { requireApiRole } from '../auth/authenticate.js';

const previewQuery = z.object({
  schema: z.string().optional(),
  table: z.string().optional(),
  path: z.string().optional(),
  pattern: z.string().optional(),
  format: z.enum(FILE_FORMATS).optional(),
  collection: z.string().optional(),
  sampleSize: z.coerce.number().int().min(1).max(1_000).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
  delimiter: z.string().max(2).optional(),
  header: z.enum(['true', 'false']).optional(),
});

/** Turns a preview's query string into its target: a table, files or a collection. */
function previewTarget(query: unknown): { target: SourceTarget; limit?: number } {
  const q = previewQuery.safeParse(query);
  if (!q.success) throw invalid(q.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '));
  const { schema, table, path, pattern, format, collection, sampleSize, limit, delimiter, header } = q.data;
  if (schema !== undefined && table) return { target: { schema, table }, limit };
  if (path !== undefined) {
    const csv = { ...(delimiter ? { delimiter } : {}), ...(header ? { header: header === 'true' } : {}) };
    return { target: { path, pattern, format, ...(Object.keys(csv).length ? { csv } : {}) }, limit };
  }
  if (collection) return { target: { collection, sampleSize }, limit };
  throw invalid('Say what to preview: schema and table, or path (and pattern), or collection');
}

/** Connections: test, CRUD, and discovery (schemas, tables, files, preview). */
export function connectionsRoutes(api: Router, deps: WebDeps): void {
  const cd = deps.connections;

  api.post('/projects/:pid/connections/test', requireApiRole('editor'), async (req, res) => {
    res.json(await testConnectionBody(cd, req.body));
  });
  api.get('/projects/:pid/connections', async (req, res) => {
    res.json({ connections: (await listConnections(req.em, req.scope!, req.params.pid)).map(connectionView) });
  });
  api.post('/projects/:pid/connections', async (req, res) => {
    const { connection, test } = await createConnection(req.em, req.scope!, req.params.pid, req.body, cd);
    res.status(201).location(`/api/v1/connections/${connection.id}`).json({ ...connectionView(connection), test });
  });
  api.get('/connections/:id', async (req, res) => {
    res.json(connectionView(await getConnection(req.em, req.scope!, req.params.id)));
  });
  api.patch('/connections/:id', async (req, res) => {
    const { connection, test, usedBy } = await updateConnection(req.em, req.scope!, req.params.id, req.body, cd);
    res.json({ ...connectionView(connection), test, usedBy });
  });
  api.delete('/connections/:id', async (req, res) => {
    await deleteConnection(req.em, req.scope!, req.params.id, cd);
    res.status(204).end();
  });
  api.post('/connections/:id/test', async (req, res) => {
    const { connection, test } = await retestConnection(req.em, req.scope!, req.params.id, cd);
    res.json({ ...test, connection: connectionView(connection) });
  });

  api.get('/connections/:id/schemas', async (req, res) => {
    res.json({ schemas: await withConnectionSource(req.em, req.scope!, req.params.id, cd, (s, o) => s.listSchemas(o)) });
  });
  api.get('/connections/:id/schemas/:schema/tables', async (req, res) => {
    res.json({ tables: await withConnectionSource(req.em, req.scope!, req.params.id, cd, (s, o) => s.listTables(req.params.schema, o)) });
  });
  api.get('/connections/:id/files', async (req, res) => {
    const prefix = typeof req.query.prefix === 'string' ? req.query.prefix : '';
    const pattern = typeof req.query.pattern === 'string' && req.query.pattern ? req.query.pattern : undefined;
    const files = await withConnectionSource(req.em, req.scope!, req.params.id, cd, (s, o) => {
      if (!s.listFiles) throw invalid(`A ${s.kind} connection has tables, not files: use /schemas`);
      return s.listFiles(prefix, pattern, o);
    });
    res.json({ files });
  });
  api.get('/connections/:id/preview', async (req, res) => {
    const { target, limit } = previewTarget(req.query);
    res.json(await withConnectionSource(req.em, req.scope!, req.params.id, cd, (s, o) => s.preview(target, { ...o, limit })));
  });
}
