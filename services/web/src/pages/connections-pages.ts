import { Router, type Request, type Response } from 'express';
import {
  AppError,
  SOURCE_KINDS,
  connectionView,
  createConnection,
  deleteConnection,
  dependentJobNames,
  forbidden,
  getConnection,
  getProject,
  hasRole,
  listConnections,
  notFound,
  parseSettings,
  projectView,
  retestConnection,
  sourceModule,
  testConnectionBody,
  testSettings,
  updateConnection,
  type ConnectionStatus,
  type IConnection,
  type SourceKind,
  type TestResult,
} from '@b2b-recs/shared';
import type { WebDeps } from '../context.js';
import { isHtmx } from '../http/htmx.js';
import { CONNECTION_FIELDS, fieldOf, fieldViews, givesSecrets, kindGroups, settingsFromForm } from './connection-fields.js';
import { projectNav } from './project-sections.js';

/** Each status in words and a symbol, so the dot never speaks by colour alone. */
const STATUS: Record<ConnectionStatus, { label: string; icon: string }> = {
  untested: { label: 'Not tested', icon: '?' },
  ok: { label: 'Connected', icon: '✓' },
  failed: { label: 'Failed', icon: '✕' },
  error: { label: 'Error', icon: '!' },
};

/** What a card shows: the connection, its status in words, and which buttons the caller gets. */
function cardView(connection: IConnection, options: { canEdit: boolean; retestOnLoad: boolean }) {
  const view = connectionView(connection);
  return {
    ...view,
    ...options,
    statusLabel: STATUS[view.status].label,
    statusIcon: STATUS[view.status].icon,
    // An `error` keeps the last conclusive status beside it: "could not tell; it was working before".
    previousStatusLabel: view.status === 'error' && view.previousStatus ? STATUS[view.previousStatus].label : undefined,
    showError: (view.status === 'failed' || view.status === 'error') && view.lastError !== null,
  };
}

function kindOf(value: unknown): SourceKind {
  const kind = SOURCE_KINDS.find((k) => k === value);
  if (!kind) throw new AppError('not_found', `There is no kind of connection "${String(value)}"`);
  return kind;
}

function requireEditor(req: Request): void {
  if (!hasRole(req.scope!, 'editor')) throw forbidden('Viewers cannot change connections; ask an admin of your tenant for the editor role');
}

/** A connection of the project in the URL; one of another project (or tenant) answers not found. */
async function connectionIn(req: Request, projectId: string, id: string): Promise<IConnection> {
  const connection = await getConnection(req.em, req.scope!, id);
  if (connection.project.id !== projectId) throw notFound('Connection', id);
  return connection;
}

/** The inline error of every field (empty where there is none), swapped out of band next to the fields. */
function fieldErrors(kind: SourceKind, details: unknown, extra: { field: string; message: string }[] = []) {
  const given = [...(Array.isArray(details) ? (details as { field?: unknown; message?: unknown }[]) : []), ...extra];
  const names = ['name', ...CONNECTION_FIELDS[kind].map((f) => `${f.part}.${f.key}`)];
  const unplaced: string[] = [];
  const byId = new Map(names.map((name) => [fieldOf(kind, name)!.id, '']));
  for (const d of given) {
    const field = typeof d.field === 'string' ? fieldOf(kind, d.field) : undefined;
    const message = String(d.message ?? '');
    // "is required" reads as "Host is required"; messages that are sentences stand alone.
    const sentence = field && /^[a-z]/.test(message) ? `${field.label} ${message}` : message;
    if (field) byId.set(field.id, [byId.get(field.id), sentence].filter(Boolean).join('; '));
    else unplaced.push(sentence);
  }
  return { fieldErrors: [...byId].map(([id, message]) => ({ id, message })), unplaced };
}

interface ResultView {
  test?: TestResult;
  message?: string;
  details?: unknown;
  extraErrors?: { field: string; message: string }[];
}

/** The answer of Test and of a refused Save: the test's outcome or what is wrong, and the fields' errors. */
function renderResult(res: Response, status: number, kind: SourceKind, view: ResultView): void {
  const { fieldErrors: errors, unplaced } = fieldErrors(kind, view.details, view.extraErrors);
  const messages = [view.message, ...unplaced].filter((m): m is string => Boolean(m));
  res.status(status).render('partials/connection-result', { layout: false, test: view.test, messages, fieldErrors: errors });
}

/** A refused Save: 400 and 409 beside the fields, 422 as a failed test. Other errors go to the error handler. */
function renderRefusal(res: Response, kind: SourceKind, error: unknown): void {
  if (!(error instanceof AppError)) throw error;
  const details = error.details as { test?: TestResult; existing?: unknown } | undefined;
  if (error.code === 'invalid_request') return renderResult(res, 400, kind, { message: 'Some settings are not right; see the marked fields.', details: error.details });
  if (error.code === 'conflict' && details?.existing) return renderResult(res, 409, kind, { extraErrors: [{ field: 'name', message: error.message }] });
  if (error.code === 'unprocessable' && details?.test) return renderResult(res, 422, kind, { test: details.test });
  throw error;
}

/** Pages of a project's connections: the cards, the two-step wizard in a dialog, edit and delete. */
export function connectionsPages(deps: WebDeps): Router {
  const cd = deps.connections;
  const pages = Router();
  const base = (projectId: string) => `/projects/${projectId}/connections`;

  const listView = async (req: Request, projectId: string, retestOnLoad: boolean) => {
    const canEdit = hasRole(req.scope!, 'editor');
    const connections = await listConnections(req.em, req.scope!, projectId);
    return { connections: connections.map((c) => cardView(c, { canEdit, retestOnLoad })), canEdit };
  };

  /** After a save or delete: the fresh list goes to the page, and the dialog is told to close. */
  const renderListInstead = async (req: Request, res: Response, projectId: string, event: string, detail: Record<string, string> = {}) => {
    res.set({ 'HX-Retarget': '#connections-list', 'HX-Reswap': 'innerHTML', 'HX-Trigger': JSON.stringify({ [event]: detail }) });
    res.render('partials/connection-list', { layout: false, ...(await listView(req, projectId, false)) });
  };

  // The page re-tests every connection once it is shown: each card asks for itself on load.
  pages.get('/projects/:pid/connections', async (req, res) => {
    const project = await getProject(req.em, req.scope!, req.params.pid);
    res.render('connections', {
      title: `Connections · ${project.name}`,
      project: projectView(project),
      nav: projectNav('connections'),
      ...(await listView(req, project.id, true)),
    });
  });

  // The dialog's steps are fragments; typed into the address bar they lead back to the page.
  pages.get('/projects/:pid/connections/new', async (req, res) => {
    if (!isHtmx(req)) return res.redirect(base(req.params.pid));
    requireEditor(req);
    const project = await getProject(req.em, req.scope!, req.params.pid);
    const groups = kindGroups().map((g, i) => ({ ...g, kinds: g.kinds.map((k, j) => ({ ...k, autofocus: i === 0 && j === 0 })) }));
    res.render('partials/connection-kinds', { layout: false, projectId: project.id, groups });
  });

  pages.get('/projects/:pid/connections/new/:kind', async (req, res) => {
    if (!isHtmx(req)) return res.redirect(base(req.params.pid));
    requireEditor(req);
    const project = await getProject(req.em, req.scope!, req.params.pid);
    const kind = kindOf(req.params.kind);
    res.render('partials/connection-form', {
      layout: false,
      projectId: project.id,
      kind,
      label: sourceModule(kind).label,
      action: base(project.id),
      ...fieldViews(kind),
    });
  });

  pages.post('/projects/:pid/connections/test', async (req, res) => {
    requireEditor(req);
    await getProject(req.em, req.scope!, req.params.pid);
    const body = req.body as Record<string, unknown>;
    const editing = typeof body.connectionId === 'string' && body.connectionId !== '' ? await connectionIn(req, req.params.pid, body.connectionId) : undefined;
    const kind = editing?.type ?? kindOf(body.type);
    const { config, credentials } = settingsFromForm(kind, body);
    try {
      let test: TestResult;
      if (editing && !givesSecrets(credentials)) {
        // Editing without new secrets: test the new settings with the stored secret, as Save will.
        const stored = editing.secretRef ? await cd.secrets.get(editing.secretRef) : {};
        const settings = parseSettings(kind, { ...editing.config, ...config }, stored);
        test = await testSettings(cd, kind, settings.config, settings.credentials);
      } else {
        test = await testConnectionBody(cd, { type: kind, config, credentials });
      }
      renderResult(res, 200, kind, { test });
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid_request') {
        return renderResult(res, 400, kind, { message: 'Some settings are not right; see the marked fields.', details: error.details });
      }
      throw error;
    }
  });

  pages.post('/projects/:pid/connections', async (req, res) => {
    requireEditor(req);
    const body = req.body as Record<string, unknown>;
    const kind = kindOf(body.type);
    const { config, credentials } = settingsFromForm(kind, body);
    try {
      const { connection } = await createConnection(req.em, req.scope!, req.params.pid, { name: body.name, type: kind, config, credentials }, cd);
      await renderListInstead(req, res, req.params.pid, 'connections:saved', { id: connection.id });
    } catch (error) {
      renderRefusal(res, kind, error);
    }
  });

  // Refresh, and the re-test each card asks for when the page loads. Viewers may re-test too.
  pages.post('/projects/:pid/connections/:cid/test', async (req, res) => {
    await connectionIn(req, req.params.pid, req.params.cid);
    const { connection } = await retestConnection(req.em, req.scope!, req.params.cid, cd);
    res.render('partials/connection-card', { layout: false, ...cardView(connection, { canEdit: hasRole(req.scope!, 'editor'), retestOnLoad: false }) });
  });

  pages.get('/projects/:pid/connections/:cid/edit', async (req, res) => {
    if (!isHtmx(req)) return res.redirect(base(req.params.pid));
    requireEditor(req);
    const connection = await connectionIn(req, req.params.pid, req.params.cid);
    res.render('partials/connection-form', {
      layout: false,
      projectId: req.params.pid,
      kind: connection.type,
      label: sourceModule(connection.type).label,
      action: `${base(req.params.pid)}/${connection.id}/edit`,
      editing: true,
      connection: { id: connection.id, name: connection.name },
      hasStoredSecrets: Boolean(connection.secretRef),
      ...fieldViews(connection.type, connection.config),
    });
  });

  pages.post('/projects/:pid/connections/:cid/edit', async (req, res) => {
    requireEditor(req);
    const connection = await connectionIn(req, req.params.pid, req.params.cid);
    const body = req.body as Record<string, unknown>;
    const { config, credentials } = settingsFromForm(connection.type, body);
    try {
      // Empty secret fields send no credentials, and the service keeps the stored ones.
      await updateConnection(req.em, req.scope!, connection.id, { name: body.name, config, credentials: givesSecrets(credentials) ? credentials : undefined }, cd);
      await renderListInstead(req, res, req.params.pid, 'connections:saved', { id: connection.id });
    } catch (error) {
      renderRefusal(res, connection.type, error);
    }
  });

  const renderDelete = async (req: Request, res: Response, connection: IConnection, status = 200, jobs?: string[]) => {
    res.status(status).render('partials/connection-delete', {
      layout: false,
      ...connectionView(connection),
      jobs: jobs ?? (await dependentJobNames(req.em, connection.id)),
    });
  };

  pages.get('/projects/:pid/connections/:cid/delete', async (req, res) => {
    if (!isHtmx(req)) return res.redirect(base(req.params.pid));
    requireEditor(req);
    await renderDelete(req, res, await connectionIn(req, req.params.pid, req.params.cid));
  });

  pages.post('/projects/:pid/connections/:cid/delete', async (req, res) => {
    requireEditor(req);
    const connection = await connectionIn(req, req.params.pid, req.params.cid);
    try {
      await deleteConnection(req.em, req.scope!, connection.id, cd);
    } catch (error) {
      const jobs = (error as AppError).details as { jobs?: string[] } | undefined;
      if (error instanceof AppError && error.code === 'conflict' && jobs?.jobs) return renderDelete(req, res, connection, 409, jobs.jobs);
      throw error;
    }
    await renderListInstead(req, res, req.params.pid, 'connections:deleted');
  });

  return pages;
}
