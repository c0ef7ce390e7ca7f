import type { Server } from 'node:http';
import {
  QUEUE_NAMES,
  QUEUES,
  checkPostgres,
  checkRedis,
  closeWorker,
  createFlowProducer,
  createLogger,
  createMetrics,
  createOrm,
  createQueue,
  createQueueEvents,
  createRedis,
  createWorker,
  loadOrCreateKeyFile,
  openSecretStore,
  type Config,
  type QueueName,
  type ShutdownStep,
} from '@b2b-recs/shared';
import type { Queue, Worker } from 'bullmq';
import { createApp } from './app.js';
import type { WebDeps } from './context.js';
import { pingParentHandler } from './ping.js';

/** A running web service: the HTTP server, the web queue's worker and how to stop both. */
export interface WebService {
  deps: WebDeps;
  server: Server;
  worker: Worker;
  url: string;
  /** Graceful shutdown, in order; also what SIGTERM runs. */
  steps: ShutdownStep[];
  stop(): Promise<void>;
}

/**
 * Starts the web service on `config.web.port` (0 picks a free port, for tests): checks its
 * dependencies, builds the app and runs the worker of the web queue.
 */
export async function startWebService(config: Config): Promise<WebService> {
  const log = createLogger('web', config.logLevel);
  await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redis.url)]);
  const orm = createOrm(config.databaseUrl);
  const redis = createRedis(config.redis.url, 'worker');
  const queues = Object.fromEntries(QUEUE_NAMES.map((name) => [name, createQueue(name, config.redis, redis)])) as Record<QueueName, Queue>;
  const metrics = createMetrics('web');
  metrics.watchQueues(Object.values(queues));
  const sessionSecret = config.web.sessionSecret ?? (await loadOrCreateKeyFile(config.dataDir, 'session.key')).toString('base64');
  const deps: WebDeps = {
    config,
    log,
    orm,
    redis,
    queues,
    flows: createFlowProducer(config.redis, redis),
    webEvents: createQueueEvents(QUEUES.web, config.redis),
    metrics,
    sessionSecret,
    connections: {
      secrets: await openSecretStore(config),
      sourceDeps: { localFilesRoot: config.sources.localFilesRoot },
      allowLinkLocal: config.sources.allowLinkLocal,
      timeoutMs: config.sources.timeoutMs,
    },
  };
  const worker = createWorker(QUEUES.web, { ping: pingParentHandler }, { conn: config.redis, log, hooks: metrics.hooks });
  worker.on('error', (err) => log.error({ err }, 'worker error'));
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.web.port, '0.0.0.0', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.web.port;
  const url = `http://127.0.0.1:${port}`;
  log.info({ port, url: config.web.publicUrl }, 'web ready');

  const steps: ShutdownStep[] = [
    {
      name: 'http',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 3_000).unref();
        }),
    },
    { name: 'worker', run: () => closeWorker(worker, log) },
    { name: 'queues', run: () => Promise.all([...Object.values(queues).map((q) => q.close()), deps.flows.close(), deps.webEvents.close()]) },
    { name: 'redis', run: async () => void redis.disconnect() },
    { name: 'database', run: () => orm.close() },
  ];
  return {
    deps,
    server,
    worker,
    url,
    steps,
    async stop() {
      for (const step of steps) await step.run();
    },
  };
}
