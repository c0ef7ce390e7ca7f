import type { CsvPartFeed } from './csv-part-feed.js';

/** How a value is written: as it comes (numbers, the server's number text), quoted text, a date, a boolean. */
export const PLAIN = 0;
export const TEXT = 1;
export const DATE = 2;
export const BOOL = 3;
export type Kind = typeof PLAIN | typeof TEXT | typeof DATE | typeof BOOL;

/** The part of mysql2's packet reader this uses (`lib/packets/packet.js`, mysql2 3.x). */
export interface RowPacket {
  buffer: Buffer;
  offset: number;
  start: number;
  end: number;
  readLengthCodedNumber(): number | null;
}

const COMMA = Buffer.from(',');
const QUOTE = Buffer.from('"');
const NEWLINE = Buffer.from('\n');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const DOUBLE_QUOTE = 0x22;
const COMMA_BYTE = 0x2c;
const NEWLINE_BYTE = 0x0a;
const ZERO = 0x30;
const ZERO_DATE = Buffer.from('0000-00-00');

/**
 * Writes MySQL text-protocol rows as CSV straight from the packet's bytes. It stands in for mysql2's
 * row parser (the query's `_rowParser`), so no value becomes a JavaScript string: decoding every
 * field to a string and encoding it again was most of the CPU a MariaDB extraction spent in Node.
 * The server sends each value as a length-prefixed string in the connection's character set
 * (utf8mb4), or 0xFB for NULL; a CSV field is the bytes as they are (numbers, dates), quoted with
 * inner quotes doubled (text, so "" differs from null), or a boolean. MySQL's zero dates
 * ('0000-00-00') mean "no date" and are written as null. Text that is not valid UTF-8 reaches
 * DuckDB as it is and is rejected there with its row, rather than silently replaced.
 */
export class MysqlCsvRows {
  constructor(
    private readonly kinds: readonly Kind[],
    private readonly feed: Pick<CsvPartFeed, 'beginRow' | 'writeBytes' | 'endRow'>,
  ) {}

  /** A row's CSV is built here, then handed to the feed in one copy. */
  private scratch = Buffer.allocUnsafe(64 * 1024);

  /** Called by mysql2 for each row packet; what it returns is the row mysql2 emits (nothing here). */
  next(packet: RowPacket): null {
    const { kinds, feed } = this;
    // An upper bound of the row's CSV size: every byte a doubled quote, plus quotes and commas.
    const most = 2 * (packet.end - packet.offset) + 3 * kinds.length + 1;
    if (most > this.scratch.length) {
      if (most > MAX_SCRATCH) return this.nextLong(packet, most);
      this.scratch = Buffer.allocUnsafe(most);
    }
    const out = this.scratch;
    const buffer = packet.buffer;
    let n = 0;
    for (let i = 0; i < kinds.length; i++) {
      if (i > 0) out[n++] = COMMA_BYTE;
      const length = packet.readLengthCodedNumber();
      if (length === null) continue;
      const start = packet.offset;
      const end = start + length;
      packet.offset = end;
      switch (kinds[i]) {
        case PLAIN:
          n = copyBytes(buffer, start, end, out, n);
          break;
        case TEXT:
          out[n++] = DOUBLE_QUOTE;
          // Short fields byte by byte (a call to Buffer.copy costs more than it copies).
          for (let q = start; q < end; q++) {
            const byte = buffer[q]!;
            out[n++] = byte;
            if (byte === DOUBLE_QUOTE) out[n++] = DOUBLE_QUOTE;
          }
          out[n++] = DOUBLE_QUOTE;
          break;
        case DATE:
          if (!isZeroDate(buffer, start, length)) n = copyBytes(buffer, start, end, out, n);
          break;
        case BOOL:
          // tinyint(1) and bit(1): any value but 0 is true, as MySQL's BOOLEAN means.
          n += (length === 1 && buffer[start] === ZERO ? FALSE : TRUE).copy(out, n);
          break;
      }
    }
    out[n++] = NEWLINE_BYTE;
    feed.beginRow(n);
    feed.writeBytes(out, 0, n);
    feed.endRow();
    return null;
  }

  /** A row too long for the scratch buffer (megabytes of text): written to the feed field by field. */
  private nextLong(packet: RowPacket, most: number): null {
    const { kinds, feed } = this;
    const buffer = packet.buffer;
    feed.beginRow(most);
    for (let i = 0; i < kinds.length; i++) {
      if (i > 0) feed.writeBytes(COMMA, 0, 1);
      const length = packet.readLengthCodedNumber();
      if (length === null) continue;
      const start = packet.offset;
      const end = start + length;
      packet.offset = end;
      switch (kinds[i]) {
        case PLAIN:
          feed.writeBytes(buffer, start, end);
          break;
        case TEXT: {
          feed.writeBytes(QUOTE, 0, 1);
          let from = start;
          for (let q = start; q < end; q++) {
            if (buffer[q] !== DOUBLE_QUOTE) continue;
            feed.writeBytes(buffer, from, q + 1);
            feed.writeBytes(QUOTE, 0, 1);
            from = q + 1;
          }
          feed.writeBytes(buffer, from, end);
          feed.writeBytes(QUOTE, 0, 1);
          break;
        }
        case DATE:
          if (!isZeroDate(buffer, start, length)) feed.writeBytes(buffer, start, end);
          break;
        case BOOL: {
          const bool = length === 1 && buffer[start] === ZERO ? FALSE : TRUE;
          feed.writeBytes(bool, 0, bool.length);
          break;
        }
      }
    }
    feed.writeBytes(NEWLINE, 0, 1);
    feed.endRow();
    return null;
  }
}

/** Rows whose CSV may exceed this go to the feed field by field instead of through the scratch buffer. */
const MAX_SCRATCH = 1024 * 1024;

/** Copies `source[start, end)` into `out` at `n`; answers the new end. */
function copyBytes(source: Buffer, start: number, end: number, out: Buffer, n: number): number {
  if (end - start > 32) return n + source.copy(out, n, start, end);
  for (let i = start; i < end; i++) out[n++] = source[i]!;
  return n;
}

/** MySQL's zero date, '0000-00-00' (with or without a time): "no date". */
function isZeroDate(buffer: Buffer, start: number, length: number): boolean {
  if (length < 10) return false;
  for (let i = 0; i < 10; i++) if (buffer[start + i] !== ZERO_DATE[i]) return false;
  return true;
}
