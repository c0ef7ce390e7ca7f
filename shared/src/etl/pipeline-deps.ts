import type { Job } from 'bullmq';
import type { Config } from '../config/config.js';
import { createQueue } from '../jobs/factory.js';
import { QUEUES } from '../jobs/catalogue.js';
import type { Logger } from '../log/logger.js';
import type { Orm } from '../db/orm.js';
import { openSecretStore } from '../secrets/open-secret-store.js';
import { openWarehouse } from '../warehouse/open-warehouse.js';
import type { PipelineDeps } from './pipeline.js';

/** What the extractor and loader services build once at start, for every run they handle. */
export interface PipelineContext {
  deps: (log: Logger) => PipelineDeps;
  secrets: PipelineDeps['secrets'];
  queues: PipelineDeps['queues'];
  close(): Promise<void>;
}

/** Opens the secret store, the warehouse and the producer queues a pipeline step needs. */
export async function openPipeline(config: Config, orm: Orm): Promise<PipelineContext> {
  const secrets = await openSecretStore(config);
  const warehouse = await openWarehouse(config);
  const queues = { extractor: createQueue(QUEUES.extractor, config.redis), loader: createQueue(QUEUES.loader, config.redis) };
  return {
    secrets,
    queues,
    deps: (log) => ({
      em: orm.em.fork(),
      log,
      secrets,
      sourceDeps: { localFilesRoot: config.sources.localFilesRoot },
      warehouse,
      queues,
      stagingDir: config.stagingUrl,
    }),
    async close() {
      await Promise.all([queues.extractor.close(), queues.loader.close(), warehouse.close()]);
    },
  };
}

/** Whether this is the job's last attempt: then a failure is recorded on the run instead of retried. */
export function isFinalAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
