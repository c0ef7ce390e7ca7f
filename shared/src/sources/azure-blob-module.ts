import { z } from 'zod';
import { AzureBlobFileStore, azureServiceUrl } from './files/azure-blob-file-store.js';
import { FileSource } from './files/file-source.js';
import { folderPrefix } from './files/file-format.js';
import type { SourceModule } from './source.js';

/** Where the files are in Azure Blob Storage. None of it is secret. */
export const azureBlobConfig = z.object({
  account: z.string().trim().regex(/^[a-z0-9]{3,24}$/, 'A storage account name is 3 to 24 lowercase letters and digits'),
  container: z.string().trim().regex(/^(\$root|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})$/, 'A container name is 3 to 63 lowercase letters, digits and single hyphens'),
  /** A folder inside the container. @defaultValue '' (the whole container) */
  prefix: z.string().trim().default(''),
  /** The blob service URL, for Azurite or a sovereign cloud. @defaultValue https://<account>.blob.core.windows.net */
  endpoint: z.url({ protocol: /^https?$/, error: 'The endpoint is an http(s) URL' }).optional(),
});
/** An Azure Blob connection's settings, parsed. */
export type AzureBlobConfig = z.infer<typeof azureBlobConfig>;

/** Exactly one of: the account key, a SAS token, or a connection string (kept only in the secret store). */
export const azureBlobCredentials = z
  .object({
    accountKey: z.string().trim().min(1).optional(),
    sasToken: z.string().trim().min(1).optional(),
    connectionString: z.string().trim().min(1).optional(),
  })
  .refine((c) => [c.accountKey, c.sasToken, c.connectionString].filter(Boolean).length === 1, 'Give exactly one of the account key, a SAS token or a connection string');
/** An Azure Blob connection's secrets, parsed. */
export type AzureBlobCredentials = z.infer<typeof azureBlobCredentials>;

function azureDescribe(config: AzureBlobConfig): string {
  return `${config.account}/${config.container}/${folderPrefix(config.prefix)}${config.endpoint ? ` at ${new URL(config.endpoint).host}` : ''}`;
}

/** Files in an Azure Blob Storage container. */
export const azureBlobModule: SourceModule<AzureBlobConfig, AzureBlobCredentials> = {
  kind: 'azure_blob',
  label: 'Azure Blob Storage',
  group: 'Files',
  config: azureBlobConfig,
  credentials: azureBlobCredentials,
  host: (config) => new URL(azureServiceUrl(config)).hostname,
  describe: azureDescribe,
  open: (config, credentials) => new FileSource('azure_blob', new AzureBlobFileStore(config, credentials), azureDescribe(config)),
};
