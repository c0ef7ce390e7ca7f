import pg from 'pg';
import type { WarehouseType } from '../types/warehouse-types.js';
import { classifyPostgresError, sslOption, type PostgresConfig } from '../sources/postgres-source.js';
import { SourceError } from '../sources/source-error.js';
import type { ExtractRequest, ExtractResult } from './extract.js';
import type { CsvField, CsvLayout } from './csv-to-parquet.js';
import { databaseParts, type DatabaseParts } from './database-parts.js';
import { PostgresCopyOut } from './postgres-copy-out.js';
import { runExtraction } from './staging-session.js';

/** A column as the catalog describes it. */
interface CatalogColumn {
  name: string;
  /** `format_type` output, e.g. `timestamp with time zone`, `numeric(10,2)`: what the window literal is cast to. */
  type: string;
  /** The type's name, a domain's base type's: `int4`, `timestamptz`, `money`, `hstore`. */
  base: string;
  /** pg_type.typcategory: A for arrays, C for composites. */
  category: string;
}

/**
 * Session settings for text the extractor can parse whatever the server's defaults: times in UTC
 * and ISO order, intervals as ISO 8601 durations (see the type mapping), shortest exact floats,
 * bytea as hex, and no statement time limit (a big table's COPY runs for minutes).
 */
const SESSION_SETTINGS = [
  "SET TimeZone TO 'UTC'",
  "SET DateStyle TO 'ISO, YMD'",
  "SET IntervalStyle TO 'iso_8601'",
  'SET extra_float_digits TO 1',
  "SET bytea_output TO 'hex'",
  'SET statement_timeout TO 0',
].join('; ');

/**
 * Extracts a PostgreSQL table's selected columns (the rows at or after the window's start, when
 * there is one) into Parquet parts.
 *
 * One `COPY (SELECT ...) TO STDOUT (FORMAT csv)` streams the rows; each row arrives as its own
 * protocol message, so the socket's bytes go to parts of `partRows` rows without being parsed in
 * JavaScript (see PostgresCopyOut). DuckDB converts each part from a named pipe while its rows
 * arrive (see databaseParts), so the network read and the conversion overlap, and memory stays
 * bounded whatever the table's size: the socket pauses while DuckDB is behind. Cancelling closes
 * the connection (the server stops the COPY) and interrupts DuckDB.
 */
export async function extractPostgres(
  config: PostgresConfig,
  password: string,
  table: { schema: string; table: string },
  req: ExtractRequest,
): Promise<ExtractResult> {
  return runExtraction(req, async (session) => {
    const client = new pg.Client({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      password,
      ssl: sslOption(config.sslMode),
      connectionTimeoutMillis: 10_000,
      application_name: 'b2b-recs extract',
    });
    client.on('error', () => undefined);
    // Closing the socket makes the server stop the COPY at its next row (client.end() would wait for it).
    const hangUp = () => client.connection.stream.destroy();
    session.whenAborted(hangUp);
    let parts: DatabaseParts | undefined;
    try {
      await client.connect().catch((error: unknown) => {
        throw classifyPostgresError(error, config);
      });
      session.throwIfAborted();
      await client.query(SESSION_SETTINGS);
      const catalog = await readCatalog(client, config, table);

      // The CSV's fields: each selected source column once, and the window column when it is not selected.
      const fields: CsvField[] = [];
      for (const c of req.columns) if (!fields.some((f) => f.name === c.source)) fields.push({ name: c.source, type: c.type });
      const window = req.window;
      if (window && !fields.some((f) => f.name === window.column)) fields.push({ name: window.column, type: window.type });
      const known = new Map(catalog.map((c) => [c.name, c]));
      const missing = fields.filter((f) => !known.has(f.name)).map((f) => `"${f.name}"`);
      if (missing.length > 0) {
        throw new SourceError('not_found', `PostgreSQL table ${table.schema}.${table.table} has no column ${missing.join(', ')}`, 'The column may have been renamed or dropped; pick the table\'s columns again.');
      }

      const ident = (name: string) => client.escapeIdentifier(name);
      const list = fields.map((f) => sourceExpression(ident(f.name), known.get(f.name)!, f.type!)).join(', ');
      // COPY takes no parameters: the window's start is a quoted literal, cast to the column's own type.
      const where = window?.from !== undefined
        ? ` WHERE ${ident(window.column)} >= CAST(${client.escapeLiteral(window.from)} AS ${known.get(window.column)!.type})`
        : '';
      const sql = `COPY (SELECT ${list} FROM ${ident(table.schema)}.${ident(table.table)}${where}) TO STDOUT (FORMAT csv)`;

      const layout: CsvLayout = {
        fields,
        columns: req.columns,
        window,
        filterWindow: false,
        bytes: 'postgres-hex',
        dialect: { delimiter: ',', quote: '"', header: false, encoding: 'utf8', quotedEmptyIsNull: false },
      };
      const copy: { out?: PostgresCopyOut } = {};
      const stream = databaseParts(session, layout, { pause: () => copy.out?.pause(), resume: () => copy.out?.resume(), hangUp });
      parts = stream;
      copy.out = new PostgresCopyOut(sql, stream.feed);
      client.query(copy.out);
      try {
        await copy.out.done;
      } catch (error) {
        // A failed conversion hangs up on purpose: its error is the one to tell (finish throws it).
        stream.fail(session.req.signal?.aborted ? session.req.signal.reason : classifyPostgresError(error, config));
      }
      await stream.finish();
    } catch (error) {
      parts?.discard();
      throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}

async function readCatalog(client: pg.Client, config: PostgresConfig, table: { schema: string; table: string }): Promise<CatalogColumn[]> {
  const qualified = `${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.table)}`;
  try {
    const { rows } = await client.query<CatalogColumn & { found: boolean }>(
      `select to_regclass($1) is not null as found, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
              coalesce(bt.typname, t.typname) as base, coalesce(bt.typcategory, t.typcategory) as category
         from (select 1) as one
         left join pg_attribute a on a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
         left join pg_type t on t.oid = a.atttypid
         left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
        order by a.attnum`,
      [qualified],
    );
    if (!rows[0]?.found) {
      throw new SourceError('not_found', `PostgreSQL at ${config.host}:${config.port} has no table ${table.schema}.${table.table} in database "${config.database}"`, 'It may have been renamed or dropped, or the user cannot see it; pick the table again.');
    }
    return rows.filter((r) => r.name !== null);
  } catch (error) {
    throw classifyPostgresError(error, config);
  }
}

/**
 * What the COPY selects for a column: the column itself, its text being what DuckDB parses,
 * except where the declared warehouse type needs another form (see the type mapping's notes):
 * arrays, composites and hstore as JSON, money as numeric, PostGIS as WKT, time with time zone
 * without its offset.
 */
function sourceExpression(column: string, catalog: CatalogColumn, type: WarehouseType): string {
  if (type === 'JSON' && (catalog.category === 'A' || catalog.category === 'C' || catalog.base === 'hstore')) return `to_json(${column})`;
  if ((type === 'NUMERIC' || type === 'BIGNUMERIC') && catalog.base === 'money') return `${column}::numeric`;
  if (type === 'GEOGRAPHY' && (catalog.base === 'geometry' || catalog.base === 'geography')) return `ST_AsText(${column})`;
  if (type === 'TIME' && catalog.base === 'timetz') return `${column}::time`;
  return column;
}
