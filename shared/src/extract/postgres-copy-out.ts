import type { Duplex } from 'node:stream';
import type pg from 'pg';
import type { CsvPartFeed } from './csv-part-feed.js';

/** Backend message types (protocol "Message Formats"). */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'

type DataListener = (chunk: Buffer) => void;

/**
 * A `COPY ... TO STDOUT` whose rows go straight from the connection's socket into a CsvPartFeed.
 * PostgreSQL sends exactly one CopyData message per row, so message boundaries are row boundaries:
 * rows are counted and parts cut without looking inside the CSV (quoted line breaks and all), and
 * each row's size is known before its bytes arrive.
 *
 * It works as pg-copy-streams does: while the COPY runs it takes the socket's data from pg's own
 * parser, and gives it back at CopyDone (or at an ErrorResponse) with the bytes that follow, so pg
 * sees CommandComplete, ReadyForQuery or the error as usual. It copies each row's bytes once into
 * a 1 MiB block instead of gathering messages in a buffer list, which is most of the CPU a
 * million-rows-a-second copy spends in Node. Notices and parameter changes during the COPY are
 * skipped.
 */
export class PostgresCopyOut implements pg.Submittable {
  /** Settles when the server has finished the COPY (ReadyForQuery), or failed it. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private stream?: Duplex;
  private pgListener?: DataListener;
  private readonly header = Buffer.alloc(5);
  private headerBytes = 0;
  private type = 0;
  private bodyLeft = 0;
  private inBody = false;
  private copying = false;

  constructor(
    private readonly sql: string,
    private readonly feed: Pick<CsvPartFeed, 'beginRow' | 'writeBytes' | 'endRow'>,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Nobody may be waiting yet when an early failure arrives.
    this.done.catch(() => undefined);
  }

  /** Called by pg when the query's turn comes. Returns an error instead of throwing, as pg expects. */
  submit(connection: pg.Connection): Error | void {
    const stream = connection.stream;
    const listeners = stream.listeners('data') as DataListener[];
    if (listeners.length !== 1) return new Error(`Cannot take over the PostgreSQL connection for COPY: it has ${listeners.length} data listeners, not 1`);
    this.stream = stream;
    this.pgListener = listeners[0];
    stream.removeListener('data', this.pgListener!);
    stream.on('data', this.onData);
    this.copying = true;
    connection.query(this.sql);
  }

  /** Stops reading the socket (the server then waits, its send buffer full): back pressure. */
  pause(): void {
    if (this.copying) this.stream?.pause();
  }

  resume(): void {
    if (this.copying) this.stream?.resume();
  }

  handleError(error: unknown): void {
    this.giveBack(Buffer.alloc(0));
    this.rejectDone(error);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.resolveDone();
  }

  private readonly onData = (buffer: Buffer): void => {
    try {
      this.parse(buffer);
    } catch (error) {
      // A chunk could not be written (disk full): stop the COPY by closing the connection.
      this.stream?.destroy(error as Error);
      this.rejectDone(error);
    }
  };

  private parse(buffer: Buffer): void {
    const end = buffer.length;
    let pos = 0;
    while (pos < end) {
      if (this.inBody) {
        const n = Math.min(this.bodyLeft, end - pos);
        if (this.type === COPY_DATA) this.feed.writeBytes(buffer, pos, pos + n);
        pos += n;
        this.bodyLeft -= n;
        if (this.bodyLeft === 0) {
          this.inBody = false;
          if (this.type === COPY_DATA) this.feed.endRow();
        }
        continue;
      }
      let type: number;
      let length: number;
      if (this.headerBytes === 0 && end - pos >= 5) {
        type = buffer[pos]!;
        length = buffer.readUInt32BE(pos + 1);
        pos += 5;
      } else {
        const n = Math.min(5 - this.headerBytes, end - pos);
        buffer.copy(this.header, this.headerBytes, pos, pos + n);
        this.headerBytes += n;
        pos += n;
        if (this.headerBytes < 5) return;
        this.headerBytes = 0;
        type = this.header[0]!;
        length = this.header.readUInt32BE(1);
      }
      if (type === ERROR_RESPONSE || type === COPY_DONE) {
        // pg parses the rest: the error, or CopyDone, CommandComplete and ReadyForQuery.
        const header = Buffer.alloc(5);
        header[0] = type;
        header.writeUInt32BE(length, 1);
        this.giveBack(Buffer.concat([header, buffer.subarray(pos)]));
        return;
      }
      this.type = type;
      this.bodyLeft = length - 4;
      if (type === COPY_DATA) this.feed.beginRow(this.bodyLeft);
      if (this.bodyLeft > 0) this.inBody = true;
      else if (type === COPY_DATA) this.feed.endRow();
    }
  }

  /** Hands the socket back to pg's parser, with the bytes it has not seen yet. */
  private giveBack(rest: Buffer): void {
    if (!this.copying || !this.stream || !this.pgListener) return;
    this.copying = false;
    this.stream.removeListener('data', this.onData);
    this.stream.on('data', this.pgListener);
    if (rest.length > 0) this.pgListener(rest);
    this.stream.resume();
  }
}
