import { describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectEncoding, detectHeader, detectTextDialect, fieldCounts, decodeText } from './csv-dialect.js';
import { previewCsv } from './csv-preview.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/files');
const fixture = (name: string) => readFile(path.join(FIXTURES, name));
const records = (text: string, delimiter = ',') => parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true }) as string[][];

describe('delimiter and quote', () => {
  test('the Online Retail export is comma-separated with double quotes', async () => {
    const found = detectTextDialect(await fixture('online_retail_sample.csv'), true);
    expect(found).toMatchObject({ delimiter: ',', quote: '"', encoding: 'utf8' });
  });

  test('a European export is semicolon-separated even though its decimal commas are as frequent', async () => {
    const found = detectTextDialect(await fixture('online_retail_semicolon.csv'), true);
    expect(found.delimiter).toBe(';');
  });

  test('tabs and pipes are found', () => {
    const tsv = 'id\tname\tprice\n1\tLantern, white\t3.39\n2\tMug\t1.25\n';
    const piped = 'id|name|price\n1|Lantern, white|3.39\n2|Mug; blue|1.25\n';
    expect(detectTextDialect(Buffer.from(tsv), true).delimiter).toBe('\t');
    expect(detectTextDialect(Buffer.from(piped), true).delimiter).toBe('|');
  });

  test('delimiters and line breaks inside quotes do not count', () => {
    const text = 'id,note\n1,"a, b\nand c"\n2,"say ""hi"", then go"\n3,plain';
    expect(fieldCounts(text, ',', '"', true)).toEqual([2, 2, 2, 2]);
  });

  test('a text cut by a range read leaves its last record out', () => {
    expect(fieldCounts('a,b\n1,2\n3', ',', '"', false)).toEqual([2, 2]);
  });

  test("single quotes are the quote when fields are wrapped in them, but an apostrophe is not", () => {
    const quoted = "id;name\n1;'Smith; John'\n2;'Doe; Jane'\n";
    expect(detectTextDialect(Buffer.from(quoted), true)).toMatchObject({ delimiter: ';', quote: "'" });
    const apostrophes = "id,name\n1,O'Brien\n2,\"Smith, John\"\n3,D'Arcy\n";
    expect(detectTextDialect(Buffer.from(apostrophes), true)).toMatchObject({ delimiter: ',', quote: '"' });
  });

  test('a single-column file defaults to the comma', () => {
    expect(detectTextDialect(Buffer.from('email\na@example.com\nb@example.com\n'), true).delimiter).toBe(',');
  });

  test('a person\'s delimiter or quote wins over detection, and .tsv defaults to tabs', () => {
    const text = Buffer.from('a,b;c\n1,2;3\n');
    expect(detectTextDialect(text, true, { delimiter: ';' }).delimiter).toBe(';');
    expect(detectTextDialect(text, true, { quote: "'" }).quote).toBe("'");
    expect(detectTextDialect(Buffer.from('single\nvalue\n'), true, {}, true).delimiter).toBe('\t');
  });
});

describe('encoding', () => {
  test('an old Windows export with a pound sign is Latin-1', async () => {
    const bytes = await fixture('online_retail_latin1.csv');
    expect(detectEncoding(bytes)).toBe('latin1');
    expect(decodeText(bytes, 'latin1')).toContain('Dotcomgiftshop Gift Voucher £40.00');
  });

  test('UTF-8 with or without a byte order mark is UTF-8, and the mark is dropped', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name\n£40\n')]);
    expect(detectEncoding(withBom)).toBe('utf8');
    expect(decodeText(withBom, 'utf8')).toBe('name\n£40\n');
  });

  test('a multi-byte character cut by the range read does not make the file Latin-1', () => {
    const cut = Buffer.from('name\nVoucher £40\n£').subarray(0, -1);
    expect(detectEncoding(cut)).toBe('utf8');
  });

  test('UTF-16 LE is recognised by its byte order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id;name\n1;Müller\n2;Søren\n', 'utf16le')]);
    const found = detectTextDialect(bytes, true);
    expect(found).toMatchObject({ encoding: 'utf16le', delimiter: ';' });
    expect(found.text).toBe('id;name\n1;Müller\n2;Søren\n');
  });
});

describe('header row', () => {
  test('the Online Retail export has a header: words above numbers and dates', async () => {
    expect(detectHeader(records((await fixture('online_retail_sample.csv')).toString()))).toBe(true);
  });

  test('the same rows without their header have none: the first row is like the rest', async () => {
    expect(detectHeader(records((await fixture('online_retail_noheader.csv')).toString()))).toBe(false);
  });

  test('a text-only file has a header when its first values are distinct and never repeated below', () => {
    expect(detectHeader(records('country,city\nFrance,Paris\nFrance,Lyon\nSpain,Madrid\n'))).toBe(true);
    expect(detectHeader(records('France,Paris\nFrance,Lyon\nSpain,Madrid\n'))).toBe(false);
  });
});

describe('CSV preview', () => {
  test('the Online Retail sample shows its columns with types, samples and the dialect found', async () => {
    const preview = previewCsv({ bytes: await fixture('online_retail_sample.csv'), gzip: false, complete: true }, { path: 'online_retail_sample.csv', limit: 20 });
    expect(preview.csv).toEqual({ delimiter: ',', quote: '"', header: true, encoding: 'utf8', gzip: false });
    expect(preview.columns.map((c) => c.name)).toEqual(['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']);
    const column = (name: string) => preview.columns.find((c) => c.name === name)!;
    expect(column('Quantity').suggested.type).toBe('INT64');
    expect(column('InvoiceDate').suggested.type).toBe('DATETIME');
    expect(column('InvoiceDate').timestampCandidate).toBe(true);
    expect(column('Country').samples).toContain('United Kingdom');
    expect(column('Country').samples.length).toBeLessThanOrEqual(5);
    expect(preview.rows).toHaveLength(20);
    expect(preview.rows[0]).toMatchObject({ InvoiceNo: '536365', Description: 'WHITE HANGING HEART T-LIGHT HOLDER', Quantity: '6' });
  });

  test('a person can say the file has no header', async () => {
    const preview = previewCsv({ bytes: await fixture('online_retail_sample.csv'), gzip: false, complete: true }, { path: 'x.csv', limit: 3, override: { header: false } });
    expect(preview.csv?.header).toBe(false);
    expect(preview.rows[0]).toMatchObject({ column_1: 'InvoiceNo', column_8: 'Country' });
  });

  test('a head cut in the middle of a line keeps the whole lines before it', async () => {
    const bytes = (await fixture('online_retail_sample.csv')).subarray(0, 1000);
    const preview = previewCsv({ bytes, gzip: false, complete: false }, { path: 'x.csv', limit: 100 });
    const last = preview.rows.at(-1)!;
    expect(last.Country).toBe('United Kingdom');
  });

  test('blank and repeated header names get names of their own', () => {
    const preview = previewCsv({ bytes: Buffer.from(',id,id\n1,2,3\n'), gzip: false, complete: true }, { path: 'x.csv', limit: 5, override: { header: true } });
    expect(preview.columns.map((c) => c.name)).toEqual(['column_1', 'id', 'id_2']);
  });
});
