import type { FlowProducer, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config, ConnectionDeps, EntityManager, Logger, Orm, QueueName, Scope, ServiceMetrics } from '@b2b-recs/shared';

/** What the web application is built from; tests build one against their own database and prefix. */
export interface WebDeps {
  config: Config;
  log: Logger;
  orm: Orm;
  /** A producer connection, shared by the session store, rate limiter and queues. */
  redis: Redis;
  queues: Record<QueueName, Queue>;
  flows: FlowProducer;
  webEvents: QueueEvents;
  metrics: ServiceMetrics;
  sessionSecret: string;
  /** The secret store and what sources need, for the connections routes. */
  connections: ConnectionDeps;
}

/** Who signed in through the browser. */
export interface SessionUser {
  userId: string;
  email: string;
  tenantId: string;
  tenantName: string;
  role: Scope['role'];
}

declare module 'express-session' {
  interface SessionData {
    user?: SessionUser;
    csrf?: string;
    flash?: string;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** This request's unit of work. */
      em: EntityManager;
      /** The caller, once authenticated. */
      scope?: Scope;
      /** How the caller authenticated. */
      authVia?: 'session' | 'token';
    }
  }
}
