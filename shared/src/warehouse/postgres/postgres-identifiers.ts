import pg from 'pg';
import { PermanentError } from '../../jobs/errors.js';

/**
 * PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN - 1) and drops the rest with
 * only a NOTICE, so two long names could silently become one table or column: refuse them instead.
 */
export const MAX_IDENTIFIER_BYTES = 63;

/** Tables of a project schema that belong to the warehouse itself; `listTables` hides them. */
export const INTERNAL_PREFIX = '_recs_';

/** The exactly-once markers of a project schema, one row per committed run. */
export const LOADS_TABLE = '_recs_loads';

/** A double-quoted identifier, safe for any name (pg's own escaping). */
export const ident = (name: string): string => pg.escapeIdentifier(name);

/** `"schema"."table"`. */
export const qualified = (schema: string, table: string): string => `${ident(schema)}.${ident(table)}`;

/** The schema of a project: `p_` and the project id without dashes, e.g. `p_6f1c…`. */
export function projectSchema(projectId: string): string {
  const id = projectId.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-z_]+$/.test(id) || 2 + id.length > MAX_IDENTIFIER_BYTES) {
    throw new PermanentError(
      `"${projectId}" is not a project id the PostgreSQL warehouse accepts: it names the schema p_<id without dashes>, ` +
        `so it must be letters, digits, "-" and "_", at most ${MAX_IDENTIFIER_BYTES - 2} characters without the dashes.`,
      'invalid_project',
    );
  }
  return `p_${id}`;
}

/** Refuses a table name PostgreSQL would truncate, or one the warehouse keeps for itself. */
export function checkTableName(table: string, what = 'table'): void {
  if (!table || table.includes('\0')) throw new PermanentError(`The ${what} name "${table}" is empty or holds a NUL character.`, 'invalid_table');
  const bytes = Buffer.byteLength(table, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new PermanentError(
      `The ${what} name "${table}" is ${bytes} bytes long; PostgreSQL names hold at most ${MAX_IDENTIFIER_BYTES}. Choose a shorter destination table name.`,
      'invalid_table',
    );
  }
  if (table.toLowerCase().startsWith(INTERNAL_PREFIX)) {
    throw new PermanentError(`The ${what} name "${table}" starts with "${INTERNAL_PREFIX}", which the warehouse keeps for its own tables. Choose another name.`, 'invalid_table');
  }
}

/** Refuses a column name PostgreSQL would truncate (the platform allows 300 characters, BigQuery's limit). */
export function checkColumnName(table: string, column: string): void {
  const bytes = Buffer.byteLength(column, 'utf8');
  if (!column || column.includes('\0') || bytes > MAX_IDENTIFIER_BYTES) {
    throw new PermanentError(
      `Column "${column}" of table ${table} cannot be a PostgreSQL column: names must be 1 to ${MAX_IDENTIFIER_BYTES} bytes (this one is ${bytes}). ` +
        `Rename it in the job's column mapping.`,
      'invalid_column',
    );
  }
}
