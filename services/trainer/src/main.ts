/** The trainer service: trains and measures recommendation models. */
import { pingHandler, runWorkerService } from '@b2b-recs/shared';

await runWorkerService('trainer', () => ({
  ping: pingHandler('trainer'),
})).catch(() => process.exit(1));
