import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from '@b2b-recs/shared';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session's CSRF token, created on first use. */
export function csrfToken(req: Request): string {
  if (!req.session) return '';
  req.session.csrf ??= randomBytes(24).toString('base64url');
  return req.session.csrf;
}

/**
 * Synchronizer-token CSRF protection for cookie sessions. Forms send the token in `_csrf`; htmx
 * sends it in the `X-CSRF-Token` header (set once on <body> with `hx-headers:inherited`).
 * Requests with a bearer token carry no cookie credentials and need none.
 */
export const csrfProtection: RequestHandler = (req, _res, next) => {
  if (SAFE.has(req.method) || req.authVia === 'token' || req.get('authorization')?.startsWith('Bearer ')) return next();
  const expected = req.session?.csrf;
  const given = req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
  if (!expected || typeof given !== 'string' || given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
    return next(new AppError('forbidden', 'The form has expired or did not come from this site; reload the page and try again'));
  }
  next();
};
