import mysql from 'mysql2/promise';
import { z } from 'zod';
import { mapMysqlType } from '../types/sql-type-mapping.js';
import { isTimestampCandidate } from '../types/text-inference.js';
import { SourceError, withTimeout } from './source-error.js';
import { jsonSafe, sampleValues } from './sample-values.js';
import type { CallOptions, ColumnPreview, Preview, Source, SourceModule, SourceTarget, TableInfo } from './source.js';
import type { ExtractRequest, ExtractResult } from '../extract/extract.js';
import { extractMysql } from '../extract/mysql-extract.js';

export const MYSQL_TLS_MODES = ['disable', 'require', 'verify-full'] as const;

const config = z.object({
  host: z.string().trim().min(1, 'is required').max(255),
  port: z.coerce.number().int().min(1).max(65535).default(3306),
  database: z.string().trim().min(1, 'is required').max(64),
  user: z.string().trim().min(1, 'is required').max(80),
  tlsMode: z.enum(MYSQL_TLS_MODES).default('disable'),
});
const credentials = z.object({ password: z.string().max(1_000).default('') });
export type MysqlConfig = z.infer<typeof config>;

const SYSTEM_SCHEMAS = ['information_schema', 'mysql', 'performance_schema', 'sys'];

/** Maps a MySQL or MariaDB error to what a person can do about it. */
export function classifyMysqlError(error: unknown, c: MysqlConfig): SourceError {
  if (error instanceof SourceError) return error;
  const e = error as { code?: string; errno?: number; message?: string };
  const where = `${c.host}:${c.port}`;
  switch (e.code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return new SourceError('auth_failed', `MySQL at ${where} refused the password for user "${c.user}"`, 'Check the user name and password, and that the user may connect from this host (CREATE USER \'name\'@\'%\').', { cause: error });
    case 'ER_BAD_DB_ERROR':
      return new SourceError('not_found', `MySQL at ${where} has no database "${c.database}"`, 'Check the database name; list them with SHOW DATABASES.', { cause: error });
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_TABLEACCESS_DENIED_ERROR':
    case 'ER_SPECIFIC_ACCESS_DENIED_ERROR':
      return new SourceError('permission_denied', `MySQL at ${where}: ${e.message}`, `Grant it: GRANT SELECT ON \`${c.database}\`.* TO '${c.user}'@'%'.`, { cause: error });
    case 'ER_NO_SUCH_TABLE':
      return new SourceError('not_found', `MySQL at ${where}: ${e.message}`, 'The table may have been renamed or dropped; pick it again.', { cause: error });
    case 'ECONNREFUSED':
      return new SourceError('unreachable', `Nothing accepts connections at ${where}`, 'Check the host and port (MySQL and MariaDB listen on 3306 by default), and that the server is running and reachable from this platform.', { cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SourceError('unreachable', `The host name ${c.host} does not resolve`, 'Check the spelling of the host name, or use its IP address.', { cause: error });
    case 'ETIMEDOUT':
      return new SourceError('timeout', `MySQL at ${where} did not answer in time`, 'Check the host and port, and that a firewall lets this server reach it.', { cause: error });
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return new SourceError('tls_error', `MySQL at ${where} does not offer TLS`, 'Set the TLS mode to "disable", or enable TLS on the server.', { cause: error });
  }
  const message = e.message ?? String(error);
  if (/ssl|tls|certificate/i.test(message)) {
    return new SourceError('tls_error', `TLS with MySQL at ${where} failed: ${message}`, 'Choose another TLS mode: "require" accepts a certificate not signed by a public authority.', { cause: error });
  }
  return new SourceError('unreachable', `MySQL at ${where}: ${message}`, 'Check the connection settings.', { cause: error });
}

/** A MySQL or MariaDB database, read over one short-lived connection per call. */
export class MysqlSource implements Source {
  readonly kind = 'mysql' as const;

  constructor(
    private readonly c: MysqlConfig,
    private readonly password: string,
  ) {}

  private async withConnection<T>(what: string, options: CallOptions, work: (conn: mysql.Connection, timeoutMs: number) => Promise<T>): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    let conn: mysql.Connection | undefined;
    try {
      return await withTimeout(
        `MySQL at ${this.c.host}:${this.c.port} (${what})`,
        async (signal) => {
          signal.addEventListener('abort', () => conn?.destroy(), { once: true });
          conn = await mysql.createConnection({
            host: this.c.host,
            port: this.c.port,
            database: this.c.database,
            user: this.c.user,
            password: this.password,
            connectTimeout: timeoutMs,
            ssl: this.c.tlsMode === 'disable' ? undefined : { rejectUnauthorized: this.c.tlsMode === 'verify-full' },
            dateStrings: false,
            supportBigNumbers: true,
            bigNumberStrings: true,
            decimalNumbers: false,
          });
          if (signal.aborted) conn.destroy();
          return work(conn, timeoutMs);
        },
        { timeoutMs, signal: options.signal },
      );
    } catch (error) {
      throw classifyMysqlError(error, this.c);
    } finally {
      await conn?.end().catch(() => conn?.destroy());
    }
  }

  async test(options: CallOptions = {}): Promise<void> {
    await this.withConnection('test', options, (conn) => conn.query('select 1'));
  }

  async listSchemas(options: CallOptions = {}): Promise<string[]> {
    return this.withConnection('list schemas', options, async (conn) => {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        'select schema_name as name from information_schema.schemata where schema_name not in (?) order by schema_name',
        [SYSTEM_SCHEMAS],
      );
      return rows.map((r) => String(r.name));
    });
  }

  async listTables(schema: string, options: CallOptions = {}): Promise<TableInfo[]> {
    return this.withConnection('list tables', options, async (conn) => {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        `select table_name as name, table_type as type, table_rows as n, data_length + index_length as bytes, coalesce(update_time, create_time) as modified
           from information_schema.tables where table_schema = ? order by table_name`,
        [schema],
      );
      return rows.map((r) => ({
        name: String(r.name),
        kind: r.type === 'VIEW' ? ('view' as const) : ('table' as const),
        ...(r.n !== null ? { rowCount: Number(r.n) } : {}),
        ...(r.bytes !== null ? { sizeBytes: Number(r.bytes) } : {}),
        ...(r.modified ? { lastModified: new Date(r.modified as Date).toISOString() } : {}),
      }));
    });
  }

  async preview(target: SourceTarget, options: CallOptions & { limit?: number } = {}): Promise<Preview> {
    if (!('table' in target)) throw new SourceError('invalid_config', 'A MySQL preview needs a schema (database) and a table', 'Pick a database, then a table.');
    const limit = Math.min(Math.max(options.limit ?? 20, 1), 1_000);
    return this.withConnection('preview', options, async (conn, timeoutMs) => {
      const [columns] = await conn.query<mysql.RowDataPacket[]>(
        `select column_name as name, column_type as type, is_nullable = 'YES' as nullable, column_key = 'PRI' as pk,
                exists (select 1 from information_schema.check_constraints k
                         where k.constraint_schema = c.table_schema and k.table_name = c.table_name
                           and k.check_clause like concat('%json_valid(%', c.column_name, '%')) as is_json
           from information_schema.columns c where table_schema = ? and table_name = ? order by ordinal_position`,
        [target.schema, target.table],
      );
      if (columns.length === 0) {
        throw new SourceError('not_found', `MySQL at ${this.c.host}:${this.c.port} has no table ${target.schema}.${target.table}`, 'It may have been renamed or dropped, or the user cannot see it; pick the table again.');
      }
      const ident = (s: string) => mysql.escapeId(s);
      const [values] = await conn.query<mysql.RowDataPacket[]>({
        sql: `select ${columns.map((c) => ident(String(c.name))).join(', ')} from ${ident(target.schema)}.${ident(target.table)} limit ${limit}`,
        timeout: timeoutMs,
      });
      const rows = values.map((row) => Object.fromEntries(columns.map((c) => [String(c.name), jsonSafe(row[String(c.name)])])));
      const previews: ColumnPreview[] = columns.map((c) => {
        const name = String(c.name);
        const suggested = mapMysqlType(String(c.type), { isJson: Boolean(c.is_json) });
        return {
          name,
          sourceType: String(c.type),
          nullable: Boolean(c.nullable),
          primaryKey: Boolean(c.pk),
          timestampCandidate: isTimestampCandidate(name, suggested),
          suggested,
          samples: sampleValues(rows, name),
        };
      });
      return { columns: previews, rows };
    });
  }

  async extract(target: SourceTarget, request: ExtractRequest): Promise<ExtractResult> {
    if (!('table' in target)) throw new SourceError('invalid_config', 'A MySQL job reads a database and a table', 'Edit the job to name its table.');
    return extractMysql(this.c, this.password, target, request);
  }

  async close(): Promise<void> {
    // Each call uses its own connection, closed when the call ends.
  }
}

/** The `mysql` kind: MySQL and MariaDB. */
export const mysqlModule: SourceModule<MysqlConfig, z.infer<typeof credentials>> = {
  kind: 'mysql',
  label: 'MySQL / MariaDB',
  group: 'Databases',
  config,
  credentials,
  defaultPort: 3306,
  host: (c) => c.host,
  describe: (c) => `${c.host}:${c.port}/${c.database}`,
  open: (c, s) => new MysqlSource(c, s.password),
};
