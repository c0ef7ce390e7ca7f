import type { WarehouseType } from '../types/warehouse-types.js';
import type { ColumnSpec, SchemaChange } from './warehouse.js';

/** A schema change that would lose data: the run fails and names the column and both types. */
export class SchemaChangeError extends Error {
  override name = 'SchemaChangeError';
  constructor(
    readonly column: string,
    readonly from: WarehouseType,
    readonly to: WarehouseType,
  ) {
    super(
      `Column "${column}" is ${from} in the warehouse but the source now sends ${to}; loading it would lose data. ` +
        `Change the column back in the source, or load into a new destination table.`,
    );
  }
}

/**
 * Widening promotions: a value of the key type is kept exactly (or, for FLOAT64, as the nearest
 * double, the warehouse convention) by every type it maps to. Anything else is a narrowing.
 */
const WIDER: Partial<Record<WarehouseType, readonly WarehouseType[]>> = {
  BOOL: ['INT64', 'NUMERIC', 'BIGNUMERIC', 'FLOAT64', 'STRING'],
  INT64: ['NUMERIC', 'BIGNUMERIC', 'FLOAT64', 'STRING'],
  NUMERIC: ['BIGNUMERIC', 'FLOAT64', 'STRING'],
  BIGNUMERIC: ['FLOAT64', 'STRING'],
  FLOAT64: ['STRING'],
  DATE: ['DATETIME', 'TIMESTAMP', 'STRING'],
  DATETIME: ['TIMESTAMP', 'STRING'],
  TIME: ['STRING'],
  TIMESTAMP: ['STRING'],
  JSON: ['STRING'],
  GEOGRAPHY: ['STRING'],
};

/** Whether a column of type `from` can hold every value of type `to` after promoting it to `to`. */
export function canPromote(from: WarehouseType, to: WarehouseType): boolean {
  return from === to || (WIDER[from]?.includes(to) ?? false);
}

/**
 * The one place that decides how a destination evolves when a load brings columns: new columns
 * are added as nullable; a column whose incoming type is wider is promoted; a column whose incoming
 * type is narrower keeps its type (the values fit, e.g. INT64 arriving in a NUMERIC column); any
 * other change throws SchemaChangeError. Columns missing from the load stay, and get nulls.
 * Returns the resulting columns and the changes to apply.
 */
export function planSchemaChange(existing: readonly ColumnSpec[], incoming: readonly ColumnSpec[]): { columns: ColumnSpec[]; changes: SchemaChange[] } {
  const columns = existing.map((c) => ({ ...c }));
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  const changes: SchemaChange[] = [];
  for (const col of incoming) {
    const current = byName.get(col.name.toLowerCase());
    if (!current) {
      const added = { name: col.name, type: col.type, nullable: true };
      columns.push(added);
      byName.set(col.name.toLowerCase(), added);
      changes.push({ kind: 'added', column: col.name, type: col.type });
    } else if (current.type === col.type || canPromote(col.type, current.type)) {
      // Same type, or the incoming values fit the existing column as they are.
    } else if (canPromote(current.type, col.type)) {
      changes.push({ kind: 'promoted', column: current.name, from: current.type, to: col.type });
      current.type = col.type;
    } else {
      throw new SchemaChangeError(current.name, current.type, col.type);
    }
  }
  return { columns, changes };
}
