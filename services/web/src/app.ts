import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { engine } from 'express-handlebars';
import { pinoHttp } from 'pino-http';
import { runChecks } from '@b2b-recs/shared';
import type { WebDeps } from './context.js';
import { sessionMiddleware } from './auth/session.js';
import { identify } from './auth/authenticate.js';
import { csrfToken } from './auth/csrf.js';
import { apiRouter } from './api/api-router.js';
import { pagesRouter } from './pages/pages-router.js';
import { queueBoard, QUEUE_BOARD_PATH } from './admin/queue-board.js';
import { errorHandler } from './http/errors.js';
import { helpers } from './views.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const htmxDir = path.dirname(createRequire(import.meta.url).resolve('htmx.org'));

/**
 * Our pages' policy: scripts and styles only from this origin, nothing inline, no framing.
 * Requests are upgraded to https only when the platform is served over https.
 */
function strictCsp(publicUrl: string) {
  return {
    useDefaults: true,
    directives: {
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'upgrade-insecure-requests': publicUrl.startsWith('https://') ? [] : null,
    },
  };
}

/** The web application: pages, the JSON API, the queue board, health and metrics. */
export function createApp(deps: WebDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.engine('hbs', engine({ extname: '.hbs', defaultLayout: 'main', helpers }));
  app.set('view engine', 'hbs');
  app.set('views', path.join(root, 'views'));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const result = await runChecks({
      postgres: () => deps.orm.em.getConnection().execute('select 1'),
      redis: () => deps.redis.ping(),
    });
    res.status(result.ok ? 200 : 503).json(result);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url?.startsWith('/static/') ?? false },
    }),
  );
  // Bull Board brings its own inline styles; it gets helmet's defaults, every other page the strict policy.
  const boardHelmet = helmet();
  const strictHelmet = helmet({ contentSecurityPolicy: strictCsp(deps.config.web.publicUrl) });
  app.use((req, res, next) => (req.path.startsWith(QUEUE_BOARD_PATH) ? boardHelmet : strictHelmet)(req, res, next));
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/static/favicon.svg'));
  app.use('/static/htmx', express.static(htmxDir, { maxAge: '1d', immutable: true }));
  app.use('/static', express.static(path.join(root, 'public'), { maxAge: '1h' }));

  app.use((req, _res, next) => {
    req.em = deps.orm.em.fork();
    next();
  });
  app.use(sessionMiddleware(deps));
  app.use(identify);
  // Every page, including the queue board's refusals, can show the account bar and its forms.
  // API calls get no CSRF token: it would create a session per bearer-token request.
  app.use((req, res, next) => {
    if (!req.path.startsWith('/api/')) res.locals.csrf = csrfToken(req);
    res.locals.user = req.session?.user;
    res.locals.isAdmin = req.session?.user?.role === 'admin';
    next();
  });
  app.use('/api/v1', apiRouter(deps));
  app.use(QUEUE_BOARD_PATH, queueBoard(deps));
  app.use(pagesRouter(deps));
  app.use((req, res) => {
    res.status(404).render('error', { status: 404, message: `There is no page at ${req.path}` });
  });
  app.use(errorHandler);
  return app;
}
