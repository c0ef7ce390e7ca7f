import type { WarehouseType } from '../types/warehouse-types.js';
import type { StagedPart } from '../warehouse/warehouse.js';

/** A selected source column, the warehouse column it becomes, and its type there. */
export interface ExtractColumn {
  source: string;
  destination: string;
  type: WarehouseType;
}

/**
 * The rows a transactional run reads: those whose `column` is at or after `from` (inclusive, so
 * rows sharing the boundary value are read again and de-duplicated by the loader, never lost).
 * Without `from`, everything.
 */
export interface ExtractWindow {
  column: string;
  type: WarehouseType;
  /** ISO 8601 for times and dates, decimal text for numbers. */
  from?: string;
}

/** A row that could not be read or converted, as the run's rejects list shows it. */
export interface RejectedRow {
  file?: string;
  line?: number;
  column?: string;
  /** Shortened to at most 200 characters. */
  value?: string;
  reason: string;
}

/** Progress the extractor reports while it works (at least every 2 seconds). */
export interface ExtractProgress {
  rows: number;
  bytes: number;
}

/** What identifies a version of a file: a changed size, ETag or modification time is a new version. */
export interface FileFingerprint {
  path: string;
  size: number;
  etag?: string;
  modified?: string;
}

/** Whether two fingerprints name the same version of the same file. */
export function sameFileVersion(a: FileFingerprint, b: FileFingerprint): boolean {
  return a.path === b.path && a.size === b.size && (a.etag ?? '') === (b.etag ?? '') && (a.modified ?? '') === (b.modified ?? '');
}

export interface ExtractRequest {
  runId: string;
  columns: ExtractColumn[];
  window?: ExtractWindow;
  /** A local folder for this run's parts (`part-00000.parquet`, ...), created if missing. */
  stagingDir: string;
  /** Target rows per part. @defaultValue 1 000 000 */
  partRows?: number;
  /** Written into every row's `_extracted_at`. */
  extractedAt: Date;
  /** Beyond this many rejected rows the extraction stops with TooManyBadRowsError. @defaultValue 0 */
  maxBadRows?: number;
  signal?: AbortSignal;
  onProgress?(progress: ExtractProgress): void;
  /** File sources skip these versions of files (a transactional file job's loaded files). */
  alreadyLoaded?: readonly FileFingerprint[];
}

export interface ExtractResult {
  parts: StagedPart[];
  rows: number;
  bytes: number;
  /** The first rejected rows (at most 1,000), and how many there were in all. */
  rejected: RejectedRow[];
  rejectedCount: number;
  /** The largest value of the window column among the rows read (the next watermark), as in ExtractWindow.from. */
  maxWindowValue?: string;
  /** File sources: the files read, to be recorded as loaded when the load commits. */
  files?: FileFingerprint[];
}

/** More rows were rejected than the job allows; nothing is loaded. */
export class TooManyBadRowsError extends Error {
  override name = 'TooManyBadRowsError';
  constructor(
    readonly rejectedCount: number,
    readonly maxBadRows: number,
    readonly rejected: RejectedRow[],
  ) {
    super(`${rejectedCount} rows were rejected, more than the job allows (${maxBadRows}); nothing was loaded. The first: ${rejected[0]?.reason ?? '?'}`);
  }
}
