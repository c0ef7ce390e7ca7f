import { BIGNUMERIC_LIMITS, exactDecimalType } from './numeric-limits.js';
import { WAREHOUSE_TYPES, type TypeSuggestion, type WarehouseType } from './warehouse-types.js';

/*
 * Confidence, for types the source declares: 1 when the warehouse type holds every value with the
 * same meaning; lower when the representation changes, something is dropped, or we guess. A person
 * reviews anything below 1 in the wizard, so a note always says why.
 */
const EXACT = 1;
const REPRESENTED = 0.9;
const LOSSY = 0.7;
const UNKNOWN = 0.3;

const exact = (type: WarehouseType, note?: string): TypeSuggestion => (note ? { type, confidence: EXACT, note } : { type, confidence: EXACT });
const suggest = (type: WarehouseType, confidence: number, note: string): TypeSuggestion => ({ type, confidence, note });

/**
 * Exact decimals by declared precision and scale. NUMERIC needs both the scale (≤ 9) and the digits
 * before the point (≤ 29) to fit: `numeric(38,0)` has 38 whole digits and overflows NUMERIC, so
 * precision ≤ 38 alone is not enough. Beyond BIGNUMERIC's whole digits we keep text, because a
 * load that fails on one large value is worse than a column a person casts later.
 */
function declaredDecimal(name: string, precision: number | undefined, scale: number | undefined): TypeSuggestion {
  if (precision === undefined) {
    return suggest('BIGNUMERIC', 0.8,
      `${name} without precision can hold any size: values with more than ${BIGNUMERIC_LIMITS.integerDigits} digits before the point do not fit BIGNUMERIC and decimals beyond ${BIGNUMERIC_LIMITS.scale} places are rounded`);
  }
  const s = scale ?? 0;
  const declared = `${name}(${precision},${s})`;
  const wholeDigits = precision - s;
  const type = exactDecimalType(wholeDigits, Math.max(s, 0));
  if (type === 'NUMERIC') return exact('NUMERIC');
  if (type === 'BIGNUMERIC') return exact('BIGNUMERIC', `${declared} is beyond NUMERIC's 29 digits before and 9 after the point`);
  if (wholeDigits <= BIGNUMERIC_LIMITS.integerDigits) {
    return suggest('BIGNUMERIC', LOSSY, `${declared} has ${s} decimals; BIGNUMERIC keeps ${BIGNUMERIC_LIMITS.scale}, so the rest are rounded`);
  }
  return suggest('STRING', 0.6, `${declared} allows ${wholeDigits} digits before the point, more than BIGNUMERIC's ${BIGNUMERIC_LIMITS.integerDigits}: kept as text so no digit is lost`);
}

/** Splits `numeric(5,2)`, `character varying(255)`, `timestamp(3) with time zone`, `integer[]` into a name, modifiers and array depth. */
function parsePostgresType(raw: string): { name: string; modifiers: number[]; arrayDepth: number } {
  let text = raw.trim().toLowerCase();
  let arrayDepth = 0;
  while (text.endsWith('[]')) {
    text = text.slice(0, -2).trimEnd();
    arrayDepth++;
  }
  let modifiers: number[] = [];
  text = text.replace(/\s*\(([^)]*)\)/, (_match, inside: string) => {
    modifiers = inside.split(',').map((part) => Number(part.trim()));
    return '';
  });
  return { name: text.replace(/\s+/g, ' ').trim(), modifiers, arrayDepth };
}

const INT64: TypeSuggestion = exact('INT64');
const FLOAT64: TypeSuggestion = exact('FLOAT64');
const STRING: TypeSuggestion = exact('STRING');
const RANGE_NOTE = 'a range such as [1,10) is kept as its text; split it into lower and upper columns to use it';
const PLANAR_NOTE = 'a built-in geometric type on a flat plane, not longitude/latitude: kept as its text; use PostGIS geography for GEOGRAPHY';

/**
 * PostgreSQL types by both their information_schema `data_type` and their `udt_name`, so a caller
 * may pass either (or `format_type` output, whose modifiers are parsed off first).
 */
const POSTGRES_TYPES: ReadonlyMap<string, TypeSuggestion> = new Map<string, TypeSuggestion>([
  ...['smallint', 'int2', 'integer', 'int', 'int4', 'bigint', 'int8', 'smallserial', 'serial2', 'serial', 'serial4', 'bigserial', 'serial8', 'oid']
    .map((name): [string, TypeSuggestion] => [name, INT64]),
  ...['real', 'float4', 'double precision', 'float8', 'float'].map((name): [string, TypeSuggestion] => [name, FLOAT64]),
  ['money', suggest('NUMERIC', REPRESENTED, 'money is read as numeric: the currency symbol and the server\'s lc_monetary formatting are dropped')],
  ['boolean', exact('BOOL')],
  ['bool', exact('BOOL')],
  ...['text', 'character varying', 'varchar', 'character', 'char', 'bpchar', '"char"', 'name', 'citext', 'inet', 'cidr', 'macaddr', 'macaddr8']
    .map((name): [string, TypeSuggestion] => [name, STRING]),
  ['uuid', suggest('STRING', 0.95, 'UUIDs are kept as their 36-character text, e.g. a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')],
  ['xml', suggest('STRING', REPRESENTED, 'XML is kept as its text')],
  ['tsvector', suggest('STRING', 0.8, 'a full-text search vector is kept as its text (\'word\':1,3 …); it is derived data and rarely a useful feature')],
  ['tsquery', suggest('STRING', 0.8, 'a full-text query is kept as its text')],
  ['bytea', exact('BYTES')],
  ['date', exact('DATE')],
  ['time without time zone', exact('TIME')],
  ['time', exact('TIME')],
  ['time with time zone', suggest('TIME', 0.8, 'the UTC offset of time with time zone is dropped: a warehouse TIME has no time zone')],
  ['timetz', suggest('TIME', 0.8, 'the UTC offset of time with time zone is dropped: a warehouse TIME has no time zone')],
  ['timestamp without time zone', exact('DATETIME')],
  ['timestamp', exact('DATETIME')],
  ['timestamp with time zone', exact('TIMESTAMP')],
  ['timestamptz', exact('TIMESTAMP')],
  ['interval', suggest('STRING', LOSSY, 'an interval is kept as an ISO 8601 duration such as P1DT2H30M (read it with intervalstyle iso_8601)')],
  ...['bit', 'bit varying', 'varbit'].map((name): [string, TypeSuggestion] => [name, suggest('STRING', REPRESENTED, 'a bit string is kept as text of 0s and 1s, e.g. 0101')]),
  ['json', exact('JSON')],
  ['jsonb', exact('JSON')],
  ['hstore', suggest('JSON', REPRESENTED, 'hstore becomes a JSON object of strings (hstore_to_json)')],
  ...['point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle'].map((name): [string, TypeSuggestion] => [name, suggest('STRING', 0.6, PLANAR_NOTE)]),
  ['geography', suggest('GEOGRAPHY', 0.95, 'PostGIS geography is read as WKT or GeoJSON; points must be longitude/latitude (SRID 4326)')],
  ['geometry', suggest('GEOGRAPHY', LOSSY, 'PostGIS geometry fits GEOGRAPHY only in longitude/latitude (SRID 4326): transform other SRIDs with ST_Transform, or keep planar data as STRING (WKT)')],
  ...['box2d', 'box3d'].map((name): [string, TypeSuggestion] => [name, suggest('STRING', 0.6, 'a PostGIS bounding box is kept as its text')]),
  ...['int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange', 'int4multirange', 'int8multirange', 'nummultirange', 'tsmultirange', 'tstzmultirange', 'datemultirange']
    .map((name): [string, TypeSuggestion] => [name, suggest('STRING', 0.5, RANGE_NOTE)]),
  ...['pg_lsn', 'pg_snapshot', 'txid_snapshot', 'jsonpath', 'regclass', 'regtype', 'regproc', 'regprocedure', 'regoper', 'regnamespace', 'regrole', 'xid', 'xid8', 'cid', 'tid']
    .map((name): [string, TypeSuggestion] => [name, suggest('STRING', 0.6, 'a PostgreSQL system type is kept as its text')]),
]);

/** Extra facts from information_schema or pg_catalog that the type names alone do not carry. */
export interface PostgresTypeExtras {
  /** `numeric_precision`; null for unconstrained numeric. */
  numericPrecision?: number | null;
  /** `numeric_scale`. */
  numericScale?: number | null;
  /** The type is an enum (`pg_type.typtype = 'e'`); information_schema reports enums as `USER-DEFINED`. */
  isEnum?: boolean;
  /**
   * `domain_name`, when the column's type is a domain. information_schema then reports the domain's
   * base type as `data_type`, which is what the column maps by.
   */
  domainName?: string | null;
}

/**
 * Suggests a warehouse type for a PostgreSQL column.
 *
 * @param dataType - information_schema `data_type` (`timestamp with time zone`, `ARRAY`, `USER-DEFINED`),
 *   or a type as `format_type` writes it (`numeric(5,2)`, `integer[]`).
 * @param udtName - information_schema `udt_name` (`int4`, `_text` for text[], `mpaa_rating` for an enum).
 * @param extras - precision and scale of numerics, whether a user-defined type is an enum, and the domain.
 */
export function mapPostgresType(dataType: string, udtName?: string, extras: PostgresTypeExtras = {}): TypeSuggestion {
  const parsed = parsePostgresType(dataType);
  const udt = udtName?.trim().toLowerCase();

  if (parsed.name === 'array' || parsed.arrayDepth > 0) {
    const elementName = parsed.arrayDepth > 0 ? dataType.trim().replace(/(\s*\[\])+$/, '') : udt?.replace(/^_/, '');
    if (!elementName) return suggest('JSON', 0.5, 'an array whose element type is unknown (pass udt_name, e.g. _int4) is kept as a JSON array');
    // information_schema gives no precision for array elements, so a numeric[] maps as unconstrained.
    const element = mapPostgresType(elementName, parsed.arrayDepth > 0 ? undefined : elementName, { isEnum: extras.isEnum ?? false });
    return {
      type: 'JSON',
      confidence: Math.min(REPRESENTED, element.confidence),
      note: `an array of ${elementName} (${element.type} elements) is kept as a JSON array${element.note ? `; each element: ${element.note}` : ''}`,
      repeated: true,
    };
  }

  if (parsed.name === 'user-defined') {
    if (!udt) return suggest('STRING', UNKNOWN, 'a user-defined type without its udt_name is read as its text');
    if (extras.isEnum) return exact('STRING', `the enum ${udt} is kept as its labels`);
    return mapPostgresType(udt, udt, { ...extras, isEnum: false });
  }

  const suggestion = mapPostgresBase(parsed.name, parsed.modifiers, udt, extras);
  if (!extras.domainName) return suggestion;
  const domainNote = `the domain ${extras.domainName} over ${parsed.name}: its constraints are not carried to the warehouse`;
  return { ...suggestion, note: suggestion.note ? `${domainNote}; ${suggestion.note}` : domainNote };
}

function mapPostgresBase(name: string, modifiers: number[], udt: string | undefined, extras: PostgresTypeExtras): TypeSuggestion {
  if (name === 'numeric' || name === 'decimal') {
    const precision = extras.numericPrecision ?? modifiers[0];
    const scale = extras.numericScale ?? modifiers[1];
    return declaredDecimal(name, precision ?? undefined, scale ?? undefined);
  }
  if (extras.isEnum) return exact('STRING', `the enum ${udt ?? name} is kept as its labels`);
  const known = POSTGRES_TYPES.get(name) ?? (udt ? POSTGRES_TYPES.get(udt) : undefined);
  if (known) return known;
  if (/range$/.test(name)) return suggest('STRING', 0.5, RANGE_NOTE);
  if (extras.domainName) {
    return suggest('STRING', UNKNOWN, `the domain ${extras.domainName} has a base type we do not know (${name}); it is read as its text`);
  }
  return suggest('STRING', UNKNOWN, `${name} is not a type we know (a composite or extension type?); it is read as its text`);
}

/** Hints about a MySQL or MariaDB column that its COLUMN_TYPE does not carry. */
export interface MysqlTypeHints {
  /**
   * The column holds JSON. MariaDB's JSON is an alias of LONGTEXT with a `JSON_VALID` check, so its
   * COLUMN_TYPE says `longtext`; the caller finds the check in information_schema.CHECK_CONSTRAINTS.
   */
  isJson?: boolean;
}

const MYSQL_INTEGERS = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const MYSQL_TEXT = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'long', 'inet4', 'inet6']);
const MYSQL_BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const MYSQL_SPATIAL = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);

/**
 * Suggests a warehouse type for a MySQL or MariaDB column.
 *
 * @param columnType - information_schema COLUMN_TYPE, e.g. `int(10) unsigned zerofill`, `tinyint(1)`,
 *   `decimal(12,2)`, `enum('G','PG')`; a bare DATA_TYPE (`int`) works too.
 * @param hints - what COLUMN_TYPE cannot say, such as MariaDB's JSON being `longtext`.
 */
export function mapMysqlType(columnType: string, hints: MysqlTypeHints = {}): TypeSuggestion {
  const text = columnType.trim().toLowerCase();
  const match = /^([a-z0-9_]+)(?:\s*\(([^)]*)\))?(.*)$/.exec(text);
  const base = match?.[1] ?? text;
  // enum and set arguments are quoted labels, which may hold commas and parentheses: never parse them.
  const args = base === 'enum' || base === 'set' ? [] : (match?.[2] ?? '').split(',').filter((a) => a.trim() !== '').map((a) => Number(a.trim()));
  const flags = new Set((match?.[3] ?? '').trim().split(/\s+/));
  const unsigned = flags.has('unsigned') || flags.has('zerofill');

  if (base === 'bool' || base === 'boolean') return exact('BOOL');
  if (MYSQL_INTEGERS.has(base)) {
    if (base === 'tinyint' && args[0] === 1 && !flags.has('zerofill')) {
      return suggest('BOOL', 0.8, 'tinyint(1) is how MySQL stores BOOLEAN; a value other than 0 or 1 would become true');
    }
    if (base === 'bigint' && unsigned) {
      return suggest('NUMERIC', REPRESENTED, 'bigint unsigned reaches 18446744073709551615, beyond INT64\'s 9223372036854775807, so it is kept as an exact NUMERIC');
    }
    if (flags.has('zerofill')) {
      // The stored value is a number and the padding is display only: every value is padded to the
      // same width, so INT64 loses nothing and the zeros can be shown again from the width.
      const width = args[0] === undefined ? '' : ` to ${args[0]} digits`;
      return suggest('INT64', REPRESENTED, `zerofill pads${width} only on display; the values are kept as numbers, so format them${width} where the leading zeros matter`);
    }
    return INT64;
  }
  if (base === 'decimal' || base === 'dec' || base === 'numeric' || base === 'fixed') {
    // MySQL's DECIMAL without arguments is DECIMAL(10,0).
    return declaredDecimal('decimal', args[0] ?? 10, args[1] ?? 0);
  }
  if (base === 'float' || base === 'double' || base === 'real') return FLOAT64;
  if (base === 'bit') {
    const bits = args[0] ?? 1;
    if (bits === 1) return suggest('BOOL', REPRESENTED, 'bit(1) is read as a boolean');
    if (bits <= 63) return suggest('INT64', REPRESENTED, `bit(${bits}) is read as its value as a number, so bitwise tests still work`);
    return suggest('BYTES', 0.8, `bit(${bits}) can exceed INT64, so it is kept as ${Math.ceil(bits / 8)} bytes`);
  }
  if (base === 'date') return exact('DATE');
  if (base === 'datetime') return exact('DATETIME');
  if (base === 'timestamp') return exact('TIMESTAMP');
  if (base === 'time') return suggest('TIME', 0.8, 'MySQL TIME also holds durations from -838:59:59 to 838:59:59; those outside 00:00–23:59 do not fit a TIME');
  if (base === 'year') return INT64;
  if (base === 'json') return exact('JSON');
  if (MYSQL_TEXT.has(base)) return hints.isJson ? suggest('JSON', 0.95, 'MariaDB JSON (a longtext with a JSON_VALID check) is kept as JSON') : STRING;
  if (base === 'uuid') return suggest('STRING', 0.95, 'UUIDs are kept as their 36-character text');
  if (MYSQL_BINARY.has(base)) {
    return args[0] === 16 ? exact('BYTES', `${base}(16) often holds a UUID (UUID_TO_BIN); it is kept as 16 bytes`) : exact('BYTES');
  }
  if (base === 'enum') return exact('STRING', 'an enum is kept as its labels');
  if (base === 'set') return suggest('STRING', REPRESENTED, 'a set is kept as its comma-separated members, e.g. "Trailers,Deleted Scenes"');
  if (MYSQL_SPATIAL.has(base)) {
    return suggest('GEOGRAPHY', LOSSY, `${base} fits GEOGRAPHY only in longitude/latitude (SRID 4326); planar data in another SRID must be transformed, or kept as STRING (WKT)`);
  }
  if (base === 'vector') return { type: 'JSON', confidence: 0.8, note: 'a vector is kept as a JSON array of FLOAT64', repeated: true };
  return suggest('STRING', UNKNOWN, `${columnType.trim()} is not a type we know; it is read as its text`);
}

/** BigQuery column modes, as its schema reports them. */
export type BigQueryMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';

const BIGQUERY_ALIASES: Readonly<Record<string, WarehouseType>> = {
  INTEGER: 'INT64', INT: 'INT64', SMALLINT: 'INT64', BIGINT: 'INT64', TINYINT: 'INT64', BYTEINT: 'INT64',
  FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', DECIMAL: 'NUMERIC', BIGDECIMAL: 'BIGNUMERIC',
};

/**
 * Suggests a warehouse type for a BigQuery column: the canonical types map to themselves, legacy SQL
 * names to their standard names.
 *
 * @param type - the schema's type (`INTEGER`, `RECORD`), or a standard SQL type (`NUMERIC(10,2)`, `ARRAY<INT64>`, `STRUCT<…>`).
 * @param mode - REPEATED columns become JSON arrays.
 */
export function mapBigQueryType(type: string, mode?: BigQueryMode): TypeSuggestion {
  const element = mapBigQueryScalar(type.trim());
  if (mode !== 'REPEATED' || element.repeated) return element;
  return {
    type: 'JSON',
    confidence: Math.min(REPRESENTED, element.confidence),
    note: `a REPEATED ${element.type} column is kept as a JSON array`,
    repeated: true,
  };
}

function mapBigQueryScalar(type: string): TypeSuggestion {
  const upper = type.toUpperCase();
  const array = /^ARRAY\s*<(.*)>$/s.exec(type);
  if (array) {
    const element = mapBigQueryScalar((array[1] ?? '').trim());
    return { type: 'JSON', confidence: Math.min(REPRESENTED, element.confidence), note: `an array of ${element.type} is kept as a JSON array`, repeated: true };
  }
  if (upper === 'RECORD' || upper === 'STRUCT' || upper.startsWith('STRUCT<') || upper.startsWith('STRUCT <')) {
    return suggest('JSON', REPRESENTED, 'a record (STRUCT) is kept as a JSON object of its fields');
  }
  if (upper === 'RANGE' || /^RANGE\s*</.test(upper)) return suggest('STRING', 0.5, RANGE_NOTE);
  if (upper === 'INTERVAL') return suggest('STRING', LOSSY, 'an INTERVAL is kept as its canonical text, e.g. 0-0 1 2:30:0 (Y-M D H:M:S)');
  // Parameterized types (STRING(10), NUMERIC(10,2)) hold a subset of their base type.
  const base = upper.replace(/\s*\(.*\)$/s, '');
  const canonical = BIGQUERY_ALIASES[base] ?? base;
  if (isWarehouseType(canonical)) return exact(canonical);
  return suggest('STRING', UNKNOWN, `${type} is not a BigQuery type we know; it is read as its text`);
}

function isWarehouseType(name: string): name is WarehouseType {
  return (WAREHOUSE_TYPES as readonly string[]).includes(name);
}
