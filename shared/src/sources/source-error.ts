/**
 * Why a call to a source failed, in words a person can act on. `failed` statuses come from codes
 * where the source answered and refused; `error` statuses from codes where we could not tell.
 */
export const SOURCE_ERROR_CODES = [
  'auth_failed', 'unreachable', 'timeout', 'not_found', 'permission_denied', 'tls_error', 'invalid_config',
] as const;
export type SourceErrorCode = (typeof SOURCE_ERROR_CODES)[number];

/** An error from a source, with a code, a message that says what and where, and a hint. */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    readonly code: SourceErrorCode,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: SourceErrorCode; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Codes meaning "the source answered and refused" (red), as opposed to "we could not tell" (yellow). */
export function isRefusal(code: SourceErrorCode): boolean {
  return code === 'auth_failed' || code === 'not_found' || code === 'permission_denied' || code === 'invalid_config' || code === 'tls_error';
}

/** The default time limit of one call to a source. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 10_000;

/**
 * Runs a call with a time limit: the signal given to `work` aborts when the limit passes (or when
 * the caller's own signal does), and the call then fails with a `timeout` SourceError.
 */
export async function withTimeout<T>(
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new SourceError('timeout', `${what} did not answer within ${timeoutMs / 1000} s`, 'Check that the host and port are right and that a firewall lets this server reach it; a busy source may need a longer timeout.');
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
