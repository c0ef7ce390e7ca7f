import { parse } from 'csv-parse/sync';
import type { CsvDialect, Preview } from '../source.js';
import { SourceError } from '../source-error.js';
import { inferFromText } from '../../types/text-inference.js';
import { columnPreview, INFERENCE_ROWS } from './column-preview.js';
import { detectHeader, detectTextDialect } from './csv-dialect.js';
import type { FileHead } from './file-head.js';

/**
 * Previews a CSV file from its first bytes: finds the dialect (each part of which `override` can
 * set), parses up to a thousand records with csv-parse, suggests a type per column from its text
 * and returns the first `limit` rows. Empty cells are null.
 */
export function previewCsv(head: FileHead, options: { path: string; limit: number; override?: Partial<CsvDialect>; tsv?: boolean }): Preview {
  const override = options.override ?? {};
  const found = detectTextDialect(head.bytes, head.complete, override, options.tsv);
  const records = parseRecords(found.text, found.delimiter, found.quote, head.complete, options.path);
  if (records.length === 0 && !head.complete) {
    throw new SourceError('invalid_config', `The first line of ${options.path} is longer than the ${head.bytes.length / 1024} KiB a preview reads`, 'Check that the file is CSV with line breaks between records; set the format if it is JSON or Parquet.');
  }
  const header = override.header ?? detectHeader(records);
  const body = header ? records.slice(1) : records;
  const width = Math.max(0, ...records.map((record) => record.length));
  const names = columnNames(header ? records[0] : undefined, width);

  const cells = (i: number) => body.map((record) => emptyToNull(record[i]));
  const columns = names.map((name, i) => {
    const values = cells(i);
    return columnPreview(name, 'text', inferFromText(values), values);
  });
  const rows = body.slice(0, options.limit).map((record) => Object.fromEntries(names.map((name, i) => [name, emptyToNull(record[i])])));
  const csv: CsvDialect = { delimiter: found.delimiter, quote: found.quote, header, encoding: found.encoding, gzip: head.gzip };
  return { columns, rows, csv };
}

/**
 * Up to a thousand records (plus the header). When the text was cut by the range read, the cut
 * line is dropped, and a parse error after some records (a quoted field cut in the middle) ends
 * the sample instead of failing it.
 */
function parseRecords(text: string, delimiter: string, quote: string, complete: boolean, path: string): string[][] {
  const input = complete ? text : text.slice(0, Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1);
  const records: string[][] = [];
  try {
    parse(input, {
      delimiter,
      quote,
      escape: quote,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      to: INFERENCE_ROWS + 1,
      on_record: (record: string[]) => {
        records.push(record);
        return null;
      },
    });
  } catch (error) {
    // A preview shows what parsed before a broken line; the extraction reports that line as rejected.
    if (records.length === 0) {
      const shown = delimiter === '\t' ? 'tab' : delimiter;
      throw new SourceError('invalid_config', `${path} could not be read as CSV (delimiter ${shown}, quote ${quote}): ${(error as Error).message}`, 'Check that the file is CSV, and set the delimiter, quote and encoding by hand if the detected ones are wrong.', { cause: error });
    }
  }
  return records.slice(0, INFERENCE_ROWS + 1);
}

/** The header's names, trimmed, with blanks named by position and repeats numbered. */
export function columnNames(header: readonly string[] | undefined, width: number): string[] {
  const names: string[] = [];
  const used = new Set<string>();
  for (let i = 0; i < Math.max(width, header?.length ?? 0); i++) {
    const base = header?.[i]?.trim() || `column_${i + 1}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    names.push(name);
  }
  return names;
}

function emptyToNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
