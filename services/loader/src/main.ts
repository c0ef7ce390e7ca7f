/** The loader service: commits staged parts into the warehouse and moves watermarks. */
import { isFinalAttempt, loadRun, openPipeline, pingHandler, runWorkerService } from '@b2b-recs/shared';

await runWorkerService('loader', async ({ config, orm, onClose }) => {
  const pipeline = await openPipeline(config, orm);
  onClose(() => pipeline.close());
  return {
    ping: pingHandler('loader'),
    load: ({ job, payload, log }) => loadRun(pipeline.deps(log), payload.runId, { final: isFinalAttempt(job) }),
  };
}).catch(() => process.exit(1));
