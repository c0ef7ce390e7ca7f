import { networkError } from '../files/network-errors.js';
import { SourceError, type SourceErrorCode } from '../source-error.js';

/** What a failed call was doing, so that its error can say what, to what, and what to do. */
export interface GcpErrorContext {
  /** The product: `BigQuery`, `Firestore`, `Cloud Storage`. */
  service: string;
  /** The call, as a phrase: `listing the datasets of project shop-data`. */
  action: string;
  /** What a 404 means was missing: `dataset sales in project shop-data`. */
  resource: string;
  /** The service account's email, named in permission hints. */
  principal?: string;
  /** The role a 403 asks for: `BigQuery Data Viewer (roles/bigquery.dataViewer) on dataset sales`. */
  role: string;
  /** The project whose API must be enabled. */
  project?: string;
  /** The host or URL called, for network errors. */
  endpoint: string;
}

/** gRPC status codes, which the GAPIC clients (Firestore, Secret Manager) put in `code`. */
export const GRPC = {
  CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

const NETWORK_IN_TEXT = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|ETIMEDOUT|EPIPE|ECONNABORTED)\b/;

interface GoogleLikeError {
  code?: unknown;
  message?: unknown;
  reason?: unknown;
  errors?: { reason?: unknown; message?: unknown }[];
  response?: { status?: unknown; data?: unknown; config?: { url?: unknown } };
  statusDetails?: unknown;
}

/** The HTTP status of a REST client's error (`ApiError.code`) or of a token endpoint's answer. */
function httpStatusOf(e: GoogleLikeError): number | undefined {
  if (typeof e.code === 'number' && e.code >= 100) return e.code;
  if (typeof e.response?.status === 'number') return e.response.status;
  return undefined;
}

/** The gRPC status of a GAPIC client's error. */
function grpcStatusOf(e: GoogleLikeError): number | undefined {
  return typeof e.code === 'number' && e.code >= 0 && e.code <= 16 ? e.code : undefined;
}

/** The `reason` of a Google error (`accessNotConfigured`, `SERVICE_DISABLED`, `rateLimitExceeded`). */
function reasonsOf(e: GoogleLikeError): string[] {
  const reasons: string[] = [];
  if (typeof e.reason === 'string') reasons.push(e.reason);
  for (const inner of Array.isArray(e.errors) ? e.errors : []) if (typeof inner?.reason === 'string') reasons.push(inner.reason);
  return reasons;
}

/** The server's own words, first line only and bounded, for the message. */
function detailOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string' || !message.trim()) return '';
  const line = message.split('\n')[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Turns a failure of a Google Cloud client into a SourceError: the code from the HTTP status (REST
 * clients) or the gRPC status (GAPIC clients), the message from the context and the server's own
 * words, the hint from what a person can change. Network failures are recognised in the error chain
 * and, for GAPIC clients that give up after retries, in the message text.
 */
export function gcpSourceError(error: unknown, context: GcpErrorContext): SourceError {
  if (error instanceof SourceError) return error;
  const network = networkError(error, context.endpoint);
  if (network) return network;

  const e = (error ?? {}) as GoogleLikeError;
  const detail = detailOf(error);
  const said = detail ? `: ${detail}` : '';
  const cause = safeCause(error);
  const make = (code: SourceErrorCode, message: string, hint: string) => new SourceError(code, message, hint, { cause });

  // The token endpoint answers OAuth errors ({"error": "invalid_grant", ...}), not Google API errors.
  const oauth = (e.response?.data as { error?: unknown } | undefined)?.error;
  if (typeof oauth === 'string' && /token/.test(String(e.response?.config?.url ?? ''))) {
    return make('auth_failed', `Google refused the service-account key${context.principal ? ` of ${context.principal}` : ''}${detail.startsWith(oauth) ? said : ` (${oauth})${said}`}`,
      'The key may have been deleted or disabled, or this server\'s clock is off: create a new JSON key for the service account and paste it again.');
  }

  const http = httpStatusOf(e);
  const grpc = http === undefined ? grpcStatusOf(e) : undefined;
  const reasons = reasonsOf(e);
  const refused = http === 403 || grpc === GRPC.PERMISSION_DENIED;
  const apiDisabled = reasons.some((r) => r === 'accessNotConfigured' || r === 'SERVICE_DISABLED') || (refused && /has not been used in project|API has not been enabled|is disabled\b/i.test(detail));
  const quota = reasons.some((r) => /rateLimitExceeded|quotaExceeded|RATE_LIMIT_EXCEEDED|RESOURCE_EXHAUSTED/.test(r)) || http === 429 || grpc === GRPC.RESOURCE_EXHAUSTED;
  const who = context.principal ?? 'the service account';

  if (apiDisabled) {
    return make('permission_denied', `The ${context.service} API is not enabled${context.project ? ` in project ${context.project}` : ''}, so ${context.action} failed${said}`,
      `Enable the ${context.service} API${context.project ? ` in project ${context.project}` : ''} (APIs & Services → Library), wait a minute, then try again.`);
  }
  if (quota) {
    return make('unreachable', `${context.service} refused ${context.action} for quota or rate limits${said}`, 'Wait a minute and try again; if it persists, check the project\'s quotas in the console.');
  }
  if (http === 401 || grpc === GRPC.UNAUTHENTICATED) {
    return make('auth_failed', `${context.service} did not accept the credentials of ${who} while ${context.action}${said}`,
      'Check that the service-account key is current (not deleted or disabled under IAM & Admin → Service Accounts → Keys) and paste the whole JSON file again.');
  }
  if (refused) {
    return make('permission_denied', `${context.service} refused ${context.action} to ${who}${said}`, `Grant ${who} ${context.role}, then try again.`);
  }
  if (http === 404 || grpc === GRPC.NOT_FOUND) {
    return make('not_found', `${context.service} could not find ${context.resource}${said}`, `Check the spelling and case of ${context.resource}, and that ${who} can see it.`);
  }
  if (http === 400 || grpc === GRPC.INVALID_ARGUMENT || grpc === GRPC.FAILED_PRECONDITION || grpc === GRPC.OUT_OF_RANGE) {
    return make('invalid_config', `${context.service} rejected ${context.action}${said}`, 'Check the connection\'s settings (project, dataset, database, bucket names and location) against the console.');
  }
  const text = typeof e.message === 'string' ? e.message : '';
  if (http === 408 || http === 504 || grpc === GRPC.DEADLINE_EXCEEDED || grpc === GRPC.CANCELLED) {
    if (NETWORK_IN_TEXT.test(text)) return unreachableInText(cause, text, context);
    return make('timeout', `${context.service} did not finish ${context.action} in time${said}`, 'Try again; a large dataset or collection may need a longer timeout.');
  }
  if (NETWORK_IN_TEXT.test(text)) return unreachableInText(cause, text, context);
  return make('unreachable', `${context.service} failed while ${context.action}${said}`, 'Try again later; if it persists, check the Google Cloud status page and the endpoint.');
}

/**
 * The client's error without what it carries of the request: REST clients attach the response and
 * its request (with the Authorization header), the token exchange its signed assertion. A logger
 * that serialises a SourceError's cause must find neither.
 */
function safeCause(error: unknown): Error {
  const e = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown; errors?: unknown };
  const cause = new Error(typeof e.message === 'string' ? e.message : String(error));
  if (typeof e.name === 'string') cause.name = e.name;
  if (typeof e.stack === 'string') cause.stack = e.stack;
  if (typeof e.code === 'string' || typeof e.code === 'number') Object.assign(cause, { code: e.code });
  if (Array.isArray(e.errors)) Object.assign(cause, { errors: e.errors.map((inner: { reason?: unknown; message?: unknown }) => ({ reason: inner?.reason, message: inner?.message })) });
  return cause;
}

/** A network failure that a GAPIC client only reports in words, after giving up its retries. */
function unreachableInText(cause: Error, text: string, context: GcpErrorContext): SourceError {
  const code = NETWORK_IN_TEXT.exec(text)![1]!;
  const reason = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the name does not resolve' : code === 'ECONNREFUSED' ? 'the connection was refused' : `the connection failed (${code})`;
  return new SourceError('unreachable', `Could not reach ${context.service} at ${context.endpoint} while ${context.action}: ${reason}`,
    'Check that this server can reach Google APIs (outbound HTTPS to *.googleapis.com, or the configured endpoint) and that no firewall or proxy blocks it.', { cause });
}
