import { SourceError } from '../source-error.js';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/** Node's TLS failures, by code or, when a wrapper kept only the message, by their wording. */
const TLS_CODE = /CERT|TLS|SSL|SELF_SIGNED/;
const TLS_MESSAGE = /self[- ]signed certificate|unable to verify the first certificate|certificate has expired|unable to get (local )?issuer certificate|Hostname\/IP does not match certificate/i;

/**
 * Error codes of each error in a chain (`cause`) and of AggregateError's members. Codes found in
 * messages count too: the AWS SDK wraps a socket error in "AWS SDK error wrapper for Error: connect
 * ECONNREFUSED …" and drops its code.
 */
function codesOf(error: unknown, depth = 0): string[] {
  if (depth > 5 || error === null || typeof error !== 'object') return [];
  const e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const codes = [e.code, e.name].filter((code): code is string => typeof code === 'string');
  if (typeof e.message === 'string') {
    codes.push(...(e.message.match(/\bE[A-Z_]{4,}\b|\bUND_ERR_[A-Z_]+\b/g) ?? []));
    if (TLS_MESSAGE.test(e.message)) codes.push('TLS_CERTIFICATE');
  }
  if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...codesOf(inner, depth + 1));
  return [...codes, ...codesOf(e.cause, depth + 1)];
}

/**
 * The SourceError for a failure to reach a host at all (refused, no such name, reset) or a TLS
 * failure, or undefined when the error is something else. `where` names the host or URL.
 */
export function networkError(error: unknown, where: string): SourceError | undefined {
  const codes = codesOf(error);
  const tls = codes.find((code) => TLS_CODE.test(code));
  if (tls) {
    return new SourceError('tls_error', `The TLS certificate of ${where} was refused (${tls})`, 'Check that the endpoint is the right one and that its certificate is valid for its name; a private endpoint may need its CA trusted by this server.', { cause: error });
  }
  const code = codes.find((c) => UNREACHABLE.has(c));
  if (!code) return undefined;
  const reason = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the name does not resolve' : code === 'ECONNREFUSED' ? 'the connection was refused' : `the connection failed (${code})`;
  const hint = code === 'ENOTFOUND' || code === 'EAI_AGAIN'
    ? 'Check the spelling of the account, bucket or endpoint, and that this server can resolve public names.'
    : 'Check the endpoint (host and port) and that a firewall lets this server reach it.';
  return new SourceError('unreachable', `Could not reach ${where}: ${reason}`, hint, { cause: error });
}
