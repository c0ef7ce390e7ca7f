import type * as StorageSdk from '@google-cloud/storage';
import type { File, Storage, StorageOptions } from '@google-cloud/storage';
import { lazyModule } from '../../runtime/lazy-module.js';
import type { JWT } from 'google-auth-library';
import { PassThrough, Readable } from 'node:stream';
import { DEFAULT_LIST_LIMIT, folderPrefix } from '../files/file-format.js';
import type { FileStore, StoredObject } from '../files/file-store.js';
import type { CallOptions } from '../source.js';
import { DEFAULT_SOURCE_TIMEOUT_MS, SourceError, withTimeout } from '../source-error.js';
import { gcpSourceError } from './gcp-errors.js';
import { GCP_SCOPES, parseServiceAccountKey, serviceAccountAuth, type ServiceAccountKey } from './service-account.js';
import { untilAborted } from './until-aborted.js';

const storageSdk = lazyModule<typeof StorageSdk>('@google-cloud/storage');

/** Where the files are in Cloud Storage. */
export interface GcsFileStoreConfig {
  bucket: string;
  /** A folder inside the bucket; '' for the whole bucket. */
  prefix: string;
}

/** Overrides for contract tests and emulators. */
export interface GcsFileStoreOptions {
  /** E.g. `http://127.0.0.1:4443`; Cloud Storage's public endpoint when absent. */
  apiEndpoint?: string;
  /** Where the service account's token exchange goes; see {@link serviceAccountAuth}. */
  tokenUrl?: string;
}

type RetryOptions = NonNullable<StorageOptions['retryOptions']>;

/** Retries on 5xx and network errors: one, so a person browsing is told soon when the bucket is unreachable. */
const RETRY_OPTIONS: RetryOptions = { autoRetry: true, maxRetries: 1 };
const NO_RETRY: RetryOptions = { autoRetry: false };
/** Reads retry their start by themselves (see `openRead`): twice in all, a second apart. */
const READ_ATTEMPTS = 2;
const RETRY_DELAY_MS = 1_000;
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** The failures the client would have retried: 408, 429, 5xx and broken connections. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return code === 408 || code === 429 || code >= 500;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

/**
 * Files in a Cloud Storage bucket under a prefix, through the JSON API with a service account's
 * key and the read-only scope. Reads are ranged when asked (`Range: bytes=start-end`) and checked
 * against the object's CRC32C when whole.
 */
export class GcsFileStore implements FileStore {
  private readonly key?: ServiceAccountKey;
  private readonly keyError?: SourceError;
  private readonly base: string;
  private readonly where: string;
  private auth?: JWT;

  constructor(
    private readonly config: GcsFileStoreConfig,
    serviceAccountJson: string,
    private readonly options: GcsFileStoreOptions = {},
  ) {
    this.base = folderPrefix(config.prefix);
    this.where = `gs://${config.bucket}/${this.base}`;
    try {
      this.key = parseServiceAccountKey(serviceAccountJson);
    } catch (error) {
      this.keyError = error as SourceError;
    }
  }

  async check(options: CallOptions = {}): Promise<void> {
    const [files] = await withTimeout(this.where, (signal) => untilAborted(this.call(
      (storage) => storage.bucket(this.config.bucket).getFiles({ prefix: this.base, maxResults: 1, autoPaginate: false }),
      options,
    ), signal), options);
    if (this.base && files.length === 0) {
      throw new SourceError('not_found', `There are no files under ${this.where}`, 'Check the prefix (folder) and its case; Cloud Storage has no empty folders unless one was created in the console.');
    }
  }

  async list(prefix: string, options: CallOptions & { limit?: number } = {}): Promise<StoredObject[]> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    return withTimeout(`Listing ${this.where}`, async (signal) => {
      const found: StoredObject[] = [];
      let pageToken: string | undefined;
      do {
        const [files, next] = await untilAborted(this.call((storage) => storage.bucket(this.config.bucket).getFiles({
          prefix: this.base + prefix.replace(/^\/+/, ''),
          maxResults: Math.min(1000, limit - found.length),
          pageToken,
          autoPaginate: false,
        }), options), signal);
        for (const file of files) {
          if (found.length >= limit) break;
          found.push(storedObject(file, this.base));
        }
        pageToken = (next as { pageToken?: string } | null)?.pageToken;
      } while (pageToken && found.length < limit && !signal.aborted);
      return found;
    }, options);
  }

  async read(path: string, options: CallOptions & { start?: number; end?: number } = {}): Promise<Readable> {
    return withTimeout(`Reading ${path} in ${this.where}`, async (signal) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.openRead(path, options, signal);
        } catch (error) {
          if (attempt >= READ_ATTEMPTS || signal.aborted || !isRetryable(error)) throw this.error(error, path);
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        }
      }
    }, options);
  }

  /**
   * Starts a read and hands over its stream once the response shows the object is there. The
   * client's own retries are off for reads: a retried read stream of @google-cloud/storage 8.4
   * throws an uncaught ERR_STREAM_UNABLE_TO_PIPE from teeny-request, which would crash the process;
   * `read` retries the start itself instead.
   */
  private async openRead(path: string, options: CallOptions & { start?: number; end?: number }, signal: AbortSignal): Promise<Readable> {
    const ranged = options.start !== undefined || options.end !== undefined;
    const storage = this.storage(options.timeoutMs, NO_RETRY);
    const source = storage.bucket(this.config.bucket).file(this.base + path).createReadStream({ start: options.start, end: options.end });
    const out = new PassThrough();
    // The client starts the request once its stream is read; piping reads it, and the response
    // (or its error) tells whether the object is there before the stream is handed over.
    const started = new Promise<void>((resolve, reject) => {
      source.once('response', (response: { statusCode?: number }) => {
        if ((response.statusCode ?? 200) < 400) resolve();
      });
      source.once('error', reject);
    });
    const onAbort = () => {
      source.destroy();
      out.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    source.pipe(out);
    try {
      await untilAborted(started, signal);
    } catch (error) {
      source.destroy();
      // A range starting at or after the end (an empty file) has no bytes, which is not an error.
      if (ranged && (error as { code?: unknown }).code === 416) return Readable.from([]);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    source.on('error', (error) => out.destroy(this.error(error, path)));
    out.on('close', () => source.destroy());
    return out;
  }

  async close(): Promise<void> {
    // Nothing is pooled: each call builds its client; the token lives on the auth client.
  }

  private storage(timeoutMs: number | undefined, retryOptions: RetryOptions = RETRY_OPTIONS): Storage {
    if (this.keyError) throw this.keyError;
    this.auth ??= serviceAccountAuth(this.key!, GCP_SCOPES.storageRead, this.options.tokenUrl);
    const settings: StorageOptions = {
      projectId: this.key!.project_id,
      authClient: this.auth,
      retryOptions,
      timeout: timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS,
      ...(this.options.apiEndpoint && { apiEndpoint: this.options.apiEndpoint, useAuthWithCustomEndpoint: true }),
    };
    return new (storageSdk().Storage)(settings);
  }

  /** Runs a client call, turning its failure into a SourceError. */
  private async call<T>(work: (storage: Storage) => Promise<T>, options: CallOptions, path?: string): Promise<T> {
    try {
      return await work(this.storage(options.timeoutMs));
    } catch (error) {
      throw this.error(error, path);
    }
  }

  private error(error: unknown, path?: string): SourceError {
    const status = (error as { code?: unknown } | null)?.code;
    const bucketMissing = status === 404 && /bucket/i.test(String((error as { message?: unknown }).message ?? ''));
    return gcpSourceError(error, {
      service: 'Cloud Storage',
      action: path ? `reading ${path} in ${this.where}` : `listing ${this.where}`,
      resource: path && !bucketMissing ? `${path} in ${this.where}` : `bucket ${this.config.bucket}`,
      role: `Storage Object Viewer (roles/storage.objectViewer) on bucket ${this.config.bucket}`,
      project: this.key?.project_id,
      principal: this.key?.client_email,
      endpoint: this.options.apiEndpoint ?? 'storage.googleapis.com',
    });
  }
}

/** An object as the store lists it: its path under the store's prefix. */
function storedObject(file: File, base: string): StoredObject {
  const metadata = file.metadata;
  return {
    path: file.name.slice(base.length),
    size: Number(metadata.size ?? 0),
    modified: metadata.updated ? new Date(metadata.updated).toISOString() : undefined,
    etag: metadata.etag,
  };
}
