import pg from 'pg';
import { z } from 'zod';
import { mapPostgresType } from '../types/sql-type-mapping.js';
import { isTimestampCandidate } from '../types/text-inference.js';
import { SourceError, withTimeout } from './source-error.js';
import { jsonSafe, sampleValues } from './sample-values.js';
import type { CallOptions, ColumnPreview, Preview, Source, SourceModule, SourceTarget, TableInfo } from './source.js';
import type { ExtractRequest, ExtractResult } from '../extract/extract.js';
import { extractPostgres } from '../extract/postgres-extract.js';

/** TLS modes, as libpq names them. */
export const PG_SSL_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const;

const config = z.object({
  host: z.string().trim().min(1, 'is required').max(255),
  port: z.coerce.number().int().min(1).max(65535).default(5432),
  database: z.string().trim().min(1, 'is required').max(63),
  user: z.string().trim().min(1, 'is required').max(63),
  sslMode: z.enum(PG_SSL_MODES).default('prefer'),
});
const credentials = z.object({ password: z.string().max(1_000).default('') });
export type PostgresConfig = z.infer<typeof config>;

/** System schemas nobody loads data from. */
const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];

/** Maps a driver or server error to what a person can do about it. */
export function classifyPostgresError(error: unknown, c: PostgresConfig): SourceError {
  if (error instanceof SourceError) return error;
  const e = error as { code?: string; message?: string };
  const where = `${c.host}:${c.port}`;
  switch (e.code) {
    case '28P01':
    case '28000':
      return new SourceError('auth_failed', `PostgreSQL at ${where} refused the password for user "${c.user}"`, 'Check the user name and password; the server may also restrict which hosts may connect (pg_hba.conf).', { cause: error });
    case '3D000':
      return new SourceError('not_found', `PostgreSQL at ${where} has no database "${c.database}"`, 'Check the database name (it is case-sensitive); list them with \\l in psql.', { cause: error });
    case '42P01':
    case '3F000':
      return new SourceError('not_found', `PostgreSQL at ${where}: ${e.message}`, 'The table or schema may have been renamed or dropped; pick it again.', { cause: error });
    case '42501':
      return new SourceError('permission_denied', `PostgreSQL at ${where}: user "${c.user}" ${e.message?.replace(/^permission denied/, 'has no permission')}`, `Grant it: GRANT USAGE ON SCHEMA ... TO "${c.user}"; GRANT SELECT ON ... TO "${c.user}".`, { cause: error });
    case '57014':
      return new SourceError('timeout', `PostgreSQL at ${where} cancelled the query: it ran past the time limit`, 'The source is slow or busy; try again, or a smaller preview.', { cause: error });
    case 'ECONNREFUSED':
      return new SourceError('unreachable', `Nothing accepts connections at ${where}`, 'Check the host and port (PostgreSQL listens on 5432 by default), and that the server is running and reachable from this platform.', { cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SourceError('unreachable', `The host name ${c.host} does not resolve`, 'Check the spelling of the host name, or use its IP address.', { cause: error });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
      return new SourceError('unreachable', `${where} cannot be reached (${e.code})`, 'A firewall or network route is in the way; allow this platform to reach the server.', { cause: error });
  }
  const message = e.message ?? String(error);
  if (/ssl|tls|certificate/i.test(message)) {
    return new SourceError('tls_error', `TLS with PostgreSQL at ${where} failed: ${message}`, 'Choose another TLS mode: "disable" if the server does not offer TLS, "require" if its certificate is not signed by a public authority.', { cause: error });
  }
  if (/timeout/i.test(message)) {
    return new SourceError('timeout', `PostgreSQL at ${where} did not answer in time`, 'Check the host and port, and that a firewall lets this server reach it.', { cause: error });
  }
  return new SourceError('unreachable', `PostgreSQL at ${where}: ${message}`, 'Check the connection settings.', { cause: error });
}

/** The TLS settings node-postgres takes for a connection's TLS mode. */
export function sslOption(mode: PostgresConfig['sslMode']): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
    case 'prefer': // node-postgres has no "try TLS, fall back": prefer connects in the clear, as libpq does against servers without TLS.
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** A PostgreSQL database, read with plain SQL over one short-lived connection per call. */
export class PostgresSource implements Source {
  readonly kind = 'postgresql' as const;

  constructor(
    private readonly c: PostgresConfig,
    private readonly password: string,
  ) {}

  /** Runs `work` on a fresh connection with the call's time limit; the server cancels what overruns. */
  private async withClient<T>(what: string, options: CallOptions, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const client = new pg.Client({
      host: this.c.host,
      port: this.c.port,
      database: this.c.database,
      user: this.c.user,
      password: this.password,
      ssl: sslOption(this.c.sslMode),
      connectionTimeoutMillis: timeoutMs,
      statement_timeout: timeoutMs,
      application_name: 'b2b-recs',
    });
    client.on('error', () => undefined);
    try {
      return await withTimeout(
        `PostgreSQL at ${this.c.host}:${this.c.port} (${what})`,
        async (signal) => {
          signal.addEventListener('abort', () => void client.end().catch(() => undefined), { once: true });
          await client.connect();
          return work(client);
        },
        { timeoutMs, signal: options.signal },
      );
    } catch (error) {
      throw classifyPostgresError(error, this.c);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async test(options: CallOptions = {}): Promise<void> {
    await this.withClient('test', options, (client) => client.query('select 1'));
  }

  async listSchemas(options: CallOptions = {}): Promise<string[]> {
    return this.withClient('list schemas', options, async (client) => {
      const { rows } = await client.query<{ name: string }>(
        `select nspname as name from pg_namespace
          where nspname <> all($1) and nspname not like 'pg_temp_%' and nspname not like 'pg_toast_temp_%'
          order by nspname`,
        [SYSTEM_SCHEMAS],
      );
      return rows.map((r) => r.name);
    });
  }

  async listTables(schema: string, options: CallOptions = {}): Promise<TableInfo[]> {
    return this.withClient('list tables', options, async (client) => {
      // Partitions are listed through their parent. reltuples is -1 before the first ANALYZE;
      // then the statistics collector's live-tuple count (kept from the inserts) stands in.
      const { rows } = await client.query<{ name: string; relkind: string; rows: string; bytes: string | null; analyzed: Date | null }>(
        `with estimate as (
           select c.oid, coalesce(nullif(c.reltuples, -1), st.n_live_tup, 0) as n
             from pg_class c left join pg_stat_user_tables st on st.relid = c.oid)
         select c.relname as name, c.relkind,
                case when c.relkind = 'p'
                     then (select coalesce(sum(e.n), 0) from pg_inherits i join estimate e on e.oid = i.inhrelid where i.inhparent = c.oid)
                     else (select e.n from estimate e where e.oid = c.oid) end::bigint as rows,
                case when c.relkind in ('r', 'm', 'p') then pg_total_relation_size(c.oid) end as bytes,
                greatest(s.last_analyze, s.last_autoanalyze) as analyzed
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           left join pg_stat_user_tables s on s.relid = c.oid
          where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition
          order by c.relname`,
        [schema],
      );
      return rows.map((r) => ({
        name: r.name,
        kind: r.relkind === 'v' ? 'view' : 'table',
        rowCount: Number(r.rows),
        ...(r.bytes !== null ? { sizeBytes: Number(r.bytes) } : {}),
      }));
    });
  }

  async preview(target: SourceTarget, options: CallOptions & { limit?: number } = {}): Promise<Preview> {
    if (!('table' in target)) throw new SourceError('invalid_config', 'A PostgreSQL preview needs a schema and a table', 'Pick a schema, then a table.');
    const limit = Math.min(Math.max(options.limit ?? 20, 1), 1_000);
    return this.withClient('preview', options, async (client) => {
      const { rows: columns } = await client.query<{
        name: string; data_type: string; udt_name: string; nullable: boolean; precision: number | null; scale: number | null;
        pk: boolean; is_enum: boolean; domain: string | null; display: string;
      }>(
        `select a.attname as name, format_type(a.atttypid, a.atttypmod) as display,
                coalesce(bt.typname, t.typname) as udt_name,
                case when coalesce(bt.typcategory, t.typcategory) = 'A' then 'ARRAY' else format_type(coalesce(bt.oid, t.oid), null) end as data_type,
                not a.attnotnull as nullable,
                information_schema._pg_numeric_precision(coalesce(bt.oid, t.oid), coalesce(nullif(t.typtypmod, -1), a.atttypmod)) as precision,
                information_schema._pg_numeric_scale(coalesce(bt.oid, t.oid), coalesce(nullif(t.typtypmod, -1), a.atttypmod)) as scale,
                coalesce(bt.typtype, t.typtype) = 'e' as is_enum,
                case when t.typtype = 'd' then t.typname end as domain,
                exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary and a.attnum = any(i.indkey)) as pk
           from pg_attribute a
           join pg_class c on c.oid = a.attrelid
           join pg_namespace n on n.oid = c.relnamespace
           join pg_type t on t.oid = a.atttypid
           left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
          where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped
          order by a.attnum`,
        [target.schema, target.table],
      );
      if (columns.length === 0) {
        throw new SourceError('not_found', `PostgreSQL at ${this.c.host}:${this.c.port} has no table ${target.schema}.${target.table} in database "${this.c.database}"`, 'It may have been renamed or dropped, or the user cannot see it; pick the table again.');
      }
      const ident = (s: string) => client.escapeIdentifier(s);
      const result = await client.query({
        text: `select ${columns.map((c) => ident(c.name)).join(', ')} from ${ident(target.schema)}.${ident(target.table)} limit ${limit}`,
        rowMode: 'array',
      });
      const rows = result.rows.map((values: unknown[]) => Object.fromEntries(columns.map((c, i) => [c.name, jsonSafe(values[i])])));
      const previews: ColumnPreview[] = columns.map((c) => {
        const suggested = mapPostgresType(c.data_type, c.udt_name, { numericPrecision: c.precision, numericScale: c.scale, isEnum: c.is_enum, domainName: c.domain ?? undefined });
        return {
          name: c.name,
          sourceType: c.display,
          nullable: c.nullable,
          primaryKey: c.pk,
          timestampCandidate: isTimestampCandidate(c.name, suggested),
          suggested,
          samples: sampleValues(rows, c.name),
        };
      });
      return { columns: previews, rows };
    });
  }

  async extract(target: SourceTarget, request: ExtractRequest): Promise<ExtractResult> {
    if (!('table' in target)) throw new SourceError('invalid_config', 'A PostgreSQL job reads a schema and a table', 'Edit the job to name its table.');
    return extractPostgres(this.c, this.password, target, request);
  }

  async close(): Promise<void> {
    // Each call uses its own connection, closed when the call ends.
  }
}

/** The `postgresql` kind. */
export const postgresModule: SourceModule<PostgresConfig, z.infer<typeof credentials>> = {
  kind: 'postgresql',
  label: 'PostgreSQL',
  group: 'Databases',
  config,
  credentials,
  defaultPort: 5432,
  host: (c) => c.host,
  describe: (c) => `${c.host}:${c.port}/${c.database}`,
  open: (c, s) => new PostgresSource(c, s.password),
};
