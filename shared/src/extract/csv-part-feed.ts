import { execFileSync } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync, writeSync, type WriteStream } from 'node:fs';
import path from 'node:path';

/** The longest row DuckDB reads from a part's pipe; longer rows go to the part's side file. */
export const PIPE_MAX_ROW_BYTES = 4 * 1024 * 1024;

/** Writes go out in blocks this big. */
const BLOCK_BYTES = 1024 * 1024;
/** What a pipe's stream may hold before the reader is asked to wait. */
const PIPE_BUFFER_BYTES = 4 * BLOCK_BYTES;

/** A part's rows as CSV, on their way to DuckDB. */
export interface FedPart {
  index: number;
  /** A named pipe DuckDB reads the part from while it is being written. */
  pipe: string;
  /** A copy on disk, for a second pass (careful casts, the window's maximum); only when asked for. */
  file?: string;
  /** Rows too long for the pipe's reader, written aside to be converted on their own. */
  bigRows: { file: string; rowNumbers: number[]; maxRowBytes: number } | undefined;
  /** The extraction-wide number (from 1) of the part's first row. */
  firstRow: number;
  /** Rows in the part (including big rows); final once `complete` has settled. */
  rows: number;
  bytes: number;
  /** Settles when the part's last row is written (the file and side file are closed; the pipe's stream is ending). */
  complete: Promise<void>;
  /** Lets the feed finish the part when DuckDB stopped reading the pipe (a failed pass): pipe writes are dropped. */
  abandonPipe(): void;
}

interface OpenPart extends FedPart {
  stream: WriteStream;
  fileFd: number;
  bigFd: number;
  pipeDead: boolean;
  markComplete(): void;
}

/**
 * Writes a database's rows as CSV into parts of `rowsPerPart` rows, each through a named pipe that
 * DuckDB converts as it is written: the network read and the conversion overlap within a part,
 * and nothing but a few blocks sit in memory. A reader writes each row as `beginRow` (with its
 * size when known), pieces (`writeBytes`, `writeText`), `endRow`; a part ends only after a whole row.
 *
 * With `keepFiles` every part is also written to a file, for when a part may need a second pass.
 * A row longer than PIPE_MAX_ROW_BYTES goes to the part's side file instead of its pipe, so the
 * pipe's reader keeps a small buffer; the side file is converted after the part, with a buffer
 * that fits its rows.
 *
 * `onPart` gets each part as it starts; `onPressure(true)` asks the reader to stop reading its
 * source (the pipe's buffer is full: DuckDB is behind, or has not opened the pipe yet) and
 * `onPressure(false)` lets it go on.
 */
export class CsvPartFeed {
  /** Rows over all parts. */
  rows = 0;
  /** Bytes over all parts. */
  bytes = 0;
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  private text = '';
  private part: OpenPart | undefined;
  private readonly parts: OpenPart[] = [];
  private partRows = 0;
  private rowBig = false;
  private rowBytes = 0;
  private waiting = false;

  constructor(
    private readonly dir: string,
    private readonly rowsPerPart: number,
    private readonly keepFiles: boolean,
    private readonly onPart: (part: FedPart) => void,
    private readonly onPressure: (wait: boolean) => void,
  ) {}

  /** Starts a row of `size` bytes (an upper bound), or of unknown size. */
  beginRow(size?: number): void {
    if (!this.part) this.startPart();
    this.rowBig = size !== undefined && size > PIPE_MAX_ROW_BYTES;
    this.rowBytes = 0;
    if (this.rowBig) this.bigRows().rowNumbers.push(this.rows + 1);
  }

  /** Appends `source[start, end)` to the current row. */
  writeBytes(source: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length <= 0) return;
    this.rowBytes += length;
    if (this.rowBig) {
      writeAll(this.part!.bigFd, source.subarray(start, end));
      return;
    }
    if (this.text) this.flushText();
    if (length > BLOCK_BYTES - this.used) {
      this.flushBlock();
      if (length > BLOCK_BYTES) {
        this.emit(Buffer.from(source.subarray(start, end)));
        return;
      }
    }
    source.copy(this.block, this.used, start, end);
    this.used += length;
  }

  /** Appends text (UTF-8) to the current row. */
  writeText(text: string): void {
    this.rowBytes += text.length;
    if (this.rowBig) {
      writeAll(this.part!.bigFd, Buffer.from(text, 'utf8'));
      return;
    }
    if (this.used > 0) this.flushBlock();
    this.text += text;
    if (this.text.length >= BLOCK_BYTES) this.flushText();
  }

  /** Ends the current row; the part ends with it when it has `rowsPerPart` rows. */
  endRow(): void {
    this.rows++;
    this.partRows++;
    if (this.rowBig) {
      const big = this.part!.bigRows!;
      if (this.rowBytes * 3 > big.maxRowBytes) big.maxRowBytes = this.rowBytes * 3;
    }
    if (this.partRows >= this.rowsPerPart) this.endPart();
  }

  /** Ends the last part, if it has rows. */
  finish(): void {
    if (this.part) this.endPart();
  }

  /** Bytes written so far (for progress). */
  get bytesSoFar(): number {
    return this.bytes + this.used + this.text.length;
  }

  /**
   * Stops everything after a failure: open pipes are released (a stream still waiting for DuckDB
   * to open its pipe would wait forever), files closed. The scratch folder is removed later.
   */
  discard(): void {
    for (const part of this.parts) {
      part.abandonPipe();
      part.stream.destroy();
      for (const fd of [part.fileFd, part.bigFd]) if (fd !== -1) closeSync(fd);
      part.fileFd = part.bigFd = -1;
      part.markComplete();
    }
    this.parts.length = 0;
    this.part = undefined;
  }

  private startPart(): void {
    const index = this.parts.length === 0 ? 0 : this.parts[this.parts.length - 1]!.index + 1;
    const pipe = path.join(this.dir, `part-${index}.pipe`);
    // Node has no mkfifo; the coreutils one is on every system this runs on.
    execFileSync('mkfifo', ['-m', '600', pipe]);
    const stream = createWriteStream(pipe, { highWaterMark: PIPE_BUFFER_BYTES });
    let markComplete!: () => void;
    const complete = new Promise<void>((resolve) => (markComplete = resolve));
    const file = this.keepFiles ? path.join(this.dir, `part-${index}.csv`) : undefined;
    const part: OpenPart = {
      index,
      pipe,
      file,
      bigRows: undefined,
      firstRow: this.rows + 1,
      rows: 0,
      bytes: 0,
      complete,
      stream,
      fileFd: file ? openSync(file, 'w') : -1,
      bigFd: -1,
      pipeDead: false,
      markComplete,
      abandonPipe: () => {
        if (part.pipeDead) return;
        part.pipeDead = true;
        releasePipe(pipe);
        this.relieve();
      },
    };
    // EPIPE when DuckDB stopped reading: the pass failed, and says why on its side.
    stream.on('error', () => part.abandonPipe());
    stream.on('drain', () => this.relieve());
    stream.once('close', () => {
      const at = this.parts.indexOf(part);
      if (at !== -1) this.parts.splice(at, 1);
      this.relieve();
    });
    this.part = part;
    this.parts.push(part);
    this.partRows = 0;
    this.onPart(part);
  }

  private endPart(): void {
    this.flushBlock();
    this.flushText();
    const part = this.part!;
    part.rows = this.partRows;
    this.part = undefined;
    this.partRows = 0;
    for (const fd of [part.fileFd, part.bigFd]) if (fd !== -1) closeSync(fd);
    part.fileFd = part.bigFd = -1;
    // EOF for DuckDB once the stream has written what it holds.
    part.stream.end();
    part.markComplete();
  }

  private bigRows(): NonNullable<FedPart['bigRows']> {
    const part = this.part!;
    if (!part.bigRows) {
      const file = path.join(this.dir, `part-${part.index}-big.csv`);
      part.bigFd = openSync(file, 'w');
      part.bigRows = { file, rowNumbers: [], maxRowBytes: 0 };
    }
    return part.bigRows;
  }

  private flushBlock(): void {
    if (this.used === 0) return;
    const full = this.block.subarray(0, this.used);
    // The pipe's stream keeps the block until written: the next rows go to a new one.
    this.block = Buffer.allocUnsafe(BLOCK_BYTES);
    this.used = 0;
    this.emit(full);
  }

  private flushText(): void {
    if (!this.text) return;
    const bytes = Buffer.from(this.text, 'utf8');
    this.text = '';
    this.emit(bytes);
  }

  private emit(bytes: Buffer): void {
    const part = this.part!;
    part.bytes += bytes.length;
    this.bytes += bytes.length;
    if (part.fileFd !== -1) writeAll(part.fileFd, bytes);
    if (part.pipeDead) return;
    if (!part.stream.write(bytes) && !this.waiting) {
      this.waiting = true;
      this.onPressure(true);
    }
  }

  /** Lets the reader go on once no pipe holds more than its buffer. */
  private relieve(): void {
    if (!this.waiting) return;
    if (this.parts.some((p) => !p.pipeDead && p.stream.writableNeedDrain)) return;
    this.waiting = false;
    this.onPressure(false);
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/**
 * Opens and closes a pipe's reading end without blocking. A writer waiting for a reader to open
 * the pipe gets one and then EPIPE; a writer blocked on a full pipe... is released by DuckDB
 * closing its end. Either way the stream ends instead of waiting forever.
 */
function releasePipe(pipe: string): void {
  try {
    closeSync(openSync(pipe, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch {
    // Gone already.
  }
}
