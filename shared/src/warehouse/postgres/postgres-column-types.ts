import { WAREHOUSE_TYPES, type WarehouseType } from '../../types/warehouse-types.js';
import { POSTGRES_TYPES } from '../physical-types.js';

/** How information_schema spells the types that POSTGRES_TYPES names by their short aliases. */
const CATALOG_SPELLING: Readonly<Record<string, string>> = {
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  time: 'time without time zone',
};

/**
 * The reverse of POSTGRES_TYPES, keyed as `catalogKey` spells a column. Two warehouse types share
 * `text` (STRING and GEOGRAPHY, which is WKT); the first in WAREHOUSE_TYPES, STRING, is the answer.
 */
const FROM_CATALOG: ReadonlyMap<string, WarehouseType> = (() => {
  const map = new Map<string, WarehouseType>();
  for (const type of WAREHOUSE_TYPES) {
    const key = CATALOG_SPELLING[POSTGRES_TYPES[type]] ?? POSTGRES_TYPES[type];
    if (!map.has(key)) map.set(key, type);
  }
  return map;
})();

/** A column as information_schema.columns describes it. */
export interface CatalogColumn {
  column_name: string;
  data_type: string;
  numeric_precision: number | null;
  numeric_scale: number | null;
  is_nullable: 'YES' | 'NO';
}

/** `numeric(38,9)` for a constrained numeric, otherwise the data type as information_schema spells it. */
export function catalogKey(column: CatalogColumn): string {
  return column.data_type === 'numeric' && column.numeric_precision !== null ? `numeric(${column.numeric_precision},${column.numeric_scale ?? 0})` : column.data_type;
}

/** The warehouse type of a column, or undefined for a type the warehouse never creates. */
export function warehouseTypeOf(column: CatalogColumn): WarehouseType | undefined {
  return FROM_CATALOG.get(catalogKey(column));
}

/**
 * An SQL expression converting `expr` (of warehouse type `from`) to the PostgreSQL type of `to`,
 * for ALTER COLUMN TYPE ... USING and for inserting staged values into a wider column. Only the
 * conversions `canPromote` allows reach here. Casts between times and instants use the session's
 * time zone, which loads set to UTC: a DATE or DATETIME becomes that wall-clock time in UTC.
 */
export function convert(expr: string, from: WarehouseType, to: WarehouseType): string {
  const target = POSTGRES_TYPES[to];
  if (POSTGRES_TYPES[from] === target) return expr;
  // PostgreSQL casts boolean only to integer and text; integer is the bridge to the other numbers.
  if (from === 'BOOL' && target !== 'text') return `(${expr})::integer::${target}`;
  return `(${expr})::${target}`;
}
