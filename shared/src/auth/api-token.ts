import { createHash, randomBytes } from 'node:crypto';

/** Tokens look like `recs_<43 base64url chars>`; the prefix lets secret scanners find leaked ones. */
const TOKEN_PREFIX = 'recs_';

/** A new random API token, and what is stored of it. */
export function generateApiToken(): { token: string; hash: string; prefix: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashApiToken(token), prefix: token.slice(0, 12) };
}

/** The stored form of a token: hex SHA-256 (tokens are random, so no salt or slow hash is needed). */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
