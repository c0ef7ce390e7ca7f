import { rm } from 'node:fs/promises';
import { ChunkQueue } from './chunk-queue.js';
import { CsvPartFeed, PIPE_MAX_ROW_BYTES, type FedPart } from './csv-part-feed.js';
import { convertCsv, needsSecondPass, type CsvLayout } from './csv-to-parquet.js';
import type { StagingSession } from './staging-session.js';

/** The source side of a database extraction, as the part stream drives it. */
export interface RowSource {
  /** Stop reading (DuckDB is behind): the server waits with its send buffer full. */
  pause(): void;
  resume(): void;
  /** Close the connection at once: a conversion failed, nothing more will be read. */
  hangUp(): void;
}

/** Writes a database's rows into parts; see `databaseParts`. */
export interface DatabaseParts {
  /** Where the reader writes its rows as CSV. */
  feed: CsvPartFeed;
  /** After the last row: waits until every part is written; throws the first failure. */
  finish(): Promise<void>;
  /** The reader failed: stop converting, and make `finish` throw this (unless a conversion failed first). */
  fail(error: unknown): void;
  /** Releases pipes and files after a failure. */
  discard(): void;
}

/**
 * Turns a database reader's CSV rows into parts: each part's rows go through a named pipe that
 * DuckDB converts while they are read (see CsvPartFeed), one part at a time, with back pressure on
 * the source. Parts are kept on disk too when a second pass may be needed (NUMERIC fields, or a
 * window column that is not selected), and a part's over-long rows are converted after it.
 */
export function databaseParts(session: StagingSession, layout: CsvLayout, source: RowSource): DatabaseParts {
  const queue = new ChunkQueue<FedPart>((part) => convertPart(session, layout, part), () => source.hangUp());
  const feed = new CsvPartFeed(session.scratch, session.partRows, needsSecondPass(layout), (part) => queue.push(part), (wait) => (wait ? source.pause() : source.resume()));
  session.liveCounters = () => ({ rows: feed.rows, bytes: feed.bytesSoFar });
  return {
    feed,
    async finish() {
      feed.finish();
      await queue.drain();
    },
    fail(error) {
      queue.fail(error);
    },
    discard() {
      feed.discard();
    },
  };
}

async function convertPart(session: StagingSession, layout: CsvLayout, part: FedPart): Promise<void> {
  try {
    const bigRows = () => part.bigRows?.rowNumbers.length ?? 0;
    part.connect();
    await convertCsv(session, layout, {
      paths: [part.pipe],
      async again() {
        part.abandonPipe();
        await part.complete;
        return part.file ? [part.file] : undefined;
      },
      firstRow: part.firstRow,
      rows: () => part.rows - bigRows(),
      maxRowBytes: PIPE_MAX_ROW_BYTES,
      split: false,
    });
    await part.complete;
    const big = part.bigRows;
    if (big) {
      await convertCsv(session, layout, { paths: [big.file], rowNumbers: big.rowNumbers, rows: () => big.rowNumbers.length, maxRowBytes: big.maxRowBytes, split: false });
    }
  } catch (error) {
    part.abandonPipe();
    throw error;
  } finally {
    await Promise.all([part.pipe, part.file, part.bigRows?.file].map((file) => (file ? rm(file, { force: true }) : undefined)));
  }
}
