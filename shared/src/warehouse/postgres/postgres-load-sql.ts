import type { WarehouseType } from '../../types/warehouse-types.js';
import { convert } from './postgres-column-types.js';
import { ident } from './postgres-identifiers.js';

/** A staged column and the destination column it goes into (whose type may be wider). */
export interface StagedColumn {
  /** The staging table's column: the name and type the run sent. */
  name: string;
  type: WarehouseType;
  /** The destination's column. */
  target: string;
  targetType: WarehouseType;
}

/** Which staged rows an append leaves out because the table has them already. */
export interface DedupeSql {
  /** Destination names of the key columns (each one a staged column). */
  key: string[];
  /**
   * True when the key is every source column (no primary key): identical rows are then told apart
   * by how many times each occurs, so a row the source really holds twice lands twice.
   */
  multiplicity: boolean;
  /** Compare only table rows with `timestampColumn >= from` (destination name; `from` is bound as $1). */
  window?: { timestampColumn: string; from: string };
}

/**
 * The INSERT that moves staged rows into `target`, converting each value to its destination
 * type, and with `dedupe` leaving out rows the table has already. Values the SQL needs are
 * returned for binding, never spliced in.
 *
 * Rows are compared on the text of `ROW(key...)`: equal exactly when the keys are equal or both
 * NULL (NULL prints as nothing, '' as ""), which is IS NOT DISTINCT FROM, but hashable: PostgreSQL
 * plans IS NOT DISTINCT FROM on many columns as a nested loop (every staged row against every table
 * row of the window), where a text key gives a hash join. Both sides are typed as the destination,
 * so they print alike (the load pins TimeZone, which timestamptz prints in).
 */
export function insertStagedSql(target: string, stage: string, columns: readonly StagedColumn[], dedupe?: DedupeSql): { text: string; values: unknown[] } {
  const targetColumns = columns.map((c) => ident(c.target)).join(', ');
  const converted = columns.map((c) => `${convert(`s.${ident(c.name)}`, c.type, c.targetType)} AS ${ident(c.target)}`).join(', ');
  if (!dedupe) return { text: `INSERT INTO ${target} (${targetColumns}) SELECT ${converted} FROM ${stage} s`, values: [] };

  const key = (alias: string) => `ROW(${dedupe.key.map((name) => `${alias}.${ident(name)}`).join(', ')})::text`;
  const window = dedupe.window ? `d.${ident(dedupe.window.timestampColumn)} >= $1` : 'true';
  const values = dedupe.window ? [dedupe.window.from] : [];
  const keyed = `staged AS (SELECT ${converted} FROM ${stage} s), keyed AS (SELECT staged.*, ${key('staged')} AS _recs_key FROM staged)`;
  const picked = (alias: string) => columns.map((c) => `${alias}.${ident(c.target)}`).join(', ');
  if (dedupe.multiplicity) {
    // The n-th staged copy of a row is new when the window holds fewer than n copies of it.
    return {
      text:
        `WITH ${keyed}, ` +
        `numbered AS (SELECT keyed.*, row_number() OVER (PARTITION BY _recs_key) AS _recs_n FROM keyed), ` +
        `present AS (SELECT ${key('d')} AS _recs_key, count(*) AS _recs_count FROM ${target} d WHERE ${window} GROUP BY 1) ` +
        `INSERT INTO ${target} (${targetColumns}) SELECT ${picked('numbered')} FROM numbered LEFT JOIN present USING (_recs_key) ` +
        `WHERE numbered._recs_n > coalesce(present._recs_count, 0)`,
      values,
    };
  }
  return {
    text:
      `WITH ${keyed} INSERT INTO ${target} (${targetColumns}) SELECT ${picked('keyed')} FROM keyed ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${target} d WHERE ${key('d')} = keyed._recs_key AND ${window})`,
    values,
  };
}
