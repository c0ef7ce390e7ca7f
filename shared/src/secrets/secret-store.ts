/**
 * Where credentials go. Secrets are write-only from the outside: the platform reads them only to
 * open a source, and no API response, page, log line or error message ever contains one.
 */
export interface SecretStore {
  /** Stores a secret under a new version; returns the reference to keep (never the value). */
  put(name: string, value: Record<string, unknown>): Promise<string>;
  /** Reads the latest version of a secret; throws SecretStoreError `not_found` when it is gone. */
  get(ref: string): Promise<Record<string, unknown>>;
  /** Deletes a secret and all its versions; deleting one that is gone is not an error. */
  delete(ref: string): Promise<void>;
}

/** A failure of the secret store itself (as opposed to a source's). */
export class SecretStoreError extends Error {
  override name = 'SecretStoreError';
  constructor(
    readonly code: 'not_found' | 'unavailable' | 'corrupt' | 'permission_denied',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The secret's name for a connection: stable, and free of anything a person typed, so it can be
 * used as a Secret Manager id (letters, digits, `-` and `_`, at most 255 characters).
 */
export function connectionSecretName(tenantId: string, connectionId: string): string {
  return `recs-conn-${tenantId}-${connectionId}`;
}
