import type { WarehouseType } from '../types/warehouse-types.js';

/**
 * A window column's value as DuckDB prints it (its VARCHAR cast, in the UTC session the extractor
 * uses) rewritten the way ExtractWindow.from is written: ISO 8601 for dates and times
 * (`2022-08-23T21:59:59.123456Z` for TIMESTAMP, no zone for DATETIME), plain decimal text for
 * numbers, without the trailing zeros of a fixed scale. Fractions of a second are kept to the
 * microsecond: rounding would move the next watermark past rows sharing the boundary.
 */
export function windowValueText(type: WarehouseType, duckText: string): string {
  switch (type) {
    case 'TIMESTAMP':
      // `2022-08-23 21:59:59.5+00` (DuckDB prints TIMESTAMPTZ in the session's zone, UTC here).
      return duckText.replace(' ', 'T').replace(/\+00(?::?00)?$/, 'Z');
    case 'DATETIME':
      return duckText.replace(' ', 'T');
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return duckText.includes('.') ? duckText.replace(/\.?0+$/, '') : duckText;
    default:
      return duckText;
  }
}
