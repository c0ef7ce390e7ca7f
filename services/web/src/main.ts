/** The web service: pages, the JSON API, webhooks and the queue board. */
import { loadConfig, onShutdown, createLogger } from '@b2b-recs/shared';
import { startWebService } from './server.js';

const config = loadConfig();
try {
  const service = await startWebService(config);
  onShutdown(service.deps.log, service.steps);
} catch (error) {
  createLogger('web', config.logLevel).fatal((error as Error).message);
  process.exit(1);
}
