import type { ColumnPreview } from '../source.js';
import { isTimestampCandidate } from '../../types/text-inference.js';
import type { TypeSuggestion } from '../../types/warehouse-types.js';

/** How many sample values a column shows. */
export const SAMPLE_VALUES = 5;

/** The number of rows a preview returns when the caller gives no limit. */
export const DEFAULT_PREVIEW_ROWS = 20;
/** The largest number of rows a preview returns. */
export const MAX_PREVIEW_ROWS = 1_000;

/** How many rows the type suggestions look at (when the file's head holds that many). */
export const INFERENCE_ROWS = 1_000;

/**
 * A column as the preview shows it. `values` are the column's values in the rows looked at,
 * already JSON-safe; null (or missing) makes the column nullable.
 */
export function columnPreview(name: string, sourceType: string, suggested: TypeSuggestion, values: readonly unknown[], nullable?: boolean): ColumnPreview {
  return {
    name,
    sourceType,
    nullable: nullable ?? values.some((value) => value === null || value === undefined),
    primaryKey: false,
    timestampCandidate: isTimestampCandidate(name, suggested),
    suggested,
    samples: samplesOf(values),
  };
}

/** Up to five distinct non-null values, in the order they come. */
export function samplesOf(values: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  const samples: unknown[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const key = typeof value === 'object' ? JSON.stringify(value) : `${typeof value}:${String(value)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    samples.push(value);
    if (samples.length === SAMPLE_VALUES) break;
  }
  return samples;
}

/**
 * A value as JSON can carry it: dates as ISO strings, bigints as strings (they may not fit a
 * double), bytes as base64; objects and arrays converted all the way down.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, jsonSafe(inner)]));
  }
  return value;
}

/** Clamps a caller's row limit to what a preview allows. */
export function previewLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PREVIEW_ROWS;
  return Math.min(MAX_PREVIEW_ROWS, Math.max(1, Math.floor(limit)));
}
