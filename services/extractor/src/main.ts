/** The extractor service: reads sources and writes staged Parquet parts. */
import { extractRun, isFinalAttempt, openPipeline, pingHandler, runWorkerService } from '@b2b-recs/shared';

await runWorkerService('extractor', async ({ config, orm, onClose }) => {
  const pipeline = await openPipeline(config, orm);
  onClose(() => pipeline.close());
  return {
    ping: pingHandler('extractor'),
    extract: ({ job, payload, log }) => extractRun(pipeline.deps(log), payload.runId, { final: isFinalAttempt(job) }),
  };
}).catch(() => process.exit(1));
