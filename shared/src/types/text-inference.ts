import { INT64_MAX, INT64_MIN, exactDecimalType } from './numeric-limits.js';
import type { TypeSuggestion, WarehouseType } from './warehouse-types.js';

/*
 * Type inference from values, for sources without declared types: CSV cells, text columns, JSON
 * documents. A type is suggested only when every non-empty value fits it; otherwise the column stays
 * STRING, because one value that does not parse would fail the whole load. The note then names the
 * near-miss type and a value that does not fit, so a person can clean the source or accept text.
 */

/** A type that some of a column's values fit, and what we would suggest if all of them did. */
interface Candidate {
  /** For the near-miss note: "integers", "dates". */
  label: string;
  fits: readonly boolean[];
  suggestion: () => TypeSuggestion;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:(\d+)\.(\d*)|\.(\d+))$/;
const SCIENTIFIC = /^[+-]?(?:\d+\.?\d*|\.\d+)e[+-]?\d+$/i;
const FLOAT_WORDS = /^[+-]?(?:nan|inf|infinity)$/i;
const LEADING_ZERO = /^[+-]?0\d/;

const STRONG_BOOLEANS = new Set(['true', 'false', 'yes', 'no']);
const LETTER_BOOLEANS = new Set(['t', 'f', 'y', 'n']);

/*
 * Unix times from 2001-09-09 (the first 10-digit second) to 2100-01-01. Earlier times have fewer
 * digits and overlap ordinary counts and ids too much to guess.
 */
const EPOCH_S_MIN = 1_000_000_000n;
const EPOCH_S_MAX = 4_102_444_800n;
const EXAMPLE_LENGTH = 30;

/**
 * Suggests a warehouse type for a column of text values (CSV cells, VARCHAR fields, JSON strings).
 * Null, undefined and blank values are ignored; the others are trimmed.
 *
 * Integers become INT64 (NUMERIC or BIGNUMERIC beyond it; STRING with leading zeros, which mark
 * codes); decimals NUMERIC up to 9 places, otherwise FLOAT64; true/false, yes/no, t/f, y/n BOOL;
 * dates, times and timestamps DATE, TIME, DATETIME (no UTC offset) or TIMESTAMP (with one), with the
 * format found. Anything else, including a column where only most values fit a type, is STRING.
 */
export function inferFromText(values: readonly (string | null | undefined)[]): TypeSuggestion {
  const texts: string[] = [];
  for (const value of values) {
    const text = value?.trim();
    if (text) texts.push(text);
  }
  if (texts.length === 0) return { type: 'STRING', confidence: 0, note: 'every value is empty, so there is nothing to infer a type from' };

  // Most specific first: the first candidate every value fits wins, and wins ties for the near-miss note.
  const candidates = [booleans(texts), integers(texts), decimals(texts), floats(texts), temporals(texts)]
    .filter((candidate): candidate is Candidate => candidate !== undefined);
  let best: { candidate: Candidate; count: number } | undefined;
  for (const candidate of candidates) {
    const count = candidate.fits.filter(Boolean).length;
    if (count === texts.length) return candidate.suggestion();
    if (count > (best?.count ?? 0)) best = { candidate, count };
  }
  if (!best) return { type: 'STRING', confidence: 1 };
  return nearMiss(best.candidate.label, best.count / texts.length, texts[best.candidate.fits.indexOf(false)] ?? '');
}

/**
 * STRING for a column most of whose values fit another type. Confidence falls as the share that fits
 * rises: at 98% the column is probably numbers with a stray value, which a person should decide.
 */
function nearMiss(label: string, share: number, example: string): TypeSuggestion {
  const confidence = round(1 - share / 2);
  if (share < 0.5) return { type: 'STRING', confidence };
  return {
    type: 'STRING',
    confidence,
    note: `${Math.floor(share * 100)}% of values are ${label}, but not e.g. ${quote(example)}; kept as text`,
  };
}

function booleans(texts: readonly string[]): Candidate | undefined {
  const lower = texts.map((text) => text.toLowerCase());
  const isWord = (text: string): boolean => STRONG_BOOLEANS.has(text) || LETTER_BOOLEANS.has(text);
  // Only 0s and 1s are left to the integers: see there.
  if (!lower.some(isWord)) return undefined;
  return {
    label: 'booleans',
    fits: lower.map((text) => isWord(text) || text === '0' || text === '1'),
    suggestion: () => lower.some((text) => LETTER_BOOLEANS.has(text))
      ? { type: 'BOOL', confidence: 0.9, note: 'single letters (t/f, y/n) are read as booleans' }
      : { type: 'BOOL', confidence: 1 },
  };
}

function integers(texts: readonly string[]): Candidate {
  return { label: 'integers', fits: texts.map((text) => INTEGER.test(text)), suggestion: () => integerSuggestion(texts) };
}

function integerSuggestion(texts: readonly string[]): TypeSuggestion {
  const padded = texts.find((text) => LEADING_ZERO.test(text));
  if (padded !== undefined) {
    return { type: 'STRING', confidence: 0.9, note: `leading zeros (e.g. ${quote(padded)}) mark codes rather than numbers; kept as text so the zeros stay` };
  }
  const numbers = texts.map((text) => BigInt(text));
  const outside = numbers.findIndex((n) => n < INT64_MIN || n > INT64_MAX);
  if (outside >= 0) {
    const digits = maxOf(texts.map((text) => text.replace(/^[+-]/, '').length));
    const type = exactDecimalType(digits, 0);
    const example = quote(texts[outside] ?? '');
    if (type) return { type, confidence: 0.9, note: `integers beyond INT64, e.g. ${example}, are kept exactly as ${type}` };
    return { type: 'STRING', confidence: 0.8, note: `integers of ${digits} digits, e.g. ${example}, exceed BIGNUMERIC; kept as text` };
  }
  /*
   * Epoch times stay INT64, with the format as a hint, rather than becoming TIMESTAMP: without the
   * column's name a 10-digit number is as likely an id or a phone number, INT64 loses nothing, and
   * `isTimestampCandidate` and the person in the wizard decide from the name.
   */
  if (numbers.every((n) => n >= EPOCH_S_MIN && n < EPOCH_S_MAX)) {
    return { type: 'INT64', confidence: 0.9, format: 'epoch_s', note: 'every value is a plausible Unix time in seconds (2001–2100); kept as INT64, to convert where it is a time' };
  }
  if (numbers.every((n) => n >= EPOCH_S_MIN * 1000n && n < EPOCH_S_MAX * 1000n)) {
    return { type: 'INT64', confidence: 0.9, format: 'epoch_ms', note: 'every value is a plausible Unix time in milliseconds (2001–2100); kept as INT64, to convert where it is a time' };
  }
  /*
   * A column of only 0s and 1s stays INT64: it may be a flag, but it may be a count that has not yet
   * reached 2, and a 2 would then fail a BOOL load. INT64 serves as a flag feature just as well.
   */
  if (texts.every((text) => text === '0' || text === '1')) {
    return { type: 'INT64', confidence: 0.9, note: 'only 0 and 1 appear: this may be a yes/no flag, which could be BOOL' };
  }
  return { type: 'INT64', confidence: 1 };
}

function decimals(texts: readonly string[]): Candidate | undefined {
  const parsed = texts.map((text) => (INTEGER.test(text) ? { whole: text.replace(/^[+-]/, ''), fraction: '' } : decimalParts(text)));
  // A column without a decimal point is the integers' to judge.
  if (!texts.some((text) => DECIMAL.test(text))) return undefined;
  return {
    label: 'numbers',
    fits: parsed.map((parts) => parts !== undefined),
    suggestion: () => {
      const wholeDigits = maxOf(parsed.map((parts) => parts?.whole.replace(/^0+/, '').length ?? 0));
      const places = maxOf(parsed.map((parts) => parts?.fraction.length ?? 0));
      // Past NUMERIC's 9 places the values are more likely measurements than money: FLOAT64 is the usual home.
      if (exactDecimalType(wholeDigits, places) === 'NUMERIC') return { type: 'NUMERIC', confidence: 1 };
      return {
        type: 'FLOAT64',
        confidence: 0.9,
        note: `values with ${places > 9 ? `${places} decimal places` : `${wholeDigits} digits before the point`} exceed NUMERIC; FLOAT64 keeps about 15 significant digits`,
      };
    },
  };
}

function decimalParts(text: string): { whole: string; fraction: string } | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  return { whole: match[1] ?? '', fraction: match[2] ?? match[3] ?? '' };
}

function floats(texts: readonly string[]): Candidate | undefined {
  const special = (text: string): boolean => SCIENTIFIC.test(text) || FLOAT_WORDS.test(text);
  if (!texts.some(special)) return undefined;
  return {
    label: 'numbers',
    fits: texts.map((text) => INTEGER.test(text) || DECIMAL.test(text) || special(text)),
    suggestion: () => ({ type: 'FLOAT64', confidence: 1 }),
  };
}

// ---------------------------------------------------------------- dates and times

interface DateShape {
  /** Values written the same way share a style: `YYYY-MM-DD`, `NN/NN/YYYY`, `DD-Mon-YYYY`. */
  style: string;
  /** For all-numeric dates such as 09/12/2011: whether each reading is a real date. */
  dayFirst?: boolean;
  monthFirst?: boolean;
  twoDigitYear?: boolean;
}

interface TimeShape {
  seconds: boolean;
  fractionDigits: number;
  meridiem: boolean;
}

interface Temporal {
  date?: DateShape;
  time?: TimeShape;
  offset: boolean;
}

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function monthNumber(word: string): number | undefined {
  const name = word.toLowerCase();
  if (name === 'sept') return 9;
  const index = MONTH_NAMES.findIndex((month) => month === name || (name.length === 3 && month.startsWith(name)));
  return index < 0 ? undefined : index + 1;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

function parseDate(text: string): DateShape | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return isDate(+m[1]!, +m[2]!, +m[3]!) ? { style: 'YYYY-MM-DD' } : undefined;
  m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(text);
  if (m) return isDate(+m[1]!, +m[2]!, +m[3]!) ? { style: 'YYYY/MM/DD' } : undefined;
  m = /^(\d{1,2})([/-])(\d{1,2})\2(\d{4})$/.exec(text);
  if (m) {
    const [first, sep, second, year] = [+m[1]!, m[2]!, +m[3]!, +m[4]!];
    const dayFirst = isDate(year, second, first);
    const monthFirst = isDate(year, first, second);
    return dayFirst || monthFirst ? { style: `NN${sep}NN${sep}YYYY`, dayFirst, monthFirst } : undefined;
  }
  // Dotted dates are day-first wherever they are written (Germany, Russia, Poland, …).
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text);
  if (m) return isDate(+m[3]!, +m[2]!, +m[1]!) ? { style: 'DD.MM.YYYY' } : undefined;
  m = /^(\d{1,2})([ -])([a-z]{3,9})\2(\d{4}|\d{2})$/i.exec(text);
  if (m) {
    const month = monthNumber(m[3]!);
    const twoDigitYear = m[4]!.length === 2;
    // Two-digit years as Oracle's RR reads them: 00–49 are 20xx, 50–99 are 19xx.
    const year = twoDigitYear ? (+m[4]! < 50 ? 2000 : 1900) + +m[4]! : +m[4]!;
    if (month === undefined || !isDate(year, month, +m[1]!)) return undefined;
    return { style: `DD${m[2]}Mon${m[2]}${twoDigitYear ? 'YY' : 'YYYY'}`, twoDigitYear };
  }
  m = /^([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$/i.exec(text);
  if (m) {
    const month = monthNumber(m[1]!);
    return month !== undefined && isDate(+m[3]!, month, +m[2]!) ? { style: 'Mon D, YYYY' } : undefined;
  }
  return undefined;
}

function parseTime(text: string): TimeShape | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([ap])\.?m\.?)?$/i.exec(text);
  if (!m) return undefined;
  const hour = +m[1]!;
  const meridiem = m[5] !== undefined;
  if (meridiem ? hour < 1 || hour > 12 : hour > 23) return undefined;
  if (+m[2]! > 59 || (m[3] !== undefined && +m[3] > 59)) return undefined;
  return { seconds: m[3] !== undefined, fractionDigits: m[4]?.length ?? 0, meridiem };
}

function parseTemporal(text: string): Temporal | undefined {
  const date = parseDate(text);
  if (date) return { date, offset: false };
  const time = parseTime(text);
  if (time) return { time, offset: false };
  const m = /^(.+?)(T|\s+|,\s*)(\d{1,2}:\d{2}.*)$/.exec(text);
  if (!m) return undefined;
  const datePart = parseDate(m[1]!);
  if (!datePart || (m[2] === 'T' && datePart.style !== 'YYYY-MM-DD')) return undefined;
  const zone = /^(.*?)\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)$/i.exec(m[3]!);
  const timePart = parseTime(zone ? zone[1]! : m[3]!);
  return timePart ? { date: datePart, time: timePart, offset: zone !== null } : undefined;
}

function timeFormat(times: readonly TimeShape[]): string {
  const seconds = times.some((t) => t.seconds);
  if (times.some((t) => t.meridiem)) return `h:mm${seconds ? ':ss' : ''} A`;
  const fraction = maxOf(times.map((t) => t.fractionDigits));
  return `HH:mm${seconds ? ':ss' : ''}${fraction > 0 ? `.${'S'.repeat(fraction)}` : ''}`;
}

function temporals(texts: readonly string[]): Candidate | undefined {
  const parsed = texts.map(parseTemporal);
  // Values written in different ways (ISO and 09/12/2011) are not one format: the largest group decides.
  const styleOf = (value: Temporal): string => value.date?.style ?? 'time';
  const groups = new Map<string, number>();
  for (const value of parsed) if (value) groups.set(styleOf(value), (groups.get(styleOf(value)) ?? 0) + 1);
  let style: string | undefined;
  for (const [key, count] of groups) if (style === undefined || count > (groups.get(style) ?? 0)) style = key;
  if (style === undefined) return undefined;

  let fits = parsed.map((value) => value !== undefined && styleOf(value) === style);
  let dateFormat = style;
  let ambiguous = false;
  if (style.startsWith('NN')) {
    const dayFirst = parsed.map((value, i) => fits[i]! && value!.date!.dayFirst === true);
    const monthFirst = parsed.map((value, i) => fits[i]! && value!.date!.monthFirst === true);
    const dayCount = dayFirst.filter(Boolean).length;
    const monthCount = monthFirst.filter(Boolean).length;
    /*
     * A day above 12 in either field settles the order. When none does, we assume day-first, as
     * most of the world writes dates, and say so: the format ends in "?" and the wizard asks.
     */
    const useMonthFirst = monthCount > dayCount;
    ambiguous = dayCount === monthCount && dayCount === fits.filter(Boolean).length;
    fits = useMonthFirst ? monthFirst : dayFirst;
    const sep = style.charAt(2);
    dateFormat = useMonthFirst ? `MM${sep}DD${sep}YYYY` : `DD${sep}MM${sep}YYYY`;
  }
  const members = parsed.filter((value, i): value is Temporal => fits[i]! && value !== undefined);
  const example = texts[fits.indexOf(true)] ?? '';

  return {
    label: style === 'time' ? 'times' : members.some((m) => m.time) ? 'timestamps' : 'dates',
    fits,
    suggestion: () => {
      if (style === 'time') return { type: 'TIME', confidence: 1, format: timeFormat(members.map((m) => m.time!)) };
      const timed = members.filter((m) => m.time);
      const withOffset = timed.filter((m) => m.offset).length;
      const type: WarehouseType = timed.length === 0 ? 'DATE' : withOffset > 0 ? 'TIMESTAMP' : 'DATETIME';
      let format = dateFormat;
      if (timed.length > 0) {
        format = style === 'YYYY-MM-DD' ? 'iso8601' : `${dateFormat} ${timeFormat(timed.map((m) => m.time!))}${withOffset > 0 ? ' Z' : ''}`;
      }
      const notes: string[] = [];
      let confidence = style === 'YYYY-MM-DD' ? 1 : 0.95;
      if (ambiguous) {
        confidence = 0.6;
        format += '?';
        notes.push(`day and month order is ambiguous (no day above 12, e.g. ${quote(example)}); assumed day-first (${dateFormat})`);
      }
      if (members.some((m) => m.date?.twoDigitYear)) {
        confidence = Math.min(confidence, 0.9);
        notes.push('two-digit years are read as 1950–2049');
      }
      if (withOffset > 0 && withOffset < timed.length) {
        confidence = Math.min(confidence, 0.8);
        notes.push(`${timed.length - withOffset} of ${timed.length} values have no UTC offset and are read as UTC`);
      }
      return { type, confidence, format, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
    },
  };
}

// ---------------------------------------------------------------- typed values

type ValueKind = 'number' | 'boolean' | 'string' | 'timestamp' | 'bytes' | 'geopoint' | 'reference' | 'object' | 'array';

const KIND_LABELS: Readonly<Record<ValueKind, string>> = {
  number: 'numbers', boolean: 'booleans', string: 'strings', timestamp: 'timestamps', bytes: 'bytes',
  geopoint: 'geo points', reference: 'document references', object: 'objects', array: 'arrays',
};

const constructorName = (value: object): string | undefined => (value as { constructor?: { name?: string } }).constructor?.name;

function kindOf(value: unknown): ValueKind | undefined {
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return value.trim() === '' ? undefined : 'string';
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) return 'array';
      if (value instanceof Date) return 'timestamp';
      if (value instanceof Uint8Array || value instanceof ArrayBuffer) return 'bytes';
      // Firestore's classes, recognised by shape so that this module needs no Firestore import.
      if (typeof (value as { toDate?: unknown }).toDate === 'function') return 'timestamp';
      const name = constructorName(value);
      if (name === 'GeoPoint') return 'geopoint';
      if (name === 'DocumentReference') return 'reference';
      if (name === 'Bytes') return 'bytes';
      return 'object';
    }
    default:
      return undefined;
  }
}

function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Suggests a warehouse type for values already decoded into JavaScript (JSON, JSONL, Firestore,
 * Parquet). Null, undefined and blank strings are ignored.
 *
 * Numbers follow the text rules on their shortest written form, so 2.55 is NUMERIC as it would be
 * in a CSV, while 0.1 + 0.2 (0.30000000000000004) is FLOAT64. Dates and Firestore timestamps are
 * instants (TIMESTAMP); objects are JSON and arrays JSON with `repeated`; strings go to
 * {@link inferFromText}. Primitives of different kinds make STRING, and a mix with objects or
 * arrays JSON, each with a note.
 */
export function inferFromValues(values: readonly unknown[]): TypeSuggestion {
  const present: { value: unknown; kind: ValueKind }[] = [];
  for (const value of values) {
    const kind = kindOf(value);
    if (kind) present.push({ value, kind });
  }
  if (present.length === 0) return { type: 'STRING', confidence: 0, note: 'every value is empty, so there is nothing to infer a type from' };

  const counts = new Map<ValueKind, number>();
  for (const { kind } of present) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  if (counts.size === 1) return inferOneKind(present[0]!.kind, present.map(({ value }) => value));

  const kinds = [...counts.keys()];
  const summary = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${Math.round((count / present.length) * 100)}% ${KIND_LABELS[kind]}`).join(', ');
  if (kinds.every((kind) => kind === 'object' || kind === 'array')) {
    return { type: 'JSON', confidence: 0.9, note: `a mix of objects and arrays (${summary}) is kept as JSON` };
  }
  if (kinds.some((kind) => kind === 'object' || kind === 'array')) {
    return { type: 'JSON', confidence: 0.7, note: `mixed value types (${summary}) are kept as JSON, which holds them all` };
  }
  // Mixed primitives: text holds every one of them, and a person may still clean the odd ones out.
  const [dominant, dominantCount] = [...counts.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
  const odd = present.find(({ kind }) => kind !== dominant);
  return {
    type: 'STRING',
    confidence: round(1 - dominantCount / present.length / 2),
    note: `mixed value types (${summary}, e.g. ${quote(display(odd?.value))}); kept as text`,
  };
}

function inferOneKind(kind: ValueKind, values: readonly unknown[]): TypeSuggestion {
  switch (kind) {
    case 'number':
      // String() writes the shortest form that reads back as the same number, as a JSON writer would.
      return inferFromText(values.map((value) => String(value)));
    case 'string':
      return inferFromText(values as readonly string[]);
    case 'boolean':
      return { type: 'BOOL', confidence: 1 };
    case 'timestamp':
      return { type: 'TIMESTAMP', confidence: 1 };
    case 'bytes':
      return { type: 'BYTES', confidence: 1 };
    case 'geopoint':
      return { type: 'GEOGRAPHY', confidence: 1 };
    case 'reference':
      return { type: 'STRING', confidence: 0.9, note: 'document references are kept as their paths' };
    case 'object':
      return { type: 'JSON', confidence: 1 };
    case 'array': {
      const element = inferFromValues((values as readonly unknown[][]).flat());
      const of = element.confidence === 0 ? 'empty arrays' : `arrays of ${element.repeated ? 'arrays' : element.type}`;
      return { type: 'JSON', confidence: 0.9, note: `${of}, kept as JSON arrays`, repeated: true };
    }
  }
}

// ---------------------------------------------------------------- watermark candidates

/** Names that say "when": created_at, updated, last_update, InvoiceDate, event_ts, modified_on. */
const TIME_NAME = /(^|_)(created|updated|modified|changed|inserted|deleted|last_update|last_updated|last_modified|timestamp|ts|datetime|date|time)(_|$)|_(at|on|dt)$/;

/**
 * Whether a column could be a transactional load's watermark: a DATE, DATETIME or TIMESTAMP; an
 * integer holding epoch times (`format` epoch_s or epoch_ms); or an INT64 whose name says it is a
 * time (created_at, updated_at, *_date, *_time, last_update, modified), which covers epoch times
 * outside the range `inferFromText` recognises and dates written as 20111209. Text is never a
 * candidate, even when named like one: it does not sort as time.
 */
export function isTimestampCandidate(columnName: string, suggestion: TypeSuggestion): boolean {
  if (suggestion.repeated) return false;
  if (suggestion.type === 'TIMESTAMP' || suggestion.type === 'DATETIME' || suggestion.type === 'DATE') return true;
  if (suggestion.format === 'epoch_s' || suggestion.format === 'epoch_ms') return true;
  if (suggestion.type !== 'INT64') return false;
  const snake = columnName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return TIME_NAME.test(snake);
}

// ---------------------------------------------------------------- helpers

function quote(value: string): string {
  const short = value.length > EXAMPLE_LENGTH ? `${value.slice(0, EXAMPLE_LENGTH)}…` : value;
  return JSON.stringify(short);
}

/** Math.max(...values) overflows the call stack on large samples; this does not. */
function maxOf(values: readonly number[]): number {
  return values.reduce((max, value) => (value > max ? value : max), 0);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
