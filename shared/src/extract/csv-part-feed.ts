import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** The longest row DuckDB reads from a part's pipe; longer rows go to the part's side file. */
export const PIPE_MAX_ROW_BYTES = 4 * 1024 * 1024;

/** Writes go out in blocks this big. */
const BLOCK_BYTES = 1024 * 1024;
/** What may wait for a pipe (unsent, or before DuckDB opens it) before the reader is asked to wait. */
const PIPE_BUFFER_BYTES = 4 * BLOCK_BYTES;
/** Sent blocks kept for reuse. */
const SPARE_BLOCKS = 8;
/** How often to try the pipe while DuckDB is about to open it. */
const CONNECT_RETRY_MS = 2;

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
  /** Settles when the part's last row is written (the file and side file are closed; the pipe is being drained). */
  complete: Promise<void>;
  /**
   * Starts sending the part into its pipe; call it as DuckDB starts reading the pipe. Until then
   * the part's first blocks wait in memory and the reader is held back.
   */
  connect(): void;
  /** Lets the feed finish the part when DuckDB stopped reading the pipe (a failed pass): pipe writes are dropped. */
  abandonPipe(): void;
}

interface OpenPart extends FedPart {
  socket: net.Socket | undefined;
  /** Bytes written before the pipe was connected, with the block they are in (to reuse it). */
  pending: { bytes: Buffer; block: Buffer | undefined }[];
  pendingBytes: number;
  connecting: boolean;
  ended: boolean;
  fileFd: number;
  bigFd: number;
  pipeDead: boolean;
  markComplete(): void;
}

/**
 * Writes a database's rows as CSV into parts of `rowsPerPart` rows, each through a named pipe that
 * DuckDB converts as it is written: the network read and the conversion overlap within a part,
 * and nothing but a few blocks sit in memory. A reader writes each row as `beginRow` (with its
 * size when known), pieces (`writeBytes`, `writeText`) and `endRow`, or at once (`writeRowText`);
 * a part ends only after a whole row.
 *
 * The pipe is opened without blocking once DuckDB has opened its end (`connect`) and written as a
 * socket, so no write ever holds one of libuv's four pool threads: with blocking writes, the pipes
 * of parts waiting for DuckDB would hold them all, and DuckDB's own query (which runs on one)
 * would starve.
 *
 * With `keepFiles` every part is also written to a file, for when a part may need a second pass.
 * A row longer than PIPE_MAX_ROW_BYTES goes to the part's side file instead of its pipe, so the
 * pipe's reader keeps a small buffer; the side file is converted after the part, with a buffer
 * that fits its rows.
 *
 * `onPart` gets each part as it starts; `onPressure(true)` asks the reader to stop reading its
 * source (a pipe's backlog is full: DuckDB is behind, or has not started on the part) and
 * `onPressure(false)` lets it go on.
 */
export class CsvPartFeed {
  /** Rows over all parts. */
  rows = 0;
  /** Bytes over all parts. */
  bytes = 0;
  private block: Buffer = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  /** Blocks the pipes have sent, for reuse: a new megabyte per block makes V8 grow its heap by 100 MB. */
  private readonly spare: Buffer[] = [];
  private part: OpenPart | undefined;
  private readonly live = new Set<OpenPart>();
  private parts = 0;
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
    // Characters, three bytes each at most.
    this.rowBytes += text.length * 3;
    if (this.rowBig) {
      writeAll(this.part!.bigFd, Buffer.from(text, 'utf8'));
      return;
    }
    this.writeEncoded(text);
  }

  /**
   * Writes a whole row of text, ending in a line break: the fast path of a reader that builds each
   * row as a string. It is encoded into the block at once, so the row's many small strings die
   * young (batching rows into one string first made V8 keep them, and grow its heap by 70 MB).
   */
  writeRowText(line: string): void {
    if (line.length * 3 > PIPE_MAX_ROW_BYTES) {
      this.beginRow(line.length * 3);
      this.writeText(line);
      this.endRow();
      return;
    }
    if (!this.part) this.startPart();
    this.writeEncoded(line);
    this.rows++;
    if (++this.partRows >= this.rowsPerPart) this.endPart();
  }

  private writeEncoded(text: string): void {
    const most = text.length * 3;
    if (most > BLOCK_BYTES - this.used) {
      this.flushBlock();
      if (most > BLOCK_BYTES) {
        this.emit(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.block.write(text, this.used);
  }

  /** Ends the current row; the part ends with it when it has `rowsPerPart` rows. */
  endRow(): void {
    this.rows++;
    this.partRows++;
    if (this.rowBig) {
      const big = this.part!.bigRows!;
      if (this.rowBytes > big.maxRowBytes) big.maxRowBytes = this.rowBytes;
    }
    if (this.partRows >= this.rowsPerPart) this.endPart();
  }

  /** Ends the last part, if it has rows. */
  finish(): void {
    if (this.part) this.endPart();
  }

  /** Bytes written so far (for progress). */
  get bytesSoFar(): number {
    return this.bytes + this.used;
  }

  /** Stops everything after a failure: pipes dropped, files closed. The scratch folder is removed later. */
  discard(): void {
    for (const part of this.live) {
      part.abandonPipe();
      for (const fd of [part.fileFd, part.bigFd]) if (fd !== -1) closeSync(fd);
      part.fileFd = part.bigFd = -1;
      part.markComplete();
    }
    this.live.clear();
    this.part = undefined;
  }

  private startPart(): void {
    const index = this.parts++;
    const pipe = path.join(this.dir, `part-${index}.pipe`);
    // Node has no mkfifo; the coreutils one is on every system this runs on.
    execFileSync('mkfifo', ['-m', '600', pipe]);
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
      complete,
      socket: undefined,
      pending: [],
      pendingBytes: 0,
      connecting: false,
      ended: false,
      fileFd: file ? openSync(file, 'w') : -1,
      bigFd: -1,
      pipeDead: false,
      markComplete,
      connect: () => this.connect(part),
      abandonPipe: () => {
        if (part.pipeDead) return;
        part.pipeDead = true;
        part.pending = [];
        part.pendingBytes = 0;
        part.socket?.destroy();
        this.live.delete(part);
        this.relieve();
      },
    };
    this.part = part;
    this.live.add(part);
    this.partRows = 0;
    this.onPart(part);
    this.hold();
  }

  private endPart(): void {
    this.flushBlock();
    const part = this.part!;
    part.rows = this.partRows;
    part.ended = true;
    this.part = undefined;
    this.partRows = 0;
    for (const fd of [part.fileFd, part.bigFd]) if (fd !== -1) closeSync(fd);
    part.fileFd = part.bigFd = -1;
    // EOF for DuckDB once the socket has sent what it holds.
    part.socket?.end();
    part.markComplete();
  }

  /** Opens the pipe without blocking as soon as DuckDB has its end open (ENXIO until then). */
  private connect(part: OpenPart): void {
    if (part.connecting || part.pipeDead) return;
    part.connecting = true;
    const attempt = () => {
      if (part.pipeDead) return;
      let fd: number;
      try {
        fd = openSync(part.pipe, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENXIO') setTimeout(attempt, CONNECT_RETRY_MS);
        else part.abandonPipe();
        return;
      }
      // A socket's own high-water mark (16 KiB) would hold the reader back after every block.
      const options: net.SocketConstructorOpts & { writableHighWaterMark: number } = { fd, readable: false, writable: true, writableHighWaterMark: PIPE_BUFFER_BYTES };
      const socket = new net.Socket(options);
      part.socket = socket;
      // EPIPE when DuckDB stopped reading: the pass failed, and says why on its side.
      socket.on('error', () => part.abandonPipe());
      socket.on('drain', () => this.relieve());
      socket.on('close', () => {
        this.live.delete(part);
        this.relieve();
      });
      for (const { bytes, block } of part.pending) socket.write(bytes, () => this.recycle(block));
      part.pending = [];
      part.pendingBytes = 0;
      if (part.ended) socket.end();
      this.relieve();
    };
    attempt();
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
    const block = this.block;
    // The socket keeps the block until it is sent: the next rows go to another one.
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(BLOCK_BYTES);
    const used = this.used;
    this.used = 0;
    this.emit(block.subarray(0, used), block);
  }

  /** Sends bytes to the current part (and its file); `block`, when given, is reused once they are sent. */
  private emit(bytes: Buffer, block?: Buffer): void {
    const part = this.part!;
    this.bytes += bytes.length;
    if (part.fileFd !== -1) writeAll(part.fileFd, bytes);
    if (part.pipeDead) {
      this.recycle(block);
      return;
    }
    if (part.socket) {
      part.socket.write(bytes, () => this.recycle(block));
    } else {
      part.pending.push({ bytes, block });
      part.pendingBytes += bytes.length;
    }
    this.hold();
  }

  private recycle(block: Buffer | undefined): void {
    if (block && this.spare.length < SPARE_BLOCKS) this.spare.push(block);
  }

  /** Asks the reader to wait when DuckDB is behind. */
  private hold(): void {
    if (!this.waiting && this.backedUp()) {
      this.waiting = true;
      this.onPressure(true);
    }
  }

  /** Lets the reader go on once DuckDB has caught up. */
  private relieve(): void {
    if (this.waiting && !this.backedUp()) {
      this.waiting = false;
      this.onPressure(false);
    }
  }

  /**
   * DuckDB is behind when a pipe's socket holds more than its buffer, or a part waits for DuckDB to
   * start on it: a finished one, or the current one with a buffer's worth. Each of these ends with
   * an event (drain, connect, close) that calls `relieve`.
   */
  private backedUp(): boolean {
    for (const part of this.live) {
      if (part.pipeDead) continue;
      if (part.socket) {
        if (part.socket.writableNeedDrain) return true;
      } else if (part !== this.part || part.pendingBytes >= PIPE_BUFFER_BYTES) {
        return true;
      }
    }
    return false;
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
