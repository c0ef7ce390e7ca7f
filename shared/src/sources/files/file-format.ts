import type { FileFormat, FileInfo } from '../source.js';
import type { StoredObject } from './file-store.js';

/** What a file's name says about its content. */
export interface NamedFormat {
  /** Undefined when the name is not one of the formats we read. */
  format?: FileFormat;
  /** The name ends in `.gz` (the content is also sniffed: see `readHead`). */
  gzip: boolean;
  /** A `.tsv` file: CSV whose delimiter is a tab unless a person says otherwise. */
  tsv: boolean;
}

/** How many files a store lists when the caller gives no limit. */
export const DEFAULT_LIST_LIMIT = 10_000;

const BY_EXTENSION: Record<string, FileFormat> = {
  csv: 'csv',
  tsv: 'csv',
  parquet: 'parquet',
  parq: 'parquet',
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
};

/**
 * The format a file's name announces: `orders.csv`, `orders.tsv.gz`, `events.ndjson`,
 * `part-0001.parquet`. A gzipped Parquet file has no format we read: Parquet is read by ranges
 * from its footer, which gzip hides.
 */
export function formatFromName(path: string): NamedFormat {
  let name = (path.split('/').pop() ?? '').toLowerCase();
  const gzip = name.endsWith('.gz');
  if (gzip) name = name.slice(0, -'.gz'.length);
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1) : '';
  const format = BY_EXTENSION[extension];
  if (format === 'parquet' && gzip) return { gzip, tsv: false };
  return { format, gzip, tsv: extension === 'tsv' };
}

/** A listed object as the file source shows it. */
export function toFileInfo(object: StoredObject): FileInfo {
  const { format, gzip } = formatFromName(object.path);
  return { ...object, format, gzip };
}

/** A "folder" placeholder some consoles create (a zero-byte key ending in `/`), not a file. */
export function isFolderMarker(object: StoredObject): boolean {
  return object.path.endsWith('/');
}

/** A store's prefix as a folder: no leading `/`, one trailing `/` (or '' for the whole bucket). */
export function folderPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed ? `${trimmed}/` : '';
}
