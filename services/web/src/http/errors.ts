import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, SecretStoreError, SourceError } from '@b2b-recs/shared';

const STATUS: Record<AppError['code'], number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
};

/** A source's failure during discovery: its own fault (404, 400) or a bad gateway (502, 504). */
const SOURCE_STATUS: Partial<Record<SourceError['code'], number>> = { not_found: 404, invalid_config: 400, timeout: 504 };

/** The API's error body: `{"error":{"code","message","details"}}`. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Unknown API routes answer JSON, not an HTML page. */
export const apiNotFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `No route ${req.method} ${req.originalUrl}`));
};

/**
 * Maps every error to a status in one place. API paths get the JSON error body; pages get the
 * error page (or, for htmx requests, a fragment that swaps into the page).
 */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  let status = 500;
  let code = 'internal';
  let message = 'Something went wrong on our side; the error was logged with this request id';
  let details: unknown;
  if (error instanceof AppError) {
    status = STATUS[error.code];
    ({ code, message, details } = error);
  } else if (error instanceof SourceError) {
    status = SOURCE_STATUS[error.code] ?? 502;
    code = error.code;
    message = error.message;
    details = { hint: error.hint };
  } else if (error instanceof SecretStoreError) {
    status = 503;
    code = 'secret_store_unavailable';
    message = `The secret store could not be used: ${error.message}`;
  } else if ((error as { type?: string }).type === 'entity.parse.failed') {
    status = 400;
    code = 'invalid_request';
    message = 'The request body is not valid JSON';
  } else {
    req.log.error({ err: error }, 'request failed');
  }
  if (res.headersSent) return;
  if (req.originalUrl.startsWith('/api/')) {
    res.status(status).json(errorBody(code, message, details));
  } else if (req.get('HX-Request')) {
    res.status(status).render('partials/error', { layout: false, message, status });
  } else {
    res.status(status).render('error', { message, status, requestId: req.id });
  }
};
