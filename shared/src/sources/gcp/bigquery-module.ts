import { z } from 'zod';
import type { SourceModule } from '../source.js';
import { BigQuerySource } from './bigquery-source.js';
import { gcpProjectId } from './gcp-project.js';
import { gcpCredentialsSchema, tokenUriOf, type GcpCredentials } from './service-account.js';

/** Where a BigQuery connection reads and who pays. None of it is secret. */
export const bigQueryConfig = z.object({
  /** The billing project: jobs (queries, loads) run and are billed here. */
  projectId: gcpProjectId,
  /** The project holding the datasets when it is another one, e.g. `bigquery-public-data`. @defaultValue the billing project */
  dataProjectId: gcpProjectId.optional(),
  /** Where jobs run: a multi-region (`EU`, `US`) or a region (`europe-west1`). @defaultValue BigQuery's choice from the datasets */
  location: z.string().trim().regex(/^[A-Za-z]+(?:-[a-z]+\d+)?$/, 'A location is EU, US or a region such as europe-west1').optional(),
});
/** A BigQuery connection's settings, as validated. */
export type BigQueryConnectionConfig = z.infer<typeof bigQueryConfig>;

function describe(config: BigQueryConnectionConfig): string {
  const data = config.dataProjectId && config.dataProjectId !== config.projectId ? `${config.dataProjectId} (billed to ${config.projectId})` : config.projectId;
  return `BigQuery ${data}${config.location ? `, ${config.location}` : ''}`;
}

/** Tables and views of a BigQuery project, read with a service account's key. */
export const bigQueryModule: SourceModule<BigQueryConnectionConfig, GcpCredentials> = {
  kind: 'bigquery',
  label: 'Google BigQuery',
  group: 'Warehouses',
  config: bigQueryConfig,
  credentials: gcpCredentialsSchema,
  host: () => 'bigquery.googleapis.com',
  describe,
  open: (config, credentials, deps) => {
    const apiEndpoint = deps.gcpEndpoints?.bigquery;
    return new BigQuerySource(config, credentials.serviceAccountJson, { apiEndpoint, tokenUrl: apiEndpoint ? tokenUriOf(credentials.serviceAccountJson) : undefined });
  },
};

