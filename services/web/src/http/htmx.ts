import type { Request } from 'express';

/** Whether htmx sent the request, so the answer is a fragment rather than a whole page. */
export function isHtmx(req: Request): boolean {
  return req.get('HX-Request') === 'true';
}
