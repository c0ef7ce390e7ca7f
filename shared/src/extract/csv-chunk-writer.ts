import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/** A finished chunk file of CSV rows. */
export interface CsvChunk {
  path: string;
  /** Rows in the chunk. */
  rows: number;
  /** The extraction-wide number (from 1) of the chunk's first row, so rejects can say which row. */
  firstRow: number;
  bytes: number;
  /** An upper bound of the longest row's size in bytes (DuckDB's reader must allow lines that long). */
  maxRowBytes: number;
}

/** Writes go out in blocks this big. */
const BLOCK_BYTES = 1024 * 1024;

/**
 * Writes CSV rows into numbered chunk files of `rowsPerChunk` rows each, handing every finished
 * chunk to `onChunk`. A row is written in pieces (`writeBytes` for raw bytes, `writeText` for
 * strings) and ended with `endRow`, which is where a chunk may end: chunks always hold whole rows.
 *
 * Writes are synchronous, in blocks of 1 MiB to the page cache: the readers call this from their
 * data events, and a synchronous write keeps the bytes in order without a queue of buffers. It
 * blocks the event loop for the time of a copy into the page cache, which is also the back
 * pressure a slow disk should apply.
 */
export class CsvChunkWriter {
  /** Rows over all chunks, and bytes of the finished chunks. */
  rows = 0;
  bytes = 0;
  private readonly block = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  private text = '';
  private fd = -1;
  private chunkPath = '';
  private chunks = 0;
  private chunkRows = 0;
  private chunkBytes = 0;
  private rowBytes = 0;
  private maxRowBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly rowsPerChunk: number,
    private readonly onChunk: (chunk: CsvChunk) => void,
  ) {}

  /** Appends `source[start, end)` to the current row. */
  writeBytes(source: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length <= 0) return;
    if (this.text) this.flushText();
    this.rowBytes += length;
    if (length > BLOCK_BYTES - this.used) {
      this.flushBlock();
      if (length > BLOCK_BYTES) {
        this.writeOut(source.subarray(start, end));
        return;
      }
    }
    source.copy(this.block, this.used, start, end);
    this.used += length;
  }

  /** Appends text (UTF-8) to the current row. */
  writeText(text: string): void {
    if (this.used > 0) this.flushBlock();
    this.text += text;
    // Characters, times 3: a bound of the UTF-8 bytes without measuring every string.
    this.rowBytes += text.length * 3;
    if (this.text.length >= BLOCK_BYTES) this.flushText();
  }

  /** Ends the current row; the chunk ends with it when it has `rowsPerChunk` rows. */
  endRow(): void {
    this.rows++;
    this.chunkRows++;
    if (this.rowBytes > this.maxRowBytes) this.maxRowBytes = this.rowBytes;
    this.rowBytes = 0;
    if (this.chunkRows >= this.rowsPerChunk) this.endChunk();
  }

  /** Ends the last chunk, if it has rows. */
  finish(): void {
    if (this.chunkRows > 0) this.endChunk();
  }

  /** Closes the open chunk without handing it on (after a failure; the scratch folder is removed). */
  discard(): void {
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = -1;
  }

  /** Bytes written so far, including those not flushed yet (for progress). */
  get bytesSoFar(): number {
    return this.bytes + this.chunkBytes + this.used + this.text.length;
  }

  private endChunk(): void {
    this.flushBlock();
    this.flushText();
    if (this.fd === -1) this.writeOut(Buffer.alloc(0));
    closeSync(this.fd);
    this.fd = -1;
    const chunk: CsvChunk = { path: this.chunkPath, rows: this.chunkRows, firstRow: this.rows - this.chunkRows + 1, bytes: this.chunkBytes, maxRowBytes: this.maxRowBytes };
    this.bytes += this.chunkBytes;
    this.chunkRows = 0;
    this.chunkBytes = 0;
    this.maxRowBytes = 0;
    this.onChunk(chunk);
  }

  private flushBlock(): void {
    if (this.used === 0) return;
    this.writeOut(this.block.subarray(0, this.used));
    this.used = 0;
  }

  private flushText(): void {
    if (!this.text) return;
    const text = this.text;
    this.text = '';
    this.writeOut(Buffer.from(text, 'utf8'));
  }

  private writeOut(bytes: Buffer): void {
    if (this.fd === -1) {
      this.chunkPath = path.join(this.dir, `chunk-${String(this.chunks++).padStart(5, '0')}.csv`);
      this.fd = openSync(this.chunkPath, 'w');
    }
    this.chunkBytes += bytes.length;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
  }
}
