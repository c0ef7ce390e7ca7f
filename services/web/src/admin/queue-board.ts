import { Router } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { AppError, QUEUE_NAMES } from '@b2b-recs/shared';
import type { WebDeps } from '../context.js';
import { requirePageLogin } from '../auth/authenticate.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Bull Board over the five queues, for tenant admins only. Jobs carry ids, never rows or secrets,
 * so the board shows no tenant's data to another.
 */
export function queueBoard(deps: WebDeps): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.queues[name])),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'b2b-recs queues' } },
  });
  const router = Router();
  router.use(requirePageLogin, (req, _res, next) => {
    if (req.scope?.role !== 'admin') return next(new AppError('forbidden', 'The queue board is for tenant admins; ask an admin of your tenant'));
    next();
  });
  router.use(adapter.getRouter());
  return router;
}
