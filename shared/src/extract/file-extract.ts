import { createWriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { CsvDialect, FileFormat } from '../sources/source.js';
import { SourceError } from '../sources/source-error.js';
import { previewCsv } from '../sources/files/csv-preview.js';
import { formatFromName } from '../sources/files/file-format.js';
import { HEAD_BYTES } from '../sources/files/file-head.js';
import type { FileStore } from '../sources/files/file-store.js';
import type { WarehouseType } from '../types/warehouse-types.js';
import type { ExtractRequest, ExtractResult } from './extract.js';
import { ChunkQueue } from './chunk-queue.js';
import { convertCsv, type CsvLayout } from './csv-to-parquet.js';
import { sqlString } from './duckdb-sql.js';
import { convertRecords } from './records-to-parquet.js';
import { runExtraction, type StagingSession } from './staging-session.js';

/** A file to extract, as the file source lists it. */
export interface ExtractFile {
  /** The path in the store. */
  path: string;
  size: number;
  format?: FileFormat;
  /** The name ends in `.gz`; gzip content is also recognised by its magic bytes. */
  gzip: boolean;
}

/** How the files are read: their format (for all of them), and for CSV what is known of the dialect (the rest is detected per file). */
export interface ExtractFilesOptions {
  format: FileFormat;
  csv?: Partial<CsvDialect>;
}

/**
 * Files are converted in batches of about this many bytes: many small files make a few parts
 * rather than a part each, and a batch converts while the next one downloads.
 */
const BATCH_BYTES = 128 * 1024 * 1024;
/** The time limit of opening a file in its store; the transfer itself has none. */
const OPEN_TIMEOUT_MS = 60_000;

/** Files downloaded and waiting for DuckDB, all with the same layout. */
interface Batch {
  key: string;
  paths: string[];
  labels: Map<string, string>;
  bytes: number;
  csv?: CsvLayout;
}

/**
 * Extracts files from a store (local folder, S3, Azure Blob, GCS) into Parquet parts: each file
 * is streamed to a local file in the scratch folder (gzip inflated on the way), then read by
 * DuckDB (`read_csv` with the file's dialect, `read_json`, `read_parquet`) with the selected
 * columns cast to their warehouse types and renamed. The next files download while a batch
 * converts; memory stays bounded (streams to disk, DuckDB with a memory limit).
 *
 * A CSV line with the wrong number of fields, a broken quote, text that is not in the file's
 * encoding, or a value that does not parse as its column's type is a rejected row (file, line,
 * column, value, reason); so is a JSON record or Parquet row with a value that does not cast.
 * More rejects than `maxBadRows` stop the extraction with TooManyBadRowsError, and no part is left.
 */
export async function extractFiles(
  store: FileStore,
  files: readonly ExtractFile[],
  options: ExtractFilesOptions,
  req: ExtractRequest,
): Promise<ExtractResult> {
  return runExtraction(req, async (session) => {
    const stop = new AbortController();
    const signal = req.signal ? AbortSignal.any([req.signal, stop.signal]) : stop.signal;
    const queue = new ChunkQueue<Batch>((batch) => convertBatch(session, options.format, req, batch), (error) => stop.abort(error));
    let batch: Batch | undefined;
    try {
      for (const [i, file] of files.entries()) {
        await queue.room();
        signal.throwIfAborted();
        const local = session.scratchPath(`file-${i}.${options.format}`);
        await download(store, file, local, options, session, signal);
        if ((await stat(local)).size === 0) {
          await rm(local, { force: true });
          continue;
        }
        const csv = options.format === 'csv' ? await csvLayout(local, file, options, req) : undefined;
        if (options.format === 'parquet') await checkParquetColumns(session, local, file.path, req);
        const key = csv ? JSON.stringify([csv.fields, csv.dialect]) : options.format;
        if (batch && (batch.key !== key || batch.bytes >= BATCH_BYTES)) {
          queue.push(batch);
          batch = undefined;
        }
        batch ??= { key, paths: [], labels: new Map(), bytes: 0, csv };
        batch.paths.push(local);
        batch.labels.set(local, file.path);
        batch.bytes += (await stat(local)).size;
      }
      if (batch) queue.push(batch);
    } catch (error) {
      queue.fail(error);
    }
    await queue.drain();
  });
}

async function convertBatch(session: StagingSession, format: FileFormat, req: ExtractRequest, batch: Batch): Promise<void> {
  const fileLabel = (local: string) => batch.labels.get(local) ?? local;
  try {
    if (batch.csv) await convertCsv(session, batch.csv, { paths: batch.paths, fileLabel, split: true });
    else await convertRecords(session, { format: format === 'csv' ? 'json' : format, columns: req.columns, window: req.window }, { paths: batch.paths, fileLabel });
  } finally {
    await Promise.all(batch.paths.map((p) => rm(p, { force: true })));
  }
}

/** Streams a file from its store to `target`, inflating gzip (by the setting, the name, or the magic bytes). */
async function download(store: FileStore, file: ExtractFile, target: string, options: ExtractFilesOptions, session: StagingSession, signal: AbortSignal): Promise<void> {
  let source: Readable;
  try {
    source = await store.read(file.path, { signal, timeoutMs: OPEN_TIMEOUT_MS });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  }
  const chunks = source[Symbol.asyncIterator]();
  const first = await chunks.next().catch((error: unknown) => {
    source.destroy();
    throw readError(error, file.path, signal);
  });
  const head: Buffer = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Uint8Array);
  const magic = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const setting = options.format === 'csv' ? options.csv?.gzip : undefined;
  const gzip = options.format !== 'parquet' && (setting ?? (file.gzip || magic));
  if (gzip && !magic && head.length > 0) {
    source.destroy();
    throw new SourceError('invalid_config', `${file.path} is not a gzip file (it does not start with the gzip magic bytes)`, 'Turn the gzip setting off for this file.');
  }
  async function* counted(): AsyncGenerator<Buffer> {
    if (!first.done) {
      session.bytesRead += head.length;
      yield head;
    }
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      const chunk = next.value as Buffer;
      session.bytesRead += chunk.length;
      yield chunk;
    }
  }
  try {
    if (gzip) await pipeline(counted(), createGunzip(), createWriteStream(target), { signal });
    else await pipeline(counted(), createWriteStream(target), { signal });
  } catch (error) {
    source.destroy();
    if (signal.aborted) throw signal.reason;
    if ((error as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      throw new SourceError('invalid_config', `${file.path} starts like a gzip file but does not inflate: ${(error as Error).message}`, 'Check that the file is a complete gzip file (gunzip -t), or choose another file.', { cause: error });
    }
    throw readError(error, file.path, signal);
  }
}

function readError(error: unknown, path: string, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (error instanceof SourceError) return error;
  return new SourceError('unreachable', `Reading ${path} failed: ${(error as Error).message}`, 'The store or the network may have been interrupted; the run is retried.', { cause: error });
}

/**
 * A CSV file's fields and dialect: the dialect the job gives, the rest detected from the file's
 * head exactly as the preview detects it, so the columns have the names the person picked.
 */
async function csvLayout(local: string, file: ExtractFile, options: ExtractFilesOptions, req: ExtractRequest): Promise<CsvLayout> {
  const handle = await open(local, 'r');
  let bytes: Buffer;
  let complete: boolean;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    bytes = buffer.subarray(0, bytesRead);
    complete = bytesRead < HEAD_BYTES;
  } finally {
    await handle.close();
  }
  const preview = previewCsv({ bytes, gzip: false, complete }, { path: file.path, limit: 1, override: { ...options.csv, gzip: false }, tsv: formatFromName(file.path).tsv });
  const dialect = preview.csv!;
  const types = new Map<string, WarehouseType>();
  for (const c of req.columns) if (!types.has(c.source)) types.set(c.source, c.type);
  if (req.window && !types.has(req.window.column)) types.set(req.window.column, req.window.type);
  const names = preview.columns.map((c) => c.name);
  const missing = [...types.keys()].filter((name) => !names.includes(name));
  if (missing.length > 0) {
    throw new SourceError('not_found', `${file.path} has no column ${missing.map((m) => `"${m}"`).join(', ')} (its columns: ${names.join(', ')})`, 'The files may not all have the same columns; pick the columns again, or narrow the pattern to files of one shape.');
  }
  return {
    fields: names.map((name) => ({ name, type: types.get(name) })),
    columns: req.columns,
    window: req.window,
    filterWindow: true,
    bytes: 'raw',
    dialect: { delimiter: dialect.delimiter, quote: dialect.quote, header: dialect.header, encoding: dialect.encoding, quotedEmptyIsNull: true },
  };
}

/** A Parquet file must have the selected columns (its footer says, cheaply). */
async function checkParquetColumns(session: StagingSession, local: string, path: string, req: ExtractRequest): Promise<void> {
  const found = await session.duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(local)})`).catch((error: unknown) => {
    throw new SourceError('invalid_config', `${path} could not be read as Parquet: ${(error as Error).message}`, 'Check that the file is a complete Parquet file, or choose another format for it.', { cause: error });
  });
  const names = found.getRowObjectsJson().map((r) => String(r.column_name));
  const wanted = new Set([...req.columns.map((c) => c.source), ...(req.window ? [req.window.column] : [])]);
  const missing = [...wanted].filter((name) => !names.includes(name));
  if (missing.length > 0) {
    throw new SourceError('not_found', `${path} has no column ${missing.map((m) => `"${m}"`).join(', ')} (its columns: ${names.join(', ')})`, 'The files may not all have the same columns; pick the columns again, or narrow the pattern to files of one shape.');
  }
}
