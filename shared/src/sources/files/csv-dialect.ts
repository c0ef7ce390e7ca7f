import type { CsvDialect } from '../source.js';
import { inferFromText } from '../../types/text-inference.js';
import type { WarehouseType } from '../../types/warehouse-types.js';

/** Delimiters we try, in the order we prefer them when two fit equally well. */
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
/** Quote characters we try, the usual one first. */
export const CSV_QUOTES = ['"', "'"] as const;

/** How many records the delimiter and header detection look at. */
const SNIFF_RECORDS = 200;

/**
 * The encoding of a file's first bytes: UTF-16 LE when it starts with its byte order mark, UTF-8
 * when the bytes are valid UTF-8 (with or without a BOM), otherwise Latin-1 (ISO 8859-1), which
 * is what spreadsheet exports from older Windows programs usually are.
 */
export function detectEncoding(bytes: Uint8Array): CsvDialect['encoding'] {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf16le';
  try {
    // stream: true keeps a multi-byte character cut by the range from counting as invalid.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return 'utf8';
  } catch {
    return 'latin1';
  }
}

/** Decodes a file's first bytes as text, without the byte order mark. */
export function decodeText(bytes: Uint8Array, encoding: CsvDialect['encoding']): string {
  if (encoding === 'utf16le') {
    const start = bytes[0] === 0xff && bytes[1] === 0xfe ? 2 : 0;
    const end = start + Math.floor((bytes.length - start) / 2) * 2;
    return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf16le');
  }
  if (encoding === 'latin1') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return new TextDecoder('utf-8').decode(bytes, { stream: true });
}

/**
 * The number of fields of each record in `text` for a delimiter and quote, honouring quoted fields
 * (with delimiters and line breaks inside them, and doubled quotes). A quote counts only at the
 * start of a field, so the apostrophe of `O'Brien` opens nothing. Empty lines are skipped.
 * When `complete` is false the text was cut, and its last record is left out.
 */
export function fieldCounts(text: string, delimiter: string, quote: string, complete: boolean, maxRecords = SNIFF_RECORDS): number[] {
  const counts: number[] = [];
  let fields = 1;
  let fieldStart = true;
  let inQuotes = false;
  let empty = true;
  for (let i = 0; i < text.length && counts.length < maxRecords; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === quote) {
        if (text[i + 1] === quote) i++;
        else inQuotes = false;
      }
      continue;
    }
    if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (!empty) counts.push(fields);
      fields = 1;
      fieldStart = true;
      empty = true;
      continue;
    }
    empty = false;
    if (c === delimiter) {
      fields++;
      fieldStart = true;
      continue;
    }
    if (c === quote && fieldStart) inQuotes = true;
    fieldStart = false;
  }
  if (complete && !empty && counts.length < maxRecords) counts.push(fields);
  return counts;
}

/** How many fields start and end with `quote` (the evidence that it is the file's quote). */
function quotedFields(text: string, delimiter: string, quote: string): number {
  const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const d = escaped(delimiter);
  const q = escaped(quote);
  const pattern = new RegExp(`(?:^|${d}|\\n)${q}[^${q}\\n]*${q}(?=${d}|\\r?\\n|$)`, 'g');
  return text.slice(0, 64 * 1024).match(pattern)?.length ?? 0;
}

/**
 * Finds the delimiter and the quote: the delimiter that splits the most records into the same
 * number (two or more) of fields, with quoted fields honoured; ties go to the order of
 * `CSV_DELIMITERS`. The quote is `'` only when more fields are wrapped in it than in `"`.
 */
export function detectDelimiterAndQuote(text: string, complete: boolean): { delimiter: string; quote: string } {
  let best = { delimiter: ',', quote: '"', score: 0 };
  for (const quote of CSV_QUOTES) {
    for (const delimiter of CSV_DELIMITERS) {
      const counts = fieldCounts(text, delimiter, quote, complete);
      if (counts.length === 0) continue;
      const frequency = new Map<number, number>();
      for (const n of counts) frequency.set(n, (frequency.get(n) ?? 0) + 1);
      let mode = 1;
      let modeCount = 0;
      for (const [n, count] of frequency) {
        if (count > modeCount || (count === modeCount && n > mode)) [mode, modeCount] = [n, count];
      }
      if (mode < 2) continue;
      // The share of records with the usual number of fields; a header that disagrees counts twice,
      // since the header is the line a wrong delimiter (decimal commas) most often gets wrong.
      const score = (modeCount - (counts[0] === mode ? 0 : 1)) / counts.length;
      if (score > best.score) best = { delimiter, quote, score };
    }
  }
  return { delimiter: best.delimiter, quote: detectQuote(text, best.delimiter) };
}

type Family = 'number' | 'time' | 'bool' | 'text' | 'other';

function family(type: WarehouseType): Family {
  switch (type) {
    case 'INT64': case 'FLOAT64': case 'NUMERIC': case 'BIGNUMERIC': return 'number';
    case 'DATE': case 'TIME': case 'DATETIME': case 'TIMESTAMP': return 'time';
    case 'BOOL': return 'bool';
    case 'STRING': return 'text';
    default: return 'other';
  }
}

/**
 * Whether the first record is a header. Per column, the first value's type is compared with the
 * type of the values below it: a column of numbers or dates under a word votes for a header, a
 * column whose first value has the type of the rest votes against. When every column is text,
 * the first record is a header if its values are distinct and none of them appears again below.
 */
export function detectHeader(records: readonly (readonly string[])[]): boolean {
  const [first, ...rest] = records.slice(0, SNIFF_RECORDS);
  if (!first) return false;
  if (rest.length === 0) return first.every((value) => value.trim() !== '' && family(inferFromText([value]).type) === 'text');
  let forHeader = 0;
  let againstHeader = 0;
  first.forEach((value, i) => {
    if (value.trim() === '') return;
    const below = family(inferFromText(rest.map((record) => emptyToNull(record[i]))).type);
    const own = family(inferFromText([value]).type);
    if (below === 'text' || below === 'other') return;
    if (own === below) againstHeader++;
    else forHeader++;
  });
  if (forHeader > 0 || againstHeader > 0) return forHeader > againstHeader;
  const names = first.map((value) => value.trim()).filter((value) => value !== '');
  if (new Set(names).size !== names.length) return false;
  return first.every((value, i) => value.trim() === '' || !rest.some((record) => record[i] === value));
}

function emptyToNull(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value;
}

/** The detection's findings before the header is known (it needs the records parsed). */
export interface TextDialect {
  text: string;
  delimiter: string;
  quote: string;
  encoding: CsvDialect['encoding'];
}

/**
 * Decodes a CSV file's first bytes and finds its delimiter and quote; anything in `override`
 * is taken as given. `tsv` makes a tab the default for `.tsv` files.
 */
export function detectTextDialect(bytes: Uint8Array, complete: boolean, override: Partial<CsvDialect> = {}, tsv = false): TextDialect {
  const encoding = override.encoding ?? detectEncoding(bytes);
  const text = decodeText(bytes, encoding);
  const found = detectDelimiterAndQuote(text, complete);
  const delimiter = override.delimiter ?? (tsv ? '\t' : found.delimiter);
  // The quote is looked for again when the delimiter is not the one found: it depends on it.
  const quote = override.quote ?? (delimiter === found.delimiter ? found.quote : detectQuote(text, delimiter));
  return { text, delimiter, quote, encoding };
}

function detectQuote(text: string, delimiter: string): string {
  return quotedFields(text, delimiter, "'") > quotedFields(text, delimiter, '"') ? "'" : '"';
}
