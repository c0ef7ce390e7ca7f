/** The extractor service: reads sources and writes staged files. */
import { pingHandler, runWorkerService } from '@b2b-recs/shared';

await runWorkerService('extractor', () => ({
  ping: pingHandler('extractor'),
})).catch(() => process.exit(1));
