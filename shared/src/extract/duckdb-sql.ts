/** A DuckDB string literal: any text, quotes doubled. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A DuckDB identifier, always quoted, so that any column name (spaces, keywords, quotes) works. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A DuckDB struct literal `{'name': 'TYPE', ...}`, the form `read_csv` and `read_json` take their columns in. */
export function sqlColumns(columns: readonly { name: string; type: string }[]): string {
  return `{${columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ')}}`;
}

/** Whether a DuckDB error is a failed cast, the one error a careful second pass can turn into rejected rows. */
export function isConversionError(error: unknown): boolean {
  return /^Conversion Error/.test((error as Error)?.message ?? '');
}
