import { cachedAsyncBuffer, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData, type SchemaElement, type SchemaTree } from 'hyparquet';
import type { Preview } from '../source.js';
import { SourceError } from '../source-error.js';
import { inferFromValues } from '../../types/text-inference.js';
import type { TypeSuggestion, WarehouseType } from '../../types/warehouse-types.js';
import { columnPreview, INFERENCE_ROWS, jsonSafe } from './column-preview.js';
import { collect } from './file-head.js';
import type { FileStore } from './file-store.js';

/**
 * A Parquet file as hyparquet reads it: every slice is a range request to the store, so only the
 * footer and the column chunks of the first row group are fetched, never the whole file.
 */
export function storeAsyncBuffer(store: FileStore, path: string, size: number, options: { signal?: AbortSignal; timeoutMs?: number }): AsyncBuffer {
  return cachedAsyncBuffer({
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const last = Math.min(end ?? size, size) - 1;
      if (last < start) return new ArrayBuffer(0);
      const stream = await store.read(path, { start, end: last, signal: options.signal, timeoutMs: options.timeoutMs });
      const { bytes } = await collect(stream, last - start + 1, options.signal);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  });
}

/**
 * Previews a Parquet file: the schema from the footer, and up to a thousand rows of the first row
 * group (memory is bounded by that row group's size). Parquet's own types decide the suggestion
 * where they are definite (integers, floats, decimals, dates, timestamps); text columns are
 * inferred from their values, since dates are often stored as strings.
 */
export async function previewParquet(store: FileStore, path: string, size: number, options: { limit: number; signal?: AbortSignal; timeoutMs?: number }): Promise<Preview> {
  const file = storeAsyncBuffer(store, path, size, options);
  let metadata: FileMetaData;
  let objects: Record<string, unknown>[];
  try {
    metadata = await parquetMetadataAsync(file);
    const rowEnd = Math.min(Number(metadata.num_rows), Math.max(options.limit, INFERENCE_ROWS));
    objects = rowEnd > 0 ? await parquetReadObjects({ file, metadata, rowStart: 0, rowEnd, useOffsetIndex: true }) : [];
  } catch (error) {
    if (error instanceof SourceError) throw error;
    const message = (error as Error).message;
    const hint = /compression/i.test(message)
      ? 'The file uses a compression this server cannot read yet; write it with Snappy (the usual default) or without compression.'
      : 'Check that the file is a complete Parquet file, or choose another format for it.';
    throw new SourceError('invalid_config', `${path} could not be read as Parquet: ${message}`, hint, { cause: error });
  }

  const nodes = parquetSchema(metadata).children;
  const columns = nodes.map((node) => {
    const name = node.element.name;
    const isDate = node.element.logical_type?.type === 'DATE' || node.element.converted_type === 'DATE';
    const values = objects.map((row) => (isDate && row[name] instanceof Date ? (row[name] as Date).toISOString().slice(0, 10) : jsonSafe(row[name])));
    const raw = objects.map((row) => row[name]);
    const suggested = definiteType(node) ?? (raw.some((value) => value instanceof Uint8Array) ? { type: 'BYTES' as const, confidence: 1 } : inferFromValues(values));
    return { column: columnPreview(name, sourceTypeOf(node), suggested, values, node.element.repetition_type !== 'REQUIRED'), values };
  });
  const rows = objects.slice(0, options.limit).map((_, r) => Object.fromEntries(columns.map(({ column, values }) => [column.name, values[r] ?? null])));
  return { columns: columns.map(({ column }) => column), rows };
}

const sure = (type: WarehouseType, extra: Partial<TypeSuggestion> = {}): TypeSuggestion => ({ type, confidence: 1, ...extra });

/** BigQuery's NUMERIC holds 29 digits before the point and 9 after; wider decimals need BIGNUMERIC. */
function decimal(precision = 38, scale = 0): TypeSuggestion {
  return sure(scale <= 9 && precision - scale <= 29 ? 'NUMERIC' : 'BIGNUMERIC', { format: `DECIMAL(${precision},${scale})` });
}

/** The type Parquet's schema fixes, or undefined when the values must decide (text, raw bytes). */
function definiteType(node: SchemaTree): TypeSuggestion | undefined {
  const element = node.element;
  const logical = element.logical_type;
  if (logical) {
    switch (logical.type) {
      case 'STRING': case 'ENUM': case 'NULL': return undefined;
      case 'UUID': case 'INTERVAL': return sure('STRING');
      case 'DATE': return sure('DATE');
      case 'TIME': return sure('TIME');
      case 'TIMESTAMP': return logical.isAdjustedToUTC ? sure('TIMESTAMP') : sure('DATETIME', { note: 'a local date and time, without a time zone' });
      case 'INTEGER': return logical.bitWidth === 64 && !logical.isSigned ? sure('NUMERIC', { note: 'unsigned 64-bit integers may not fit INT64' }) : sure('INT64');
      case 'DECIMAL': return decimal(logical.precision, logical.scale);
      case 'FLOAT16': return sure('FLOAT64');
      case 'JSON': case 'BSON': case 'VARIANT': case 'MAP': return sure('JSON');
      case 'LIST': return sure('JSON', { repeated: true });
      case 'GEOMETRY': case 'GEOGRAPHY': return sure('GEOGRAPHY');
    }
  }
  switch (element.converted_type) {
    case 'UTF8': case 'ENUM': return undefined;
    case 'DATE': return sure('DATE');
    case 'TIME_MILLIS': case 'TIME_MICROS': return sure('TIME');
    case 'TIMESTAMP_MILLIS': case 'TIMESTAMP_MICROS': return sure('TIMESTAMP');
    case 'UINT_64': return sure('NUMERIC', { note: 'unsigned 64-bit integers may not fit INT64' });
    case 'INT_8': case 'INT_16': case 'INT_32': case 'INT_64': case 'UINT_8': case 'UINT_16': case 'UINT_32': return sure('INT64');
    case 'DECIMAL': return decimal(element.precision, element.scale);
    case 'JSON': case 'BSON': case 'MAP': case 'MAP_KEY_VALUE': return sure('JSON');
    case 'LIST': return sure('JSON', { repeated: true });
    case 'INTERVAL': return sure('STRING');
  }
  if (node.children.length > 0) return sure('JSON');
  if (element.repetition_type === 'REPEATED') return sure('JSON', { repeated: true });
  switch (element.type) {
    case 'BOOLEAN': return sure('BOOL');
    case 'INT32': case 'INT64': return sure('INT64');
    case 'INT96': return sure('TIMESTAMP', { note: 'a legacy INT96 timestamp' });
    case 'FLOAT': case 'DOUBLE': return sure('FLOAT64');
    default: return undefined;
  }
}

/** Parquet's own name for a column's type, e.g. `INT64 TIMESTAMP(MICROS, UTC)` or `BYTE_ARRAY STRING`. */
function sourceTypeOf(node: SchemaTree): string {
  const element: SchemaElement = node.element;
  const logical = element.logical_type;
  let annotation: string | undefined;
  if (logical) {
    switch (logical.type) {
      case 'TIMESTAMP': case 'TIME': annotation = `${logical.type}(${logical.unit}${logical.isAdjustedToUTC ? ', UTC' : ''})`; break;
      case 'DECIMAL': annotation = `DECIMAL(${logical.precision},${logical.scale})`; break;
      case 'INTEGER': annotation = `${logical.isSigned ? 'INT' : 'UINT'}(${logical.bitWidth})`; break;
      default: annotation = logical.type;
    }
  } else if (element.converted_type) {
    annotation = element.converted_type;
  }
  const physical = element.type === 'FIXED_LEN_BYTE_ARRAY' ? `FIXED_LEN_BYTE_ARRAY(${element.type_length ?? '?'})` : element.type ?? (node.children.length > 0 && !annotation ? 'STRUCT' : undefined);
  return [physical, annotation].filter(Boolean).join(' ');
}
