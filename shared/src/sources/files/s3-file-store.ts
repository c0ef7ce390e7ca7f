import type * as S3Sdk from '@aws-sdk/client-s3';
import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { lazyModule } from '../../runtime/lazy-module.js';
import { Readable } from 'node:stream';
import type { CallOptions } from '../source.js';
import { SourceError, withTimeout } from '../source-error.js';
import { DEFAULT_LIST_LIMIT, folderPrefix } from './file-format.js';
import type { FileStore, StoredObject } from './file-store.js';
import { networkError } from './network-errors.js';

const sdk = lazyModule<typeof S3Sdk>('@aws-sdk/client-s3');

/** Where the files are, in an S3 bucket or an S3-compatible store (MinIO, Ceph, R2, s3rver). */
export interface S3FileStoreConfig {
  bucket: string;
  /** A folder inside the bucket; '' for the whole bucket. */
  prefix: string;
  region: string;
  /** For S3-compatible stores, e.g. `https://minio.example.com:9000`; AWS when absent. */
  endpoint?: string;
  /** Bucket in the path (`host/bucket/key`) rather than the host name; most S3-compatible stores need it. */
  forcePathStyle?: boolean;
}

/** An IAM access key. */
export interface S3FileStoreCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Files in an S3 bucket under a prefix, read by ranges. Errors carry the S3 error code's meaning:
 * a refused key is `auth_failed`, a missing bucket `not_found`, a missing right `permission_denied`.
 */
export class S3FileStore implements FileStore {
  private readonly client: S3Client;
  private readonly base: string;
  private readonly where: string;

  constructor(private readonly config: S3FileStoreConfig, credentials: S3FileStoreCredentials) {
    this.base = folderPrefix(config.prefix);
    this.where = `s3://${config.bucket}/${this.base}${config.endpoint ? ` at ${config.endpoint}` : ''}`;
    this.client = new (sdk().S3Client)({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle ?? false,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
      followRegionRedirects: true,
      maxAttempts: 2,
      // Checksums only where S3 demands them: many S3-compatible stores reject the newer ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async check(options: CallOptions = {}): Promise<void> {
    const page = await withTimeout(this.where, (signal) => this.call(() => this.client.send(new (sdk().ListObjectsV2Command)({ Bucket: this.config.bucket, Prefix: this.base, MaxKeys: 1 }), { abortSignal: signal })), options);
    if (this.base && !page.KeyCount) {
      throw new SourceError('not_found', `There are no files under ${this.where}`, 'Check the prefix (folder) and its case; S3 has no empty folders, so a folder exists only once a file is in it.');
    }
  }

  async list(prefix: string, options: CallOptions & { limit?: number } = {}): Promise<StoredObject[]> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    return withTimeout(`Listing ${this.where}`, async (signal) => {
      const found: StoredObject[] = [];
      let token: string | undefined;
      do {
        const page: ListObjectsV2CommandOutput = await this.call(() => this.client.send(new (sdk().ListObjectsV2Command)({
          Bucket: this.config.bucket,
          Prefix: this.base + prefix.replace(/^\/+/, ''),
          ContinuationToken: token,
          MaxKeys: Math.min(1000, limit - found.length),
        }), { abortSignal: signal }));
        for (const object of page.Contents ?? []) {
          if (!object.Key || found.length >= limit) continue;
          found.push({
            path: object.Key.slice(this.base.length),
            size: object.Size ?? 0,
            modified: object.LastModified?.toISOString(),
            etag: object.ETag?.replace(/"/g, ''),
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && found.length < limit);
      return found;
    }, options);
  }

  async read(path: string, options: CallOptions & { start?: number; end?: number } = {}): Promise<Readable> {
    const ranged = options.start !== undefined || options.end !== undefined;
    return withTimeout(`Reading ${path} in ${this.where}`, async (signal) => {
      try {
        const object = await this.call(() => this.client.send(new (sdk().GetObjectCommand)({
          Bucket: this.config.bucket,
          Key: this.base + path,
          Range: ranged ? `bytes=${options.start ?? 0}-${options.end ?? ''}` : undefined,
        }), { abortSignal: signal }), path);
        return object.Body as Readable;
      } catch (error) {
        // A range starting at or after the end (an empty file) has no bytes, which is not an error.
        if (ranged && error instanceof SourceError && (error.cause as { name?: string } | undefined)?.name === 'InvalidRange') return Readable.from([]);
        throw error;
      }
    }, options);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Runs an SDK call, turning its failure into a SourceError. */
  private async call<T>(work: () => Promise<T>, key?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw s3Error(error, this.where, this.config, key);
    }
  }
}

/** The SourceError for an S3 failure, with the fix a person can make. */
export function s3Error(error: unknown, where: string, config: S3FileStoreConfig, key?: string): SourceError {
  if (error instanceof SourceError) return error;
  const network = networkError(error, config.endpoint ?? `S3 in ${config.region}`);
  if (network) return network;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name}${e.message && e.message !== name ? `: ${e.message}` : ''}`;
  switch (name) {
    case 'InvalidAccessKeyId':
      return new SourceError('auth_failed', `The access key id was refused by ${where} (${name})`, 'Check the access key id: copy it again from the IAM console or your storage provider; it may have been deleted or deactivated.', { cause: error });
    case 'SignatureDoesNotMatch':
      return new SourceError('auth_failed', `The secret access key does not match the access key id for ${where} (${name})`, 'Copy the secret access key again, without spaces; if it is lost, create a new access key.', { cause: error });
    case 'InvalidToken': case 'ExpiredToken': case 'TokenRefreshRequired': case 'InvalidSecurity':
      return new SourceError('auth_failed', `The credentials were refused by ${where} (${detail})`, 'Use a long-lived access key, or renew the session token.', { cause: error });
    case 'NoSuchBucket':
      return new SourceError('not_found', `The bucket ${config.bucket} does not exist${config.endpoint ? ` at ${config.endpoint}` : ''}`, 'Check the bucket name (it is case-sensitive) and the endpoint.', { cause: error });
    case 'NoSuchKey': case 'NotFound':
      return new SourceError('not_found', `${key ?? 'The file'} does not exist in ${where}`, 'Check the path; list the files to see what is there.', { cause: error });
    case 'AccessDenied': case 'AllAccessDisabled': case 'Forbidden': case 'AccountProblem':
      return new SourceError('permission_denied', `The key may not ${key ? `read ${key} in` : 'list'} ${where} (${name})`, `Give the key s3:ListBucket on arn:aws:s3:::${config.bucket} and s3:GetObject on arn:aws:s3:::${config.bucket}/${folderPrefix(config.prefix)}*, and check the bucket policy.`, { cause: error });
    case 'PermanentRedirect': case 'AuthorizationHeaderMalformed': case 'IllegalLocationConstraintException':
      return new SourceError('invalid_config', `The bucket ${config.bucket} is not in region ${config.region} (${detail})`, 'Set the region the bucket was created in (shown in the S3 console).', { cause: error });
    case 'InvalidBucketName':
      return new SourceError('invalid_config', `${config.bucket} is not a valid bucket name`, 'Bucket names are 3 to 63 lowercase letters, digits, dots and hyphens.', { cause: error });
  }
  if (status === 403) return new SourceError('permission_denied', `${where} refused the request (${detail})`, 'Check the key\'s IAM policy and the bucket policy.', { cause: error });
  if (status === 404) return new SourceError('not_found', `${key ?? config.bucket} was not found at ${where} (${detail})`, 'Check the bucket name and the endpoint.', { cause: error });
  if (status === 301 || status === 400) return new SourceError('invalid_config', `${where} rejected the request (${detail})`, 'Check the region, the endpoint and the path-style setting.', { cause: error });
  return new SourceError('unreachable', `${where} failed to answer (${detail})`, 'Try again later; if it persists, check the endpoint and the service status.', { cause: error });
}
