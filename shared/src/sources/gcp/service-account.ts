import { createPrivateKey } from 'node:crypto';
import type * as GoogleAuth from 'google-auth-library';
import type { JWT, gaxios } from 'google-auth-library';
import { lazyModule } from '../../runtime/lazy-module.js';

const googleAuth = lazyModule<typeof GoogleAuth>('google-auth-library');
import { z } from 'zod';
import { SourceError } from '../source-error.js';

/** Where google-auth-library exchanges a signed assertion for an access token; it has no setting for it. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The OAuth scopes each Google Cloud source asks for: read access where that is enough. */
export const GCP_SCOPES = {
  bigquery: 'https://www.googleapis.com/auth/bigquery',
  firestore: 'https://www.googleapis.com/auth/datastore',
  storageRead: 'https://www.googleapis.com/auth/devstorage.read_only',
} as const;

/** The fields of a service-account key file (`gcloud iam service-accounts keys create`) that we use. */
export interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  /** Google's token endpoint in every real key; honoured only when endpoints are overridden (contract tests). */
  token_uri?: string;
}

const keySchema = z.object({
  type: z.string(),
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().optional(),
  project_id: z.string().optional(),
  token_uri: z.string().optional(),
});

const KEY_HINT = 'Paste the whole JSON key file of a service account (IAM & Admin → Service Accounts → Keys → Add key → JSON); it starts with {"type": "service_account".';

/**
 * Reads a service-account key file's text. Throws SourceError `invalid_config` saying what is wrong
 * (never quoting the key): not JSON, another kind of credential, a missing field, a private key that
 * is not a PEM key.
 */
export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new SourceError('invalid_config', 'The service-account key is not valid JSON', KEY_HINT);
  }
  const parsed = keySchema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'the key'))].join(', ');
    throw new SourceError('invalid_config', `The service-account key lacks or mistypes ${fields}`, KEY_HINT);
  }
  const key = parsed.data;
  if (key.type !== 'service_account') {
    throw new SourceError('invalid_config', `The key is a "${key.type.slice(0, 40)}" credential, not a service-account key`, `${KEY_HINT} User credentials and external-account configurations are not accepted.`);
  }
  try {
    createPrivateKey(key.private_key);
  } catch {
    throw new SourceError('invalid_config', `The private_key of the service-account key for ${key.client_email} is not a PEM private key`, 'The key file may have been cut or edited; download a new JSON key for the service account and paste it unchanged.');
  }
  return { ...key, type: 'service_account' };
}

/** Whether a text is a usable service-account key; for zod refinements. */
export function isServiceAccountJson(json: string): boolean {
  try {
    parseServiceAccountKey(json);
    return true;
  } catch {
    return false;
  }
}

/**
 * The key's own token endpoint. Modules use it only with an overridden API endpoint (contract tests,
 * emulators), so that a key pasted by a person can never redirect the token exchange in production.
 */
export function tokenUriOf(serviceAccountJson: string): string | undefined {
  try {
    return parseServiceAccountKey(serviceAccountJson).token_uri;
  } catch {
    return undefined;
  }
}

/** The secret settings of every Google Cloud source: one service-account key. */
export const gcpCredentialsSchema = z.object({
  /** The key file's JSON text, as downloaded from the console. */
  serviceAccountJson: z.string().min(1).refine(isServiceAccountJson, { message: 'Must be the JSON key file of a service account' }),
});
/** A Google Cloud connection's secret: the key file's text. */
export type GcpCredentials = z.infer<typeof gcpCredentialsSchema>;

/**
 * An auth client signing as the service account. For REST clients (BigQuery, Cloud Storage) it
 * exchanges a signed assertion for an access token at Google's token endpoint and caches it; GAPIC
 * clients (Firestore) switch it to self-signed JWTs and never call the token endpoint.
 *
 * @param tokenUrl - Sends the token exchange here instead of Google's endpoint. Only contract tests
 *   and emulators set it, from the key's `token_uri`: against Google a key cannot redirect where the
 *   server posts its signed assertion.
 */
export function serviceAccountAuth(key: ServiceAccountKey, scopes: string | string[], tokenUrl?: string): JWT {
  let transporter: gaxios.Gaxios | undefined;
  if (tokenUrl && tokenUrl !== GOOGLE_TOKEN_URL) {
    const target = new URL(tokenUrl);
    transporter = new (googleAuth().gaxios.Gaxios)();
    transporter.interceptors.request.add({
      resolved: async (options) => {
        if (String(options.url) === GOOGLE_TOKEN_URL) options.url = target;
        return options;
      },
    });
  }
  return new (googleAuth().JWT)({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes,
    projectId: key.project_id,
    transporter,
  });
}
