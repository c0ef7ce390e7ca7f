import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { WarehouseType } from '../types/warehouse-types.js';
import { DUCKDB_TYPES } from '../warehouse/physical-types.js';
import type { StagedPart } from '../warehouse/warehouse.js';
import { TooManyBadRowsError, type ExtractRequest, type ExtractResult, type RejectedRow } from './extract.js';
import { sqlIdent, sqlString } from './duckdb-sql.js';
import { windowValueText } from './window-value.js';
import { collectDeadBuffers } from '../runtime/buffer-garbage.js';

/** Rows per part when the request does not say. */
export const DEFAULT_PART_ROWS = 1_000_000;
/** How many rejected rows a result lists; the count goes on. */
export const MAX_LISTED_REJECTS = 1_000;
/** A rejected value or line is cut to this many characters. */
export const MAX_REJECT_VALUE = 200;

const PROGRESS_INTERVAL_MS = 1_000;
/** How often dead socket chunks are looked for (see collectDeadBuffers): a fast source reads 100 MB a second. */
const BUFFER_CHECK_MS = 200;
/**
 * DuckDB's own budget. The process must stay under 300 MB: Node and DuckDB's code take 90 MB, the
 * JavaScript heap up to 50 MB, and DuckDB's thread-local buffers sit partly outside this limit.
 * DuckDB spills to the scratch folder beyond it (64 MB made it spill, and cost a third more time).
 */
const DUCKDB_MEMORY_LIMIT = '100MB';
/** Two threads convert while the event loop reads the source; more buy little on two cores, and cost memory. */
const DUCKDB_THREADS = 2;
/**
 * Parquet row groups of this many rows: two threads' groups being filled must fit the memory
 * budget (100 000-row groups cost 30 MB more at the peak, for no gain in speed).
 */
const ROW_GROUP_ROWS = 50_000;
/** ...and of at most this many bytes, for wide rows. */
const ROW_GROUP_BYTES = '32MB';

/**
 * One extraction's staging: a private scratch folder inside the staging folder (pipes, part
 * copies, downloaded files, DuckDB's spill files, parts being written), a DuckDB session that writes the parts, and the run's
 * counters, rejects, progress and cancellation. Parts are written under a temporary name in the
 * scratch folder and renamed into the staging folder only when complete, so a part that exists is
 * whole. A failed or cancelled extraction removes every part it wrote (see `runExtraction`).
 */
export class StagingSession {
  readonly parts: StagedPart[] = [];
  /** Source rows read (before rejects), and source bytes read: what progress reports. */
  rowsRead = 0;
  bytesRead = 0;
  readonly rejected: RejectedRow[] = [];
  rejectedCount = 0;
  readonly partRows: number;
  readonly maxBadRows: number;
  /** Where progress reads rows and bytes while a reader runs, when it counts them itself. */
  liveCounters?: () => { rows: number; bytes: number };
  private readonly windowMaxima: string[] = [];
  private readonly abortHooks: (() => void)[] = [];
  private readonly ticker: NodeJS.Timeout;
  private readonly bufferCheck: NodeJS.Timeout;
  private readonly onAbort = () => this.abortNow();
  private outputs = 0;
  private closed = false;

  private constructor(
    readonly req: ExtractRequest,
    /** A folder of this extraction's own, removed at the end. */
    readonly scratch: string,
    private readonly instance: DuckDBInstance,
    readonly duck: DuckDBConnection,
  ) {
    this.partRows = Math.max(1, Math.floor(req.partRows ?? DEFAULT_PART_ROWS));
    this.maxBadRows = Math.max(0, req.maxBadRows ?? 0);
    this.ticker = setInterval(() => this.reportProgress(), PROGRESS_INTERVAL_MS);
    this.ticker.unref();
    this.bufferCheck = setInterval(collectDeadBuffers, BUFFER_CHECK_MS);
    this.bufferCheck.unref();
    req.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  static async open(req: ExtractRequest): Promise<StagingSession> {
    req.signal?.throwIfAborted();
    await mkdir(req.stagingDir, { recursive: true });
    const scratch = await mkdtemp(path.join(path.resolve(req.stagingDir), '.extract-'));
    try {
      const instance = await DuckDBInstance.create(':memory:', {
        threads: String(DUCKDB_THREADS),
        memory_limit: DUCKDB_MEMORY_LIMIT,
        // Parts need not keep the source's order, and without it DuckDB writes row groups in parallel.
        preserve_insertion_order: 'false',
        temp_directory: path.join(scratch, 'duckdb'),
        autoinstall_known_extensions: 'false',
      });
      const duck = await instance.connect();
      // Times are read and printed in UTC, whatever the server's zone (ICU is built in).
      await duck.run(`SET TimeZone = 'UTC'`);
      return new StagingSession(req, scratch, instance, duck);
    } catch (error) {
      await rm(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  /** A path in the scratch folder. */
  scratchPath(name: string): string {
    return path.join(this.scratch, name);
  }

  /** Runs `hook` when the request is cancelled (a reader closes its connection there). */
  whenAborted(hook: () => void): void {
    this.abortHooks.push(hook);
  }

  throwIfAborted(): void {
    this.req.signal?.throwIfAborted();
  }

  /** `work`, or the cancel's reason as soon as the request is cancelled (for calls a driver may not end when its connection is destroyed). */
  async untilAborted<T>(work: Promise<T>): Promise<T> {
    const signal = this.req.signal;
    if (!signal) return work;
    signal.throwIfAborted();
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The `_extracted_at` and `_run_id` columns every part ends with, as SELECT items. */
  metadataColumns(): string {
    return `CAST(${sqlString(this.req.extractedAt.toISOString())} AS TIMESTAMPTZ) AS "_extracted_at", CAST(${sqlString(this.req.runId)} AS VARCHAR) AS "_run_id"`;
  }

  /**
   * Writes the rows of `select` as parts: one part, or with `split` as many as it takes to keep
   * about `partRows` rows in each (for a file bigger than that). Answers the rows written. With
   * `windowColumn` (an output column), its largest value, from the Parquet statistics, goes to
   * the window's maximum.
   */
  async writeParts(select: string, options: { split?: boolean; windowColumn?: string } = {}): Promise<{ rows: number }> {
    const rowGroup = Math.min(this.partRows, ROW_GROUP_ROWS);
    const target = this.scratchPath(`out-${this.outputs++}${options.split ? '' : '.parquet'}`);
    const copyOptions = ['FORMAT parquet', 'COMPRESSION snappy', `ROW_GROUP_SIZE ${rowGroup}`, `ROW_GROUP_SIZE_BYTES '${ROW_GROUP_BYTES}'`, 'RETURN_STATS'];
    if (options.split) copyOptions.push(`ROW_GROUPS_PER_FILE ${Math.max(1, Math.round(this.partRows / rowGroup))}`, `FILENAME_PATTERN 'p{i}'`);
    let files: { filename: string; count: number; bytes: number; max?: string }[];
    try {
      const reader = await this.duck.runAndReadAll(`COPY (${select}) TO ${sqlString(target)} (${copyOptions.join(', ')})`);
      files = reader.getRowObjectsJson().map((row) => ({
        filename: String(row.filename),
        count: Number(row.count),
        bytes: Number(row.file_size_bytes),
        max: options.windowColumn ? statistic(row.column_statistics, options.windowColumn, 'max') : undefined,
      }));
    } catch (error) {
      await rm(target, { recursive: true, force: true });
      throw error;
    }
    // p{i} numbers the files in the order DuckDB wrote them; keep it.
    files.sort((a, b) => fileIndex(a.filename) - fileIndex(b.filename));
    let rows = 0;
    for (const file of files) {
      if (file.count === 0) {
        await rm(file.filename, { force: true });
        continue;
      }
      const uri = path.join(path.resolve(this.req.stagingDir), `part-${String(this.parts.length).padStart(5, '0')}.parquet`);
      await rename(file.filename, uri);
      this.parts.push({ uri, rows: file.count, bytes: file.bytes });
      rows += file.count;
      this.noteWindowMax(file.max);
    }
    if (options.split) await rm(target, { recursive: true, force: true });
    return { rows };
  }

  /** Records a window column maximum (as DuckDB prints it) of some of the rows read. */
  noteWindowMax(value: string | undefined | null): void {
    if (value !== undefined && value !== null) this.windowMaxima.push(value);
  }

  /**
   * Counts rejected rows (listing the first thousand) and stops the extraction with
   * TooManyBadRowsError once there are more than the job allows.
   */
  reject(rows: readonly RejectedRow[], count = rows.length): void {
    for (const row of rows) {
      if (this.rejected.length >= MAX_LISTED_REJECTS) break;
      this.rejected.push(row);
    }
    this.rejectedCount += count;
    if (this.rejectedCount > this.maxBadRows) throw new TooManyBadRowsError(this.rejectedCount, this.maxBadRows, [...this.rejected]);
  }

  reportProgress(): void {
    if (this.closed) return;
    try {
      const live = this.liveCounters?.();
      if (live) {
        this.rowsRead = live.rows;
        this.bytesRead = live.bytes;
      }
      this.req.onProgress?.({ rows: this.rowsRead, bytes: this.bytesRead });
    } catch {
      // A failing progress callback must not fail the extraction.
    }
  }

  /** The result, with the window's maximum over all parts. */
  async result(windowType?: WarehouseType): Promise<ExtractResult> {
    this.reportProgress();
    const rows = this.parts.reduce((sum, part) => sum + part.rows, 0);
    const bytes = this.parts.reduce((sum, part) => sum + part.bytes, 0);
    let maxWindowValue: string | undefined;
    if (windowType && this.windowMaxima.length > 0) {
      // Compared as the typed values (text order is wrong for negative numbers and years past 9999).
      const type = DUCKDB_TYPES[windowType];
      const values = this.windowMaxima.map((v) => `(CAST(${sqlString(v)} AS ${type}))`).join(', ');
      const reader = await this.duck.runAndReadAll(`SELECT CAST(max(v) AS VARCHAR) AS m FROM (VALUES ${values}) AS t(v)`);
      const max = reader.getRowObjectsJson()[0]?.m;
      if (typeof max === 'string') maxWindowValue = windowValueText(windowType, max);
    }
    return { parts: [...this.parts], rows, bytes, rejected: [...this.rejected], rejectedCount: this.rejectedCount, ...(maxWindowValue !== undefined ? { maxWindowValue } : {}) };
  }

  /** Removes every part this extraction wrote (after a failure or a cancel: nothing half-done stays). */
  async discardParts(): Promise<void> {
    await Promise.all(this.parts.map((part) => rm(part.uri, { force: true })));
    this.parts.length = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    clearInterval(this.bufferCheck);
    this.req.signal?.removeEventListener('abort', this.onAbort);
    try {
      this.duck.closeSync();
      this.instance.closeSync();
    } finally {
      await rm(this.scratch, { recursive: true, force: true });
    }
  }

  private abortNow(): void {
    try {
      this.duck.interrupt();
    } catch {
      // Nothing running.
    }
    for (const hook of this.abortHooks) {
      try {
        hook();
      } catch {
        // Closing what is already closed.
      }
    }
  }
}

/**
 * Runs an extraction in a staging session: the result on success; on any failure (cancel, too many
 * bad rows, a lost connection) every part is removed and the error is thrown, the cancel's reason
 * when the request was cancelled, whatever error the cancel caused on its way.
 */
export async function runExtraction(
  req: ExtractRequest,
  work: (session: StagingSession) => Promise<void>,
): Promise<ExtractResult> {
  const session = await StagingSession.open(req);
  try {
    await work(session);
    session.throwIfAborted();
    return await session.result(req.window?.type);
  } catch (error) {
    await session.discardParts();
    if (req.signal?.aborted) throw req.signal.reason;
    throw error;
  } finally {
    await session.close();
  }
}

/** A value of RETURN_STATS' `column_statistics` (a map of column to a map of statistic to text). */
function statistic(stats: unknown, column: string, name: string): string | undefined {
  if (!Array.isArray(stats)) return undefined;
  const entry = stats.find((e: { key?: unknown }) => e?.key === sqlIdent(column) || e?.key === column) as { value?: unknown } | undefined;
  if (!Array.isArray(entry?.value)) return undefined;
  const found = (entry.value as { key?: unknown; value?: unknown }[]).find((e) => e?.key === name);
  return typeof found?.value === 'string' ? found.value : undefined;
}

function fileIndex(filename: string): number {
  const match = /p(\d+)\.parquet$/.exec(filename);
  return match ? Number(match[1]) : 0;
}

