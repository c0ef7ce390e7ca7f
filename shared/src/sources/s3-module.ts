import { z } from 'zod';
import { FileSource } from './files/file-source.js';
import { folderPrefix } from './files/file-format.js';
import { S3FileStore } from './files/s3-file-store.js';
import type { SourceModule } from './source.js';

/** Where the files are in S3 or an S3-compatible store. None of it is secret. */
export const s3Config = z.object({
  bucket: z.string().trim().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}$/, 'A bucket name is letters, digits, dots, hyphens and underscores'),
  /** A folder inside the bucket. @defaultValue '' (the whole bucket) */
  prefix: z.string().trim().default(''),
  /** @defaultValue 'us-east-1' */
  region: z.string().trim().min(1).default('us-east-1'),
  /** For S3-compatible stores (MinIO, Ceph, R2…): their URL, e.g. https://minio.example.com:9000. */
  endpoint: z.url({ protocol: /^https?$/, error: 'The endpoint is an http(s) URL' }).optional(),
  /** Bucket in the path instead of the host name; most S3-compatible stores need it. @defaultValue false */
  forcePathStyle: z.boolean().default(false),
});
/** An S3 connection's settings, parsed. */
export type S3Config = z.infer<typeof s3Config>;

/** An IAM access key (kept only in the secret store). */
export const s3Credentials = z.object({
  accessKeyId: z.string().trim().min(1, 'The access key id is required'),
  secretAccessKey: z.string().min(1, 'The secret access key is required'),
  sessionToken: z.string().min(1).optional(),
});
/** An S3 connection's secrets, parsed. */
export type S3Credentials = z.infer<typeof s3Credentials>;

/** The host a connection calls: the endpoint's, or AWS's for the region (with the bucket in it unless path-style). */
export function s3Host(config: S3Config): string {
  if (config.endpoint) return new URL(config.endpoint).hostname;
  return config.forcePathStyle ? `s3.${config.region}.amazonaws.com` : `${config.bucket}.s3.${config.region}.amazonaws.com`;
}

function s3Describe(config: S3Config): string {
  return `s3://${config.bucket}/${folderPrefix(config.prefix)}${config.endpoint ? ` at ${new URL(config.endpoint).host}` : ` (${config.region})`}`;
}

/** Files in an Amazon S3 bucket or an S3-compatible store. */
export const s3Module: SourceModule<S3Config, S3Credentials> = {
  kind: 's3',
  label: 'Amazon S3',
  group: 'Files',
  config: s3Config,
  credentials: s3Credentials,
  host: s3Host,
  describe: s3Describe,
  open: (config, credentials) => new FileSource('s3', new S3FileStore(config, credentials), s3Describe(config)),
};
