import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths redacted from every log line: credentials must never reach a log,
 * whatever object a caller happens to pass.
 */
const REDACT = [
  'password', '*.password', 'credentials', '*.credentials', 'secret', '*.secret', 'token', '*.token',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
];

/** A structured JSON logger for one service; children carry request and job ids. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
