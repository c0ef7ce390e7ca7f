import type { Readable } from 'node:stream';
import type { CallOptions, FileInfo } from '../source.js';

/** An object as a store lists it, before we look at its format. */
export interface StoredObject {
  /** The key or path, relative to the store's root (bucket, container or folder). */
  path: string;
  size: number;
  /** ISO 8601. */
  modified?: string;
  etag?: string;
}

/**
 * A place files live: a local folder, an S3 bucket, an Azure Blob container or a GCS bucket.
 * The file source reads every one of them the same way through this interface.
 */
export interface FileStore {
  /** Checks that the bucket, container or folder exists and that we may list it. */
  check(options?: CallOptions): Promise<void>;
  /** Objects under a prefix (recursively), in key order, at most `limit`. */
  list(prefix: string, options?: CallOptions & { limit?: number }): Promise<StoredObject[]>;
  /** The bytes of an object, or a range of them (`end` inclusive), as a stream. */
  read(path: string, options?: CallOptions & { start?: number; end?: number }): Promise<Readable>;
  close(): Promise<void>;
}

export type { FileInfo };
