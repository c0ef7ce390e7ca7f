/** The scheduler service: fires cron schedules and hands large work to Dataflow and training to Vertex AI. */
import { pingHandler, runWorkerService } from '@b2b-recs/shared';

await runWorkerService('scheduler', () => ({
  ping: pingHandler('scheduler'),
})).catch(() => process.exit(1));
