import express, { Router, type Request, type Response } from 'express';
import {
  AppError,
  authenticatePassword,
  createProject,
  deleteProject,
  getProject,
  hasRole,
  listProjects,
  projectView,
  updateProject,
  type IProject,
} from '@b2b-recs/shared';
import type { WebDeps } from '../context.js';
import { requirePageLogin } from '../auth/authenticate.js';
import { csrfProtection } from '../auth/csrf.js';
import { loginLimiter } from '../auth/login-limiter.js';
import { isHtmx } from '../http/htmx.js';
import { connectionsPages } from './connections-pages.js';
import { PROJECT_SECTIONS, projectNav } from './project-sections.js';

export { PROJECT_SECTIONS } from './project-sections.js';

/** Only local paths are followed after login, so the login page cannot redirect elsewhere. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/projects';
}

/** The htmx pages: login, the tenant's projects and each project's sections. */
export function pagesRouter(deps: WebDeps): Router {
  const pages = Router();
  pages.use(express.urlencoded({ extended: false, limit: '100kb' }));

  pages.get('/', (req, res) => res.redirect(req.session?.user ? '/projects' : '/login'));

  pages.get('/login', (req, res) => {
    if (req.session?.user) return res.redirect(safeNext(req.query.next));
    res.render('login', { layout: 'bare', title: 'Sign in', next: safeNext(req.query.next) });
  });

  pages.post('/login', loginLimiter(deps), csrfProtection, async (req, res, fail) => {
    const { email = '', password = '', next } = req.body as Record<string, string>;
    const result = await authenticatePassword(req.em, email, password);
    const scope = result?.scopes[0];
    if (!result || !scope) {
      req.log.info({ email: email.toLowerCase() }, 'sign-in refused');
      return res.status(401).render('login', { layout: 'bare', title: 'Sign in', error: 'The e-mail or password is not right', email, next: safeNext(next) });
    }
    // A new session id on sign-in, so a session fixed before it is worthless.
    req.session.regenerate((err) => {
      if (err) return fail(err);
      req.session.user = { userId: result.user.id, email: result.user.email, tenantId: scope.tenantId, tenantName: scope.tenantName, role: scope.role };
      req.session.save(() => res.redirect(safeNext(next)));
    });
  });

  pages.post('/logout', csrfProtection, (req, res) => {
    req.session.destroy(() => {
      res.clearCookie('recs.sid');
      res.redirect('/login');
    });
  });

  pages.use(requirePageLogin, csrfProtection);

  const renderList = async (req: Request, res: Response, extra: Record<string, unknown> = {}) => {
    const projects = (await listProjects(req.em, req.scope!)).map(projectView);
    const canEdit = hasRole(req.scope!, 'editor');
    if (isHtmx(req)) return res.render('partials/project-list', { layout: false, projects, canEdit, ...extra });
    res.render('projects', { title: 'Projects', projects, canEdit, ...extra });
  };

  pages.get('/projects', (req, res) => renderList(req, res));

  pages.post('/projects', async (req, res) => {
    try {
      await createProject(req.em, req.scope!, req.body);
      await renderList(req, res);
    } catch (error) {
      if (!(error instanceof AppError) || error.code === 'not_found') throw error;
      res.status(error.code === 'conflict' ? 409 : 400);
      await renderList(req, res, { createError: error.message, draft: req.body });
    }
  });

  pages.post('/projects/:id/rename', async (req, res) => {
    try {
      await updateProject(req.em, req.scope!, req.params.id, { name: (req.body as { name?: string }).name });
      await renderList(req, res);
    } catch (error) {
      if (!(error instanceof AppError) || error.code === 'not_found') throw error;
      res.status(error.code === 'conflict' ? 409 : 400);
      await renderList(req, res, { renameError: error.message, renameId: req.params.id });
    }
  });

  pages.post('/projects/:id/delete', async (req, res) => {
    await deleteProject(req.em, req.scope!, req.params.id);
    await renderList(req, res);
  });

  pages.get('/projects/:id', (req, res) => res.redirect(`/projects/${req.params.id}/dashboard`));

  // Sections with pages of their own come before the generic section page.
  pages.use(connectionsPages(deps));

  pages.get('/projects/:id/:section', async (req, res) => {
    const section = PROJECT_SECTIONS.find((s) => s.slug === req.params.section);
    if (!section) throw new AppError('not_found', `There is no "${req.params.section}" page in a project`);
    const project: IProject = await getProject(req.em, req.scope!, req.params.id);
    res.render('project-section', {
      title: `${section.title} · ${project.name}`,
      project: projectView(project),
      section,
      nav: projectNav(section.slug),
    });
  });

  return pages;
}
