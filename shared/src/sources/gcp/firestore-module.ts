import { z } from 'zod';
import type { SourceModule } from '../source.js';
import { DEFAULT_DATABASE, FirestoreSource } from './firestore-source.js';
import { gcpProjectId } from './gcp-project.js';
import { gcpCredentialsSchema, type GcpCredentials } from './service-account.js';

/** The Firestore database a connection reads. None of it is secret. */
export const firestoreConfig = z.object({
  projectId: gcpProjectId,
  /** `(default)` or a named database (4 to 63 lowercase letters, digits and hyphens). @defaultValue '(default)' */
  databaseId: z.string().trim().regex(/^(?:\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/, 'A database id is (default) or 4 to 63 lowercase letters, digits and hyphens').default(DEFAULT_DATABASE),
});
/** A Firestore connection's settings, as validated (databaseId filled in). */
export type FirestoreConnectionConfig = z.infer<typeof firestoreConfig>;

/** Collections of a Firestore database in Native mode, read with a service account's key. */
export const firestoreModule: SourceModule<FirestoreConnectionConfig, GcpCredentials> = {
  kind: 'firestore',
  label: 'Google Firestore',
  group: 'NoSQL',
  config: firestoreConfig,
  credentials: gcpCredentialsSchema,
  host: () => 'firestore.googleapis.com',
  describe: (config) => `Firestore ${config.projectId}${config.databaseId === DEFAULT_DATABASE ? '' : `/${config.databaseId}`}`,
  // Firestore's client signs its own JWTs (no token exchange), so only the endpoint is overridden.
  open: (config, credentials, deps) => new FirestoreSource(config, credentials.serviceAccountJson, { endpoint: deps.gcpEndpoints?.firestore }),
};
