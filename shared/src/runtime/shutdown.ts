import type { Logger } from 'pino';

/** A step of a graceful shutdown, run in the order registered. */
export type ShutdownStep = { name: string; run: () => Promise<unknown> };

/**
 * Exits cleanly on SIGTERM or SIGINT: runs each step (stop taking work, finish or hand back the
 * current job, close connections) and exits 0, or exits 1 if the steps overrun the deadline.
 * The deadline stays under Kubernetes' default 30 s grace and the platform's 10 s promise.
 */
export function onShutdown(log: Logger, steps: ShutdownStep[], deadlineMs = 9_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown overran its deadline');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    let failed = false;
    for (const step of steps) {
      try {
        await step.run();
      } catch (error) {
        failed = true;
        log.error({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    log.info('stopped');
    process.exit(failed ? 1 : 0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
