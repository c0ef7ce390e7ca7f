import mysql from 'mysql2';
import type { WarehouseType } from '../types/warehouse-types.js';
import { classifyMysqlError, type MysqlConfig } from '../sources/mysql-source.js';
import { SourceError } from '../sources/source-error.js';
import type { ExtractRequest, ExtractResult } from './extract.js';
import type { CsvField, CsvLayout } from './csv-to-parquet.js';
import { databaseParts, type DatabaseParts } from './database-parts.js';
import { BOOL, DATE, MysqlCsvRows, PLAIN, TEXT, type Kind } from './mysql-csv-rows.js';
import { runExtraction } from './staging-session.js';

/** A column as information_schema describes it. */
interface CatalogColumn {
  name: string;
  /** DATA_TYPE: `int`, `datetime`, `bit`, `json`, `point`. */
  dataType: string;
}

const SPATIAL = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);
const BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/**
 * Extracts a MySQL or MariaDB table's selected columns (the rows at or after the window's start,
 * when there is one) into Parquet parts.
 *
 * One streamed SELECT in the text protocol: each row's values go from the packet's bytes into CSV
 * (see MysqlCsvRows), each as its column's kind says, without becoming JavaScript values, and are
 * handed to DuckDB through the part pipes of databaseParts, which convert while the rows arrive.
 * The connection pauses while DuckDB is behind (net_write_timeout is raised so the server waits),
 * so memory stays bounded whatever the table's size. Cancelling destroys the connection.
 */
export async function extractMysql(
  config: MysqlConfig,
  password: string,
  table: { schema: string; table: string },
  req: ExtractRequest,
): Promise<ExtractResult> {
  return runExtraction(req, async (session) => {
    const connection = mysql.createConnection({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      password,
      connectTimeout: 10_000,
      ssl: config.tlsMode === 'disable' ? undefined : { rejectUnauthorized: config.tlsMode === 'verify-full' },
      charset: 'utf8mb4',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      // JSON as the server's text, not parsed (and re-serialised, or lost: the document `null`).
      jsonStrings: true,
      rowsAsArray: true,
    });
    connection.on('error', () => undefined);
    // mysql2 ends a destroyed connection's query with neither 'error' nor 'end': hanging up also
    // settles the reading side, or it would wait forever.
    let hungUp = false;
    let stopReading: (error: unknown) => void = () => undefined;
    const hangUp = () => {
      hungUp = true;
      // mysql2's destroy() only half-closes; a server blocked writing to us would wait out
      // net_write_timeout holding its locks. Closing the socket ends its query at once.
      connection.destroy();
      (connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
      stopReading(session.req.signal?.aborted ? session.req.signal.reason : new Error('The extraction stopped reading MySQL'));
    };
    session.whenAborted(hangUp);
    const run = <T = mysql.RowDataPacket[]>(sql: string, values: unknown[] = []) =>
      new Promise<T>((resolve, reject) => connection.query({ sql, values, rowsAsArray: false }, (error, rows) => (error ? reject(error) : resolve(rows as T))));
    let parts: DatabaseParts | undefined;
    try {
      try {
        await session.untilAborted(new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve()))));
        // Times in UTC (TIMESTAMP columns are converted to it); the server waits for us while DuckDB is behind.
        await session.untilAborted(run("SET time_zone = '+00:00', SESSION net_write_timeout = 3600"));
        await session.untilAborted(run('SET SESSION max_statement_time = 0').catch(() => run('SET SESSION max_execution_time = 0')).catch(() => undefined));
      } catch (error) {
        if (session.req.signal?.aborted) throw session.req.signal.reason;
        throw classifyMysqlError(error, config);
      }
      const catalog = await session.untilAborted(readCatalog(run, config, table));

      const fields: CsvField[] = [];
      for (const c of req.columns) if (!fields.some((f) => f.name === c.source)) fields.push({ name: c.source, type: c.type });
      const window = req.window;
      if (window && !fields.some((f) => f.name === window.column)) fields.push({ name: window.column, type: window.type });
      const known = new Map(catalog.map((c) => [c.name, c]));
      const missing = fields.filter((f) => !known.has(f.name)).map((f) => `"${f.name}"`);
      if (missing.length > 0) {
        throw new SourceError('not_found', `MySQL table ${table.schema}.${table.table} has no column ${missing.join(', ')}`, 'The column may have been renamed or dropped; pick the table\'s columns again.');
      }

      const ident = (name: string) => mysql.escapeId(name);
      const list = fields.map((f) => sourceExpression(ident(f.name), known.get(f.name)!, f.type!)).join(', ');
      const values: unknown[] = [];
      let where = '';
      if (window?.from !== undefined) {
        where = ` WHERE ${ident(window.column)} >= ${windowCast(window.type)}`;
        values.push(windowParameter(window.type, window.from));
      }
      const sql = `SELECT ${list} FROM ${ident(table.schema)}.${ident(table.table)}${where}`;

      const layout: CsvLayout = {
        fields,
        columns: req.columns,
        window,
        filterWindow: false,
        bytes: 'hex',
        dialect: { delimiter: ',', quote: '"', header: false, encoding: 'utf8', quotedEmptyIsNull: false },
      };
      const stream = databaseParts(session, layout, { pause: () => connection.pause(), resume: () => connection.resume(), hangUp });
      parts = stream;
      const kinds = fields.map((f) => kindOf(f.type!, known.get(f.name)!));
      try {
        await new Promise<void>((resolve, reject) => {
          stopReading = reject;
          if (hungUp) reject(new Error('The extraction stopped reading MySQL'));
          const query = connection.query({ sql, values, rowsAsArray: true });
          // mysql2 sets its row parser once the columns are known; ours takes its place (see MysqlCsvRows).
          const rows = new MysqlCsvRows(kinds, stream.feed);
          Object.defineProperty(query, '_rowParser', { configurable: true, get: () => rows, set: () => undefined });
          query.on('error', reject);
          query.on('end', resolve);
        });
      } catch (error) {
        // A failed conversion hangs up on purpose: its error is the one to tell (finish throws it).
        stream.fail(session.req.signal?.aborted ? session.req.signal.reason : classifyMysqlError(error, config));
      }
      await stream.finish();
    } catch (error) {
      parts?.discard();
      throw error;
    } finally {
      if (!hungUp) await new Promise<void>((resolve) => connection.end(() => resolve()));
      connection.destroy();
    }
  });
}

async function readCatalog(
  run: (sql: string, values?: unknown[]) => Promise<mysql.RowDataPacket[]>,
  config: MysqlConfig,
  table: { schema: string; table: string },
): Promise<CatalogColumn[]> {
  let rows: mysql.RowDataPacket[];
  try {
    rows = await run(
      'select column_name as name, lower(data_type) as data_type from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position',
      [table.schema, table.table],
    );
  } catch (error) {
    throw classifyMysqlError(error, config);
  }
  if (rows.length === 0) {
    throw new SourceError('not_found', `MySQL at ${config.host}:${config.port} has no table ${table.schema}.${table.table}`, 'It may have been renamed or dropped, or the user cannot see it; pick the table again.');
  }
  return rows.map((r) => ({ name: String(r.name), dataType: String(r.data_type) }));
}

/**
 * What the SELECT reads for a column: the column, or a form DuckDB parses for the declared type
 * (see the type mapping's notes): bits as numbers, spatial values as WKT, bytes as hex.
 */
function sourceExpression(column: string, catalog: CatalogColumn, type: WarehouseType): string {
  if (catalog.dataType === 'bit' && type !== 'BYTES') return `(${column} + 0)`;
  if (type === 'GEOGRAPHY' && SPATIAL.has(catalog.dataType)) return `ST_AsText(${column})`;
  if (type === 'BYTES') return `HEX(${column})`;
  return column;
}

/** The window's start, cast to the column's family, so the comparison is not made as text or as a double. */
function windowCast(type: WarehouseType): string {
  switch (type) {
    case 'DATE': return 'CAST(? AS DATE)';
    case 'TIME': return 'CAST(? AS TIME(6))';
    case 'DATETIME':
    case 'TIMESTAMP': return 'CAST(? AS DATETIME(6))';
    case 'INT64': return 'CAST(? AS SIGNED)';
    case 'NUMERIC':
    case 'BIGNUMERIC': return 'CAST(? AS DECIMAL(65,30))';
    case 'FLOAT64': return 'CAST(? AS DOUBLE)';
    default: return '?';
  }
}

/** ISO 8601 as MySQL reads it: `2022-06-01 10:00:00.5`, in UTC (the session's zone) for instants. */
function windowParameter(type: WarehouseType, from: string): string {
  if (type !== 'DATETIME' && type !== 'TIMESTAMP') return from;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(from);
  if (type === 'TIMESTAMP' && zoned) {
    const date = new Date(from);
    if (Number.isNaN(date.getTime())) return from;
    const micros = /\.(\d+)/.exec(from)?.[1]?.padEnd(6, '0').slice(0, 6) ?? '000000';
    return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${micros}`;
  }
  return from.replace('T', ' ').replace(/(Z|[+-]\d{2}:?\d{2})$/i, '');
}

const TEXT_TYPES = /char|text|enum|set|blob|binary|json/;

function kindOf(type: WarehouseType, catalog: CatalogColumn): Kind {
  switch (type) {
    case 'INT64':
    case 'FLOAT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      // Number columns come as numbers or the server's number text; text columns may hold anything.
      return TEXT_TYPES.test(catalog.dataType) ? TEXT : PLAIN;
    case 'BOOL':
      return ['tinyint', 'smallint', 'mediumint', 'int', 'bigint', 'bit'].includes(catalog.dataType) ? BOOL : TEXT;
    case 'DATE':
    case 'DATETIME':
    case 'TIMESTAMP':
      return TEXT_TYPES.test(catalog.dataType) ? TEXT : DATE;
    default:
      // Text, JSON, WKT, and BYTES as hex (quoted, so that empty bytes differ from null).
      return TEXT;
  }
}
