import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { RequestHandler } from 'express';
import type { WebDeps } from '../context.js';

/**
 * At most 10 login attempts per 15 minutes for one address and e-mail, counted in Redis so every
 * web replica shares the count. A successful login does not count.
 */
export function loginLimiter(deps: WebDeps): RequestHandler {
  return rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${String((req.body as { email?: unknown })?.email ?? '').toLowerCase()}`,
    store: new RedisStore({
      prefix: `${deps.config.redis.prefix}:login:`,
      sendCommand: (command: string, ...args: string[]) => deps.redis.call(command, ...args) as Promise<RedisReply>,
    }),
    handler: (req, res) => {
      const message = 'Too many sign-in attempts; wait 15 minutes and try again';
      if (req.get('HX-Request') || req.accepts('html')) {
        res.status(429).render('login', { layout: 'bare', error: message, email: (req.body as { email?: string })?.email, next: req.query.next });
      } else res.status(429).json({ error: { code: 'rate_limited', message } });
    },
  });
}
