import { z } from 'zod';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The platform's configuration, read from `process.env` once and validated.
 * Every variable is documented in `.env.example`; defaults give the local stack.
 */
const envSchema = z.object({
  /** @defaultValue `development` */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Metadata database. @defaultValue `postgres://postgres@127.0.0.1:5432/b2b_recs` */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/b2b_recs'),
  /** Queues and sessions. @defaultValue `redis://127.0.0.1:6379` */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /** Prefix of every BullMQ key, so several stacks (or test runs) can share one Redis. @defaultValue `recs` */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]+$/).default('recs'),
  /**
   * How long a worker's lock on a job lasts without renewal; a worker that died is noticed (and its
   * job retried elsewhere) after about this long. @defaultValue 30000
   */
  QUEUE_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** HTTP port of the web service. @defaultValue 3000 */
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Address people reach the web service at. @defaultValue `http://127.0.0.1:$PORT` */
  PUBLIC_URL: z.url().optional(),
  /** Port of a worker service's health and metrics endpoint; each service has its own default. */
  HEALTH_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Local warehouse, staging and secret key live under it. @defaultValue `./data` */
  DATA_DIR: z.string().min(1).default('./data'),
  /** `local` (DuckDB over Parquet under DATA_DIR), `postgres://...` or `bigquery://PROJECT/PREFIX`. @defaultValue `local` */
  WAREHOUSE_URL: z.string().min(1).default('local'),
  /** Where extracted files are staged: a folder, `file://...` or `gs://...`. @defaultValue `$DATA_DIR/staging` */
  STAGING_URL: z.string().min(1).optional(),
  /** Where connection credentials are kept. @defaultValue `local` */
  SECRETS_BACKEND: z.enum(['local', 'gcp']).default('local'),
  /** Base64 of 32 bytes for the local secret store; without it a key file is created under DATA_DIR. */
  SECRETS_KEY: z.string().optional(),
  /** Secret used to sign session cookies. Generated per process when absent (sessions then end on restart). */
  SESSION_SECRET: z.string().min(32).optional(),
  /** Let connections reach link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10). @defaultValue false */
  ALLOW_LINK_LOCAL_SOURCES: z.stringbool().default(false),
  /** Folder that `local_files` connections are confined to. @defaultValue `$DATA_DIR/files` */
  LOCAL_FILES_ROOT: z.string().min(1).optional(),
  /** pino level. @defaultValue `info` */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Google Cloud project for cloud mode. */
  GCP_PROJECT: z.string().optional(),
  /** Google Cloud region for Dataflow, Vertex AI and Cloud Scheduler. @defaultValue `europe-west1` */
  GCP_REGION: z.string().default('europe-west1'),
  /** Service account that Cloud Scheduler signs its OIDC tokens as. */
  GCP_SCHEDULER_SERVICE_ACCOUNT: z.string().optional(),
  /** Audience expected in Cloud Scheduler's OIDC tokens. @defaultValue `$PUBLIC_URL` */
  GCP_OIDC_AUDIENCE: z.string().optional(),
});

export type Env = z.input<typeof envSchema>;

/** The validated configuration, grouped by concern. */
export interface Config {
  env: 'development' | 'production' | 'test';
  databaseUrl: string;
  redis: { url: string; prefix: string; lockMs: number };
  web: { port: number; publicUrl: string; sessionSecret?: string };
  healthPort?: number;
  dataDir: string;
  warehouseUrl: string;
  stagingUrl: string;
  secrets: { backend: 'local' | 'gcp'; key?: string };
  sources: { allowLinkLocal: boolean; localFilesRoot: string; timeoutMs: number };
  logLevel: string;
  gcp: { project?: string; region: string; schedulerServiceAccount?: string; oidcAudience?: string };
}

/** Thrown when the environment is invalid; its message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates an environment and returns the configuration. Pure: use {@link loadConfig} in services.
 * @throws ConfigError listing every invalid variable at once.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return `  ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration (${lines.length} variable${lines.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
  }
  const e = result.data;
  if (e.SECRETS_BACKEND === 'gcp' && !e.GCP_PROJECT) {
    throw new ConfigError('Invalid configuration (1 variable):\n  GCP_PROJECT="": required when SECRETS_BACKEND=gcp');
  }
  const dataDir = path.resolve(e.DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/$/, '');
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    redis: { url: e.REDIS_URL, prefix: e.QUEUE_PREFIX, lockMs: e.QUEUE_LOCK_MS },
    web: { port: e.PORT, publicUrl, sessionSecret: e.SESSION_SECRET },
    healthPort: e.HEALTH_PORT,
    dataDir,
    warehouseUrl: e.WAREHOUSE_URL,
    stagingUrl: e.STAGING_URL ?? path.join(dataDir, 'staging'),
    secrets: { backend: e.SECRETS_BACKEND, key: e.SECRETS_KEY },
    sources: { allowLinkLocal: e.ALLOW_LINK_LOCAL_SOURCES, localFilesRoot: path.resolve(e.LOCAL_FILES_ROOT ?? path.join(dataDir, 'files')), timeoutMs: 10_000 },
    logLevel: e.LOG_LEVEL,
    gcp: {
      project: e.GCP_PROJECT,
      region: e.GCP_REGION,
      schedulerServiceAccount: e.GCP_SCHEDULER_SERVICE_ACCOUNT,
      oidcAudience: e.GCP_OIDC_AUDIENCE ?? publicUrl,
    },
  };
}

/**
 * Reads `.env` from the working directory into `process.env` when the file exists, without
 * overriding variables already set. Only the local entry points (npm start, the CLI) call it.
 */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

let cached: Config | undefined;

/** The process's configuration, validated on first use and cached. */
export function loadConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Forgets the cached configuration (tests change `process.env` between cases). */
export function resetConfig(): void {
  cached = undefined;
}

/** Names of every variable the loader reads, for the deployment-file checks. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);
