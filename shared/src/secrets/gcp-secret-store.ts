import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { SecretStoreError, type SecretStore } from './secret-store.js';

type ClientOptions = NonNullable<ConstructorParameters<typeof SecretManagerServiceClient>[0]>;

/** The calls the store makes, so that unit tests can pass a small fake. */
export type SecretManagerCalls = Pick<SecretManagerServiceClient, 'createSecret' | 'addSecretVersion' | 'accessSecretVersion' | 'deleteSecret' | 'close'>;

/** Settings of the Secret Manager store. */
export interface GcpSecretStoreOptions {
  /** The project that holds the secrets (GCP_PROJECT). */
  projectId: string;
  /** Labels put on every secret the store creates. @defaultValue `{ app: 'b2b-recs' }` */
  labels?: Record<string, string>;
  /** The time limit of one call, retries included. @defaultValue 10 000 */
  timeoutMs?: number;
  /**
   * Client settings. In production none are needed: the client uses the platform's own identity
   * (workload identity or GOOGLE_APPLICATION_CREDENTIALS). Contract tests point it at a local server
   * (`apiEndpoint`, `port`, `protocol: 'http'`, `authClient`).
   */
  clientOptions?: ClientOptions;
  /** A client to use instead of building one (unit tests). */
  client?: SecretManagerCalls;
}

/** Secret Manager's ids: letters, digits, `-` and `_`, up to 255; names `projects/P/secrets/S` (or regional). */
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const SECRET_NAME = /^projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/[A-Za-z0-9_-]{1,255}$/;

/** The largest payload Secret Manager stores: 64 KiB. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** gRPC status codes the GAPIC client puts in `code`. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const PERMISSION_DENIED = 7;
const FAILED_PRECONDITION = 9;
const UNAUTHENTICATED = 16;

/**
 * Secrets in Google Secret Manager, one secret per connection with automatic replication; every
 * `put` adds a version, and `get` reads `latest`. The reference kept by the platform is the
 * secret's resource name (`projects/P/secrets/S`), never a version, so a rotation needs no update.
 *
 * The client talks REST (`fallback: 'rest'`): the transport the contract tests check, and no gRPC
 * channel held open by the web process. Error messages name the secret and the status only: a
 * payload never reaches a message, a log line or an error's cause.
 */
export class GcpSecretStore implements SecretStore {
  private readonly client: SecretManagerCalls;
  private readonly projectId: string;
  private readonly labels: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: GcpSecretStoreOptions) {
    this.projectId = options.projectId;
    this.labels = options.labels ?? { app: 'b2b-recs' };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.client = options.client ?? new SecretManagerServiceClient({ fallback: 'rest', ...options.clientOptions });
  }

  async put(name: string, value: Record<string, unknown>): Promise<string> {
    if (!SECRET_ID.test(name)) throw new RangeError(`"${name.slice(0, 80)}" is not a Secret Manager secret id: up to 255 letters, digits, - and _`);
    const data = Buffer.from(JSON.stringify(value), 'utf8');
    if (data.length > MAX_SECRET_BYTES) throw new RangeError(`The secret ${name} is ${data.length} bytes; Secret Manager holds at most ${MAX_SECRET_BYTES}`);
    const secret = `projects/${this.projectId}/secrets/${name}`;
    // Most puts update an existing secret: try the version first and create the secret only when it is missing.
    try {
      await this.addVersion(secret, data);
      return secret;
    } catch (error) {
      if (codeOf(error) !== NOT_FOUND) throw storeError(error, `adding a version to ${secret}`);
    }
    try {
      await this.client.createSecret(
        { parent: `projects/${this.projectId}`, secretId: name, secret: { replication: { automatic: {} }, labels: this.labels } },
        this.callOptions(),
      );
    } catch (error) {
      // Another put created it in between: the version below is all that is left to do.
      if (codeOf(error) !== ALREADY_EXISTS) throw storeError(error, `creating ${secret}`);
    }
    try {
      await this.addVersion(secret, data);
    } catch (error) {
      throw storeError(error, `adding a version to ${secret}`);
    }
    return secret;
  }

  async get(ref: string): Promise<Record<string, unknown>> {
    const secret = checkRef(ref);
    let payload: Uint8Array | string | null | undefined;
    try {
      const [version] = await this.client.accessSecretVersion({ name: `${secret}/versions/latest` }, this.callOptions());
      payload = version.payload?.data;
    } catch (error) {
      throw storeError(error, `reading ${secret}`);
    }
    if (payload === null || payload === undefined) throw new SecretStoreError('corrupt', `The latest version of ${secret} has no payload`);
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      // No cause: the parser's message quotes the text, which is the secret.
      throw new SecretStoreError('corrupt', `The latest version of ${secret} is not JSON`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SecretStoreError('corrupt', `The latest version of ${secret} is not a JSON object`);
    return value as Record<string, unknown>;
  }

  async delete(ref: string): Promise<void> {
    const secret = checkRef(ref);
    try {
      await this.client.deleteSecret({ name: secret }, this.callOptions());
    } catch (error) {
      if (codeOf(error) === NOT_FOUND) return;
      throw storeError(error, `deleting ${secret}`);
    }
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    await this.client.close();
  }

  private async addVersion(secret: string, data: Buffer): Promise<void> {
    await this.client.addSecretVersion({ parent: secret, payload: { data } }, this.callOptions());
  }

  /** A time limit per call, and two retries at most (of UNAVAILABLE and friends) within it. */
  private callOptions() {
    return { timeout: this.timeoutMs, maxRetries: 2 };
  }
}

function checkRef(ref: string): string {
  if (!SECRET_NAME.test(ref)) throw new SecretStoreError('not_found', `"${ref.slice(0, 120)}" is not a Secret Manager secret name (projects/P/secrets/S)`);
  return ref;
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The SecretStoreError for a failed call. The message carries the status and the server's first
 * line (which names resources, never payloads); the original error is not kept as the cause,
 * because a client error may carry the request it failed on.
 */
function storeError(error: unknown, doing: string): SecretStoreError {
  const code = codeOf(error);
  const message = (error as { message?: unknown } | null)?.message;
  const detail = (typeof message === 'string' && message.trim() ? message : 'unknown error').split('\n')[0]!.slice(0, 300);
  if (code === NOT_FOUND) return new SecretStoreError('not_found', `Secret Manager: not found while ${doing} (${detail})`);
  if (code === FAILED_PRECONDITION) return new SecretStoreError('not_found', `Secret Manager: the secret or its latest version is disabled, destroyed or being deleted, while ${doing} (${detail})`);
  if (code === PERMISSION_DENIED || code === UNAUTHENTICATED) {
    return new SecretStoreError('permission_denied', `Secret Manager refused ${doing} (${detail}); the platform's service account needs Secret Manager Admin (roles/secretmanager.admin) on the project, or Secret Accessor to read`);
  }
  return new SecretStoreError('unavailable', `Secret Manager could not be reached or failed while ${doing} (${detail})`);
}
