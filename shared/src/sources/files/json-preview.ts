import type { Preview } from '../source.js';
import { SourceError } from '../source-error.js';
import { inferFromValues } from '../../types/text-inference.js';
import { columnPreview, INFERENCE_ROWS, jsonSafe } from './column-preview.js';
import { decodeText, detectEncoding } from './csv-dialect.js';
import type { FileHead } from './file-head.js';

/**
 * Previews a JSON file from its first bytes: either one array of objects, or one object per line
 * (JSONL, NDJSON, or objects simply written one after another). Keys become columns in the order
 * they first appear; objects and arrays inside a row make JSON columns (see `inferFromValues`).
 */
export function previewJson(head: FileHead, options: { path: string; limit: number }): Preview {
  const text = decodeText(head.bytes, detectEncoding(head.bytes));
  const values = scanJsonValues(text, head.complete, INFERENCE_ROWS, options.path);
  if (values.length === 0 && !head.complete) {
    throw new SourceError('invalid_config', `The first record of ${options.path} is larger than the ${head.bytes.length / 1024} KiB a preview reads`, 'A file of one huge object cannot be previewed: write one object per line (JSONL), or an array of records.');
  }
  const records = values.map((value) => (isPlainObject(value) ? value : { value }));

  const names: string[] = [];
  const known = new Set<string>();
  for (const record of records) {
    for (const key of Object.keys(record)) {
      if (!known.has(key)) {
        known.add(key);
        names.push(key);
      }
    }
  }
  const columns = names.map((name) => {
    const raw = records.map((record) => (name in record ? record[name] : null));
    return columnPreview(name, jsonTypeName(raw), inferFromValues(raw), raw.map(jsonSafe));
  });
  const rows = records.slice(0, options.limit).map((record) => Object.fromEntries(names.map((name) => [name, jsonSafe(record[name] ?? null)])));
  return { columns, rows };
}

/** The JSON types a column holds, e.g. `number`, `string|null`, `object`. */
function jsonTypeName(values: readonly unknown[]): string {
  const types = new Set<string>();
  for (const value of values) types.add(value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  const named = [...types].filter((type) => type !== 'null');
  return named.length === 0 ? 'null' : named.join('|');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The top-level values of a JSON text: the elements of an array, or values one after another
 * (JSONL). Each value is found by scanning for its end (strings and nesting honoured) and parsed
 * on its own, so a text cut by the range read yields the values before the cut.
 */
export function scanJsonValues(text: string, complete: boolean, max: number, path = 'the file'): unknown[] {
  const values: unknown[] = [];
  let i = skipSpace(text, 0);
  const inArray = text[i] === '[';
  if (inArray) i = skipSpace(text, i + 1);
  while (i < text.length && values.length < max) {
    if (inArray && text[i] === ']') return values;
    const end = valueEnd(text, i);
    if (end === undefined) {
      if (complete) throw invalidJson(path, text, i, 'a value is not closed');
      return values;
    }
    try {
      values.push(JSON.parse(text.slice(i, end)));
    } catch (error) {
      // A cut number or literal at the very end of a cut text is not an error.
      if (!complete && skipSpace(text, end) >= text.length) return values;
      throw invalidJson(path, text, i, (error as Error).message);
    }
    i = skipSpace(text, end);
    if (inArray) {
      if (text[i] === ',') i = skipSpace(text, i + 1);
      else if (text[i] !== ']' && i < text.length) throw invalidJson(path, text, i, 'expected , or ] after an element');
    } else if (text[i] === ',') {
      i = skipSpace(text, i + 1);
    }
  }
  if (inArray && complete && values.length < max) throw invalidJson(path, text, i, 'the array is not closed');
  return values;
}

/** Where the value starting at `start` ends (exclusive), or undefined when the text ends first. */
function valueEnd(text: string, start: number): number | undefined {
  const first = text[start];
  if (first !== '{' && first !== '[' && first !== '"') {
    let i = start;
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t' || text[i] === '\uFEFF')) i++;
  return i;
}

function invalidJson(path: string, text: string, at: number, reason: string): SourceError {
  const line = text.slice(0, at).split('\n').length;
  return new SourceError('invalid_config', `${path} is not valid JSON at line ${line}: ${reason}`, 'Check that the file holds an array of objects or one JSON object per line, or choose the CSV or Parquet format.');
}
