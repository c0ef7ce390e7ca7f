/** The loader service: loads staged files into the warehouse and moves watermarks. */
import { pingHandler, runWorkerService } from '@b2b-recs/shared';

await runWorkerService('loader', () => ({
  ping: pingHandler('loader'),
})).catch(() => process.exit(1));
