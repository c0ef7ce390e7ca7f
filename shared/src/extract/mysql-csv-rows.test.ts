import { describe, expect, test } from '@jest/globals';
import { BOOL, DATE, MysqlCsvRows, PLAIN, TEXT, type Kind, type RowPacket } from './mysql-csv-rows.js';

/** A text-protocol row as MySQL sends it: each value length-prefixed, 0xFB for NULL. */
function packet(values: (string | null)[]): RowPacket {
  const pieces: Buffer[] = [];
  for (const value of values) {
    if (value === null) {
      pieces.push(Buffer.from([0xfb]));
      continue;
    }
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length < 251) pieces.push(Buffer.from([bytes.length]));
    else {
      const header = Buffer.alloc(4);
      header[0] = 0xfd;
      header.writeUIntLE(bytes.length, 1, 3);
      pieces.push(header);
    }
    pieces.push(bytes);
  }
  // Bytes around the row, as in a socket chunk holding other packets.
  const buffer = Buffer.concat([Buffer.from('"before"'), ...pieces, Buffer.from('"after"')]);
  const row: RowPacket = {
    buffer,
    start: 8,
    offset: 8,
    end: buffer.length - 7,
    readLengthCodedNumber() {
      const first = buffer[row.offset++]!;
      if (first < 251) return first;
      if (first === 0xfb) return null;
      const length = buffer.readUIntLE(row.offset, 3);
      row.offset += 3;
      return length;
    },
  };
  return row;
}

function csv(kinds: Kind[], rows: (string | null)[][]): string {
  const out: Buffer[] = [];
  let open = false;
  const feed = {
    beginRow: () => void (open = true),
    writeBytes: (source: Buffer, start: number, end: number) => void out.push(Buffer.from(source.subarray(start, end))),
    endRow: () => void (open = false),
  };
  const writer = new MysqlCsvRows(kinds, feed);
  for (const row of rows) expect(writer.next(packet(row))).toBeNull();
  expect(open).toBe(false);
  return Buffer.concat(out).toString('utf8');
}

describe('MysqlCsvRows', () => {
  test('numbers as they come, text quoted with inner quotes doubled, nulls empty, empty text as ""', () => {
    expect(csv([PLAIN, TEXT, TEXT, PLAIN], [
      ['1', 'plain', 'say "hi", twice\nthen stop', '-12.50'],
      ['2', '', null, null],
      ['3', 'zażółć 🐘', '"', '9223372036854775807'],
    ])).toBe('1,"plain","say ""hi"", twice\nthen stop",-12.50\n2,"",,\n3,"zażółć 🐘","""",9223372036854775807\n');
  });

  test('zero dates are null; booleans are false only for 0', () => {
    expect(csv([DATE, DATE, BOOL, BOOL, BOOL], [['0000-00-00', '0000-00-00 00:00:00', '0', '1', '5'], ['2005-05-24', '2005-05-24 22:53:30', null, '0', '10']]))
      .toBe(',,false,true,true\n2005-05-24,2005-05-24 22:53:30,,false,true\n');
  });

  test('a row longer than the scratch buffer is written field by field, the same way', () => {
    const long = 'x"'.repeat(400_000);
    expect(csv([PLAIN, TEXT, TEXT], [['1', long, 'end']])).toBe(`1,"${long.replaceAll('"', '""')}","end"\n`);
  });
});
