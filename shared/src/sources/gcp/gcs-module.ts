import { z } from 'zod';
import { FileSource } from '../files/file-source.js';
import { folderPrefix } from '../files/file-format.js';
import type { SourceModule } from '../source.js';
import { GcsFileStore } from './gcs-file-store.js';
import { gcpCredentialsSchema, tokenUriOf, type GcpCredentials } from './service-account.js';

/** Where the files are in Cloud Storage. None of it is secret. */
export const gcsConfig = z.object({
  /** 3 to 63 lowercase letters, digits, dots, hyphens and underscores (up to 222 with dots). */
  bucket: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'A bucket name is lowercase letters, digits, dots, hyphens and underscores, without gs://'),
  /** A folder inside the bucket. @defaultValue '' (the whole bucket) */
  prefix: z.string().trim().default(''),
});
/** A Cloud Storage connection's settings, as validated. */
export type GcsConfig = z.infer<typeof gcsConfig>;

function describe(config: GcsConfig): string {
  return `gs://${config.bucket}/${folderPrefix(config.prefix)}`;
}

/** Files in a Google Cloud Storage bucket, read with a service account's key. */
export const gcsModule: SourceModule<GcsConfig, GcpCredentials> = {
  kind: 'gcs',
  label: 'Google Cloud Storage',
  group: 'Files',
  config: gcsConfig,
  credentials: gcpCredentialsSchema,
  host: () => 'storage.googleapis.com',
  describe,
  open: (config, credentials, deps) => {
    const apiEndpoint = deps.gcpEndpoints?.storage;
    const store = new GcsFileStore(config, credentials.serviceAccountJson, { apiEndpoint, tokenUrl: apiEndpoint ? tokenUriOf(credentials.serviceAccountJson) : undefined });
    return new FileSource('gcs', store, describe(config));
  },
};
