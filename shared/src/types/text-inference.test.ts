import { describe, expect, test } from '@jest/globals';
import { inferFromText, inferFromValues, isTimestampCandidate } from './text-inference.js';

// Rows from the UCI Online Retail data set (the Excel file saved as CSV with ISO dates).
const onlineRetail = {
  invoiceNo: ['536365', '536365', '536366', '536367', '536368', '536369', '536370', '536371', '536372', '536373', '536374', '536375', '536376', '536377', '536378', '536380', '536381', '536382', '536384', '536385', 'C536379', '536386', '536387', '536388', '536389', '536390', '536392', '536393', '536394', '536395', '536396', '536397', '536398', '536399', '536401', '536402', '536403', '536404', '536405', '536406', '536407', '536408', '536409', '536412', '536414', '536415', '536416', '536420', '536423', '536425'],
  stockCode: ['85123A', '71053', '84406B', '84029G', '84029E', '22752', '21730', '22633', '22632', '84879', '22745', '22748', '22749', '22310', '84969', '22623', '22622', '21754', '21755', '21777', '48187'],
  invoiceDate: ['2010-12-01 08:26:00', '2010-12-01 08:28:00', '2010-12-01 08:34:00', '2010-12-01 09:01:00', '2011-12-09 12:50:00'],
  unitPrice: ['2.55', '3.39', '2.75', '3.39', '7.65', '4.25', '1.85', '1.69', '2.1', '0.65', '4.95', '3.75', '10.95', '18'],
  customerId: ['17850', '17850', '13047', '', '12583', '', '13748', '15100', '15291', '14688', '17809'],
  quantity: ['6', '6', '8', '6', '6', '2', '6', '-1', '32', '24', '-12', '80'],
  country: ['United Kingdom', 'France', 'Australia', 'Netherlands', 'EIRE'],
};

describe('inferFromText on Online Retail', () => {
  test('InvoiceDate is a DATETIME in ISO form', () => {
    expect(inferFromText(onlineRetail.invoiceDate)).toEqual({ type: 'DATETIME', confidence: 1, format: 'iso8601' });
  });

  test('UnitPrice is NUMERIC', () => {
    expect(inferFromText(onlineRetail.unitPrice)).toEqual({ type: 'NUMERIC', confidence: 1 });
  });

  test('StockCode, mostly digits with letters, is STRING and names a value that is not an integer', () => {
    const suggestion = inferFromText(onlineRetail.stockCode);
    expect(suggestion.type).toBe('STRING');
    expect(suggestion.note).toContain('are integers, but not e.g. "85123A"');
  });

  test('CustomerID with empty cells is INT64', () => {
    expect(inferFromText(onlineRetail.customerId)).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('negative quantities are still INT64', () => {
    expect(inferFromText(onlineRetail.quantity)).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('InvoiceNo, with one cancelled invoice C536379 in fifty, is STRING with a low confidence', () => {
    const suggestion = inferFromText(onlineRetail.invoiceNo);
    expect(suggestion).toEqual({ type: 'STRING', confidence: 0.51, note: '98% of values are integers, but not e.g. "C536379"; kept as text' });
  });

  test('Country is plain STRING', () => {
    expect(inferFromText(onlineRetail.country)).toEqual({ type: 'STRING', confidence: 1 });
  });

  test('the Kaggle copy\'s InvoiceDate 12/1/2010 8:26 is month-first once a day above 12 appears', () => {
    expect(inferFromText(['12/1/2010 8:26', '12/1/2010 8:28', '12/13/2010 9:02', '1/4/2011 10:00'])).toEqual({
      type: 'DATETIME', confidence: 0.95, format: 'MM/DD/YYYY HH:mm',
    });
  });
});

describe('inferFromText: empty values', () => {
  test('null, undefined and blank cells are ignored', () => {
    expect(inferFromText([null, '42', undefined, '', '  ', '7'])).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('a column with no values at all is STRING with no confidence', () => {
    expect(inferFromText([null, '', '   ', undefined])).toMatchObject({ type: 'STRING', confidence: 0 });
    expect(inferFromText([])).toMatchObject({ type: 'STRING', confidence: 0 });
  });

  test('a sample of 200 000 values is read without overflowing the stack', () => {
    const values = Array.from({ length: 200_000 }, (_, i) => `${i}.5`);
    expect(inferFromText(values)).toEqual({ type: 'NUMERIC', confidence: 1 });
  });

  test('values are trimmed before they are read', () => {
    expect(inferFromText([' 12 ', '13\t'])).toEqual({ type: 'INT64', confidence: 1 });
  });
});

describe('inferFromText: integers', () => {
  test('leading zeros make a code, kept as STRING', () => {
    expect(inferFromText(['00123', '04567', '12000'])).toMatchObject({ type: 'STRING', confidence: 0.9, note: expect.stringContaining('"00123"') });
  });

  test('a lone zero is not a leading zero', () => {
    expect(inferFromText(['0', '10', '-3'])).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('the largest INT64 still fits, one more is NUMERIC', () => {
    expect(inferFromText(['9223372036854775807', '-9223372036854775808'])).toEqual({ type: 'INT64', confidence: 1 });
    expect(inferFromText(['9223372036854775808'])).toMatchObject({ type: 'NUMERIC', confidence: 0.9 });
  });

  test('integers of 30 to 38 digits are BIGNUMERIC, longer ones STRING', () => {
    expect(inferFromText(['1'.repeat(35)])).toMatchObject({ type: 'BIGNUMERIC' });
    expect(inferFromText(['1'.repeat(40)])).toMatchObject({ type: 'STRING', note: expect.stringContaining('40 digits') });
  });

  test('a column of only 0 and 1 stays INT64 and mentions BOOL', () => {
    expect(inferFromText(['0', '1', '1', '0'])).toMatchObject({ type: 'INT64', confidence: 0.9, note: expect.stringContaining('BOOL') });
  });

  test('10-digit Unix times are INT64 with the epoch_s format', () => {
    expect(inferFromText(['1291191960', '1323435000'])).toMatchObject({ type: 'INT64', format: 'epoch_s', note: expect.stringContaining('seconds') });
  });

  test('13-digit Unix times are INT64 with the epoch_ms format', () => {
    expect(inferFromText(['1291191960000', '1323435000123'])).toMatchObject({ type: 'INT64', format: 'epoch_ms' });
  });

  test('10-digit numbers outside 2001–2100 are not taken for times', () => {
    expect(inferFromText(['5551234567', '1291191960'])).toEqual({ type: 'INT64', confidence: 1 });
  });
});

describe('inferFromText: decimals', () => {
  test('up to 9 decimal places is NUMERIC, mixed with integers', () => {
    expect(inferFromText(['1', '0.123456789', '-42.5', '.5'])).toEqual({ type: 'NUMERIC', confidence: 1 });
  });

  test('more than 9 decimal places is FLOAT64', () => {
    expect(inferFromText(['51.5073509', '-0.12775829999'])).toMatchObject({ type: 'FLOAT64', note: expect.stringContaining('11 decimal places') });
  });

  test('more than 29 digits before the point is FLOAT64', () => {
    expect(inferFromText([`${'9'.repeat(30)}.5`])).toMatchObject({ type: 'FLOAT64', note: expect.stringContaining('30 digits before the point') });
  });

  test('scientific notation is FLOAT64', () => {
    expect(inferFromText(['1.5e3', '2E-7', '42', '0.5'])).toEqual({ type: 'FLOAT64', confidence: 1 });
  });

  test('NaN and Infinity among numbers are FLOAT64', () => {
    expect(inferFromText(['1.5', 'NaN', '-Infinity'])).toEqual({ type: 'FLOAT64', confidence: 1 });
  });

  test('a comma as the decimal separator is not read as a number', () => {
    expect(inferFromText(['2,55', '3,39'])).toMatchObject({ type: 'STRING' });
  });
});

describe('inferFromText: booleans', () => {
  test('true/false in any case is BOOL', () => {
    expect(inferFromText(['true', 'False', 'TRUE'])).toEqual({ type: 'BOOL', confidence: 1 });
  });

  test('yes/no is BOOL, and 0/1 may join words', () => {
    expect(inferFromText(['yes', 'no', 'Yes'])).toEqual({ type: 'BOOL', confidence: 1 });
    expect(inferFromText(['true', '0', '1', 'false'])).toEqual({ type: 'BOOL', confidence: 1 });
  });

  test('single letters t/f and Y/N are BOOL with a little less confidence', () => {
    expect(inferFromText(['t', 'f', 't'])).toMatchObject({ type: 'BOOL', confidence: 0.9 });
    expect(inferFromText(['Y', 'N'])).toMatchObject({ type: 'BOOL', confidence: 0.9 });
  });

  test('yes, no and maybe is STRING naming maybe', () => {
    expect(inferFromText(['yes', 'no', 'yes', 'maybe'])).toMatchObject({ type: 'STRING', note: expect.stringContaining('"maybe"') });
  });
});

describe('inferFromText: dates', () => {
  test('ISO dates are DATE', () => {
    expect(inferFromText(['2011-12-09', '2010-12-01'])).toEqual({ type: 'DATE', confidence: 1, format: 'YYYY-MM-DD' });
  });

  test('a day above 12 first makes slashed dates day-first', () => {
    expect(inferFromText(['09/12/2011', '25/12/2011', '01/02/2011'])).toEqual({ type: 'DATE', confidence: 0.95, format: 'DD/MM/YYYY' });
  });

  test('a day above 12 second makes slashed dates month-first', () => {
    expect(inferFromText(['12/09/2011', '12/25/2011'])).toEqual({ type: 'DATE', confidence: 0.95, format: 'MM/DD/YYYY' });
  });

  test('when no value settles the order, DATE is kept, day-first is assumed, and the note says so', () => {
    const suggestion = inferFromText(['09/12/2011', '03/04/2011']);
    expect(suggestion).toMatchObject({ type: 'DATE', confidence: 0.6, format: 'DD/MM/YYYY?' });
    expect(suggestion.note).toContain('ambiguous');
    expect(suggestion.note).toContain('assumed day-first');
  });

  test('values that need both orders do not make one format, so the column is STRING', () => {
    expect(inferFromText(['25/12/2011', '12/25/2011'])).toMatchObject({ type: 'STRING' });
  });

  test('dashed numeric dates follow the same rules', () => {
    expect(inferFromText(['13-01-2011', '01-02-2011'])).toMatchObject({ type: 'DATE', format: 'DD-MM-YYYY' });
  });

  test('dotted dates are day-first', () => {
    expect(inferFromText(['9.12.2011', '1.2.2011'])).toEqual({ type: 'DATE', confidence: 0.95, format: 'DD.MM.YYYY' });
  });

  test('dates with month names are DATE', () => {
    expect(inferFromText(['09-Dec-2011', '1-Jan-2012'])).toMatchObject({ type: 'DATE', format: 'DD-Mon-YYYY' });
    expect(inferFromText(['Dec 9, 2011', 'January 1, 2012', 'Sept 3, 2012'])).toMatchObject({ type: 'DATE', format: 'Mon D, YYYY' });
    expect(inferFromText(['9 Dec 2011'])).toMatchObject({ type: 'DATE', format: 'DD Mon YYYY' });
  });

  test('Oracle\'s two-digit years are DATE with a note on the century', () => {
    expect(inferFromText(['09-DEC-11', '31-JAN-98'])).toMatchObject({ type: 'DATE', confidence: 0.9, format: 'DD-Mon-YY', note: expect.stringContaining('1950–2049') });
  });

  test('impossible dates are not dates', () => {
    expect(inferFromText(['2011-02-30'])).toMatchObject({ type: 'STRING' });
    expect(inferFromText(['2011-13-01'])).toMatchObject({ type: 'STRING' });
    expect(inferFromText(['31-Foo-2011'])).toMatchObject({ type: 'STRING' });
  });

  test('29 February is a date in leap years only', () => {
    expect(inferFromText(['2012-02-29', '2000-02-29'])).toMatchObject({ type: 'DATE' });
    expect(inferFromText(['2011-02-29'])).toMatchObject({ type: 'STRING' });
    expect(inferFromText(['1900-02-29'])).toMatchObject({ type: 'STRING' });
  });
});

describe('inferFromText: times and timestamps', () => {
  test('times are TIME with their precision', () => {
    expect(inferFromText(['14:30', '08:05'])).toEqual({ type: 'TIME', confidence: 1, format: 'HH:mm' });
    expect(inferFromText(['14:30:15.123', '08:05:00'])).toEqual({ type: 'TIME', confidence: 1, format: 'HH:mm:ss.SSS' });
    expect(inferFromText(['2:30 PM', '11:05 am'])).toMatchObject({ type: 'TIME', format: 'h:mm A' });
  });

  test('impossible times are not times', () => {
    expect(inferFromText(['24:00'])).toMatchObject({ type: 'STRING' });
    expect(inferFromText(['13:30 PM'])).toMatchObject({ type: 'STRING' });
  });

  test('ISO 8601 with Z or an offset is TIMESTAMP', () => {
    expect(inferFromText(['2011-12-09T08:34:00Z', '2011-12-09T08:34:00.123+01:00', '2011-12-09T08:34:00-0500'])).toEqual({
      type: 'TIMESTAMP', confidence: 1, format: 'iso8601',
    });
  });

  test('ISO 8601 without an offset is DATETIME', () => {
    expect(inferFromText(['2011-12-09T08:34:00', '2011-12-09T08:34'])).toEqual({ type: 'DATETIME', confidence: 1, format: 'iso8601' });
  });

  test('a space and UTC written out count as an offset', () => {
    expect(inferFromText(['2011-12-09 08:34:00 UTC'])).toMatchObject({ type: 'TIMESTAMP' });
  });

  test('some values without an offset make TIMESTAMP with a note', () => {
    expect(inferFromText(['2011-12-09T08:34:00Z', '2011-12-09T09:00:00'])).toMatchObject({
      type: 'TIMESTAMP', confidence: 0.8, note: expect.stringContaining('1 of 2 values have no UTC offset'),
    });
  });

  test('date-only values among timestamps still fit the DATETIME', () => {
    expect(inferFromText(['2011-12-09', '2011-12-09 08:34:00'])).toMatchObject({ type: 'DATETIME' });
  });

  test('an ambiguous day/month order in timestamps lowers the confidence and marks the format', () => {
    expect(inferFromText(['12/9/2011 8:34', '1/2/2011 10:00'])).toMatchObject({ type: 'DATETIME', confidence: 0.6, format: 'DD/MM/YYYY HH:mm?' });
  });

  test('timestamps with month names and AM/PM are read', () => {
    expect(inferFromText(['Dec 9, 2011 8:34 PM', 'Jan 1, 2012 12:00 AM'])).toMatchObject({ type: 'DATETIME', format: 'Mon D, YYYY h:mm A' });
  });

  test('T only joins ISO dates', () => {
    expect(inferFromText(['09/12/2011T08:34'])).toMatchObject({ type: 'STRING' });
  });
});

describe('inferFromText: columns that almost fit', () => {
  test('a non-fitting example is truncated', () => {
    const long = `not a number ${'x'.repeat(100)}`;
    const suggestion = inferFromText(['1', '2', '3', long]);
    expect(suggestion.note).toContain(`"not a number ${'x'.repeat(17)}…"`);
  });

  test('confidence in STRING grows as fewer values fit another type', () => {
    const mostly = inferFromText(['1', '2', '3', 'a']).confidence;
    const half = inferFromText(['1', '2', 'a', 'b']).confidence;
    const few = inferFromText(['1', 'a', 'b', 'c']).confidence;
    expect(mostly).toBeLessThan(half);
    expect(half).toBeLessThan(few);
    expect(few).toBeLessThan(1);
  });

  test('fewer than half fitting gives no near-miss note', () => {
    expect(inferFromText(['1', 'a', 'b'])).toEqual({ type: 'STRING', confidence: 0.83 });
  });

  test('dates with a stray "N/A" are STRING naming it', () => {
    expect(inferFromText(['2011-12-09', '2011-12-10', 'N/A'])).toMatchObject({ type: 'STRING', note: expect.stringContaining('are dates, but not e.g. "N/A"') });
  });
});

describe('inferFromValues', () => {
  test('integers, including bigints, are INT64', () => {
    expect(inferFromValues([1, 2, null, 3n, undefined])).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('prices as JSON numbers are NUMERIC, as they would be in a CSV', () => {
    expect(inferFromValues([2.55, 3.39, 18])).toEqual({ type: 'NUMERIC', confidence: 1 });
  });

  test('numbers with binary noise are FLOAT64', () => {
    expect(inferFromValues([0.1 + 0.2, 1.5])).toMatchObject({ type: 'FLOAT64' });
    expect(inferFromValues([1e21, 2])).toEqual({ type: 'FLOAT64', confidence: 1 });
    expect(inferFromValues([Number.NaN, 1])).toEqual({ type: 'FLOAT64', confidence: 1 });
  });

  test('bigints beyond INT64 are NUMERIC', () => {
    expect(inferFromValues([2n ** 64n])).toMatchObject({ type: 'NUMERIC' });
  });

  test('epoch milliseconds as numbers carry the epoch_ms format', () => {
    expect(inferFromValues([1291191960000, 1323435000123])).toMatchObject({ type: 'INT64', format: 'epoch_ms' });
  });

  test('booleans are BOOL', () => {
    expect(inferFromValues([true, false, null])).toEqual({ type: 'BOOL', confidence: 1 });
  });

  test('Dates and Firestore-like timestamps are TIMESTAMP', () => {
    const firestoreTimestamp = { seconds: 1291191960, nanoseconds: 0, toDate: () => new Date(1291191960000) };
    expect(inferFromValues([new Date('2010-12-01T08:26:00Z'), firestoreTimestamp])).toEqual({ type: 'TIMESTAMP', confidence: 1 });
  });

  test('bytes are BYTES', () => {
    expect(inferFromValues([new Uint8Array([1, 2]), Buffer.from('ab')])).toEqual({ type: 'BYTES', confidence: 1 });
  });

  test('a Firestore GeoPoint is GEOGRAPHY', () => {
    class GeoPoint {
      constructor(readonly latitude: number, readonly longitude: number) {}
    }
    expect(inferFromValues([new GeoPoint(51.5, -0.12)])).toEqual({ type: 'GEOGRAPHY', confidence: 1 });
  });

  test('a Firestore DocumentReference is kept as its path', () => {
    class DocumentReference {
      constructor(readonly path: string) {}
    }
    expect(inferFromValues([new DocumentReference('customers/17850')])).toMatchObject({ type: 'STRING', note: expect.stringContaining('paths') });
  });

  test('nested objects are JSON', () => {
    expect(inferFromValues([{ sku: '85123A', qty: 6 }, { sku: '71053' }])).toEqual({ type: 'JSON', confidence: 1 });
  });

  test('arrays are repeated JSON, noting their element type', () => {
    expect(inferFromValues([['Trailers', 'Commentaries'], ['Deleted Scenes'], []])).toEqual({
      type: 'JSON', confidence: 0.9, repeated: true, note: 'arrays of STRING, kept as JSON arrays',
    });
    expect(inferFromValues([[1, 2], [3]])).toMatchObject({ note: 'arrays of INT64, kept as JSON arrays' });
    expect(inferFromValues([[], []])).toMatchObject({ repeated: true, note: 'empty arrays, kept as JSON arrays' });
  });

  test('strings are read as text', () => {
    expect(inferFromValues(['2010-12-01 08:26:00', '2011-12-09 12:50:00'])).toMatchObject({ type: 'DATETIME' });
    expect(inferFromValues(['02134', '10001'])).toMatchObject({ type: 'STRING' });
    expect(inferFromValues(['17850', '', '13047'])).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('mixed primitives are STRING with a note naming the mix and an odd value', () => {
    const suggestion = inferFromValues([1, 2, '3']);
    expect(suggestion).toMatchObject({ type: 'STRING', confidence: 0.67 });
    expect(suggestion.note).toBe('mixed value types (67% numbers, 33% strings, e.g. "3"); kept as text');
  });

  test('objects mixed with primitives are JSON with a note', () => {
    expect(inferFromValues([{ a: 1 }, 5, 'x'])).toMatchObject({ type: 'JSON', confidence: 0.7, note: expect.stringContaining('mixed value types') });
  });

  test('objects mixed with arrays are JSON', () => {
    expect(inferFromValues([{ a: 1 }, [1]])).toMatchObject({ type: 'JSON', confidence: 0.9 });
  });

  test('nothing but nulls is STRING with no confidence', () => {
    expect(inferFromValues([null, undefined, ''])).toMatchObject({ type: 'STRING', confidence: 0 });
  });
});

describe('isTimestampCandidate', () => {
  test.each([
    ['InvoiceDate', { type: 'DATETIME', confidence: 1 }],
    ['last_update', { type: 'TIMESTAMP', confidence: 1 }],
    ['create_date', { type: 'DATE', confidence: 1 }],
    ['event', { type: 'INT64', confidence: 0.9, format: 'epoch_s' }],
    ['ts', { type: 'INT64', confidence: 0.9, format: 'epoch_ms' }],
  ] as const)('%s of type %o is a candidate', (name, suggestion) => {
    expect(isTimestampCandidate(name, suggestion)).toBe(true);
  });

  test.each(['created_at', 'updated_at', 'updatedAt', 'invoice_date', 'pickup_time', 'modified', 'lastUpdate', 'created_on', 'event_ts'])(
    'an INT64 named %s is a candidate',
    (name) => {
      expect(isTimestampCandidate(name, { type: 'INT64', confidence: 1 })).toBe(true);
    },
  );

  test.each(['customer_id', 'quantity', 'update_count', 'dated', 'timeline'])('an INT64 named %s is not', (name) => {
    expect(isTimestampCandidate(name, { type: 'INT64', confidence: 1 })).toBe(false);
  });

  test('text named like a time is not a candidate, since it does not sort as time', () => {
    expect(isTimestampCandidate('created_at', { type: 'STRING', confidence: 0.51 })).toBe(false);
  });

  test('TIME and arrays of timestamps are not candidates', () => {
    expect(isTimestampCandidate('start_time', { type: 'TIME', confidence: 1 })).toBe(false);
    expect(isTimestampCandidate('updated_at', { type: 'JSON', confidence: 0.9, repeated: true })).toBe(false);
  });
});
