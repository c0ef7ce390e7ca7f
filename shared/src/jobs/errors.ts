import { UnrecoverableError } from 'bullmq';

/**
 * An error that retrying cannot fix: bad credentials, a missing table, a payload that does not parse.
 * BullMQ fails the job at once instead of backing off and trying again.
 */
export class PermanentError extends UnrecoverableError {
  constructor(
    message: string,
    /** A machine-readable cause, e.g. `invalid_payload`, `auth_failed`. */
    readonly code: string = 'permanent',
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** The one place that decides whether an error is worth a retry. */
export function isPermanent(error: unknown): boolean {
  return error instanceof UnrecoverableError;
}
