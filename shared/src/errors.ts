/**
 * Errors that reach a person. Each carries a stable code, a message that says what and where,
 * and optional details; the web service maps them to HTTP statuses in one place.
 */
export class AppError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'forbidden' | 'invalid_request' | 'unauthorized' | 'unprocessable',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The resource does not exist for this caller (another tenant's resource answers this too). */
export const notFound = (what: string, id: string): AppError => new AppError('not_found', `${what} ${id} was not found`);
/** The request clashes with what exists, e.g. a name already taken. */
export const conflict = (message: string, details?: unknown): AppError => new AppError('conflict', message, details);
/** The caller is known but may not do this. */
export const forbidden = (message: string): AppError => new AppError('forbidden', message);
/** The request itself is malformed. */
export const invalid = (message: string, details?: unknown): AppError => new AppError('invalid_request', message, details);
/** The request is well formed but cannot be carried out, e.g. a connection whose test fails. */
export const unprocessable = (message: string, details?: unknown): AppError => new AppError('unprocessable', message, details);
