import { azureBlobModule } from './azure-blob-module.js';
import { bigQueryModule } from './gcp/bigquery-module.js';
import { firestoreModule } from './gcp/firestore-module.js';
import { gcsModule } from './gcp/gcs-module.js';
import { localFilesModule } from './local-files-module.js';
import { mysqlModule } from './mysql-source.js';
import { postgresModule } from './postgres-source.js';
import { s3Module } from './s3-module.js';
import type { SourceKind, SourceModule } from './source.js';

/** Every kind of source, keyed by kind: the one place a new kind is registered. */
export const SOURCE_MODULES: Record<SourceKind, SourceModule<any, any>> = {
  postgresql: postgresModule,
  mysql: mysqlModule,
  bigquery: bigQueryModule,
  firestore: firestoreModule,
  gcs: gcsModule,
  s3: s3Module,
  azure_blob: azureBlobModule,
  local_files: localFilesModule,
};

/** The module of a kind. */
export function sourceModule(kind: SourceKind): SourceModule<unknown, unknown> {
  return SOURCE_MODULES[kind];
}
