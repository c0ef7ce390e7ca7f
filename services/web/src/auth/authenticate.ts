import type { RequestHandler } from 'express';
import { AppError, authenticateToken, hasRole, type Role } from '@b2b-recs/shared';

/**
 * Finds the caller: a bearer token, else the browser session. Sets `req.scope`; does not refuse.
 * A bearer token that is unknown is refused at once rather than falling back to the session.
 */
export const identify: RequestHandler = async (req, _res, next) => {
  const header = req.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const scope = match ? await authenticateToken(req.em, match[1]!) : null;
    if (!scope) return next(new AppError('unauthorized', 'The bearer token is unknown, expired or malformed'));
    req.scope = scope;
    req.authVia = 'token';
  } else if (req.session?.user) {
    const { tenantId, userId, role } = req.session.user;
    req.scope = { tenantId, userId, role };
    req.authVia = 'session';
  }
  next();
};

/** API guard: 401 without a caller, 403 below the role. */
export function requireApiRole(role: Role = 'viewer'): RequestHandler {
  return (req, _res, next) => {
    if (!req.scope) return next(new AppError('unauthorized', 'Sign in, or send Authorization: Bearer <token>'));
    if (!hasRole(req.scope, role)) return next(new AppError('forbidden', `This needs the ${role} role; you are ${req.scope.role}`));
    next();
  };
}

/** Page guard: sends a person without a session to the login page, and back afterwards. */
export const requirePageLogin: RequestHandler = (req, res, next) => {
  if (req.scope && req.authVia === 'session') return next();
  const to = encodeURIComponent(req.originalUrl);
  if (req.get('HX-Request')) {
    res.set('HX-Redirect', `/login?next=${to}`).status(401).end();
    return;
  }
  res.redirect(`/login?next=${to}`);
};
