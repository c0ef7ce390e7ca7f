import session from 'express-session';
import RedisStore from 'connect-redis';
import type { RequestHandler } from 'express';
import type { WebDeps } from '../context.js';

/** Browser sessions, kept in Redis so any web replica serves any request. */
export function sessionMiddleware(deps: WebDeps): RequestHandler {
  const secure = deps.config.web.publicUrl.startsWith('https://');
  return session({
    name: 'recs.sid',
    store: new RedisStore({ client: deps.redis, prefix: `${deps.config.redis.prefix}:sess:` }),
    secret: deps.sessionSecret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: secure,
    cookie: { httpOnly: true, sameSite: 'lax', secure, maxAge: 12 * 3600 * 1000 },
  });
}
