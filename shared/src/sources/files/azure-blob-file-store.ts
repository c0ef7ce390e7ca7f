import type * as AzureSdk from '@azure/storage-blob';
import type { ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import { lazyModule } from '../../runtime/lazy-module.js';
import { Readable } from 'node:stream';
import type { CallOptions } from '../source.js';
import { SourceError, withTimeout } from '../source-error.js';
import { DEFAULT_LIST_LIMIT, folderPrefix } from './file-format.js';
import type { FileStore, StoredObject } from './file-store.js';
import { networkError } from './network-errors.js';

const sdk = lazyModule<typeof AzureSdk>('@azure/storage-blob');

/** Where the files are: a container of a storage account, under a prefix. */
export interface AzureBlobFileStoreConfig {
  account: string;
  container: string;
  /** A folder inside the container; '' for the whole container. */
  prefix: string;
  /** The blob service's URL, e.g. `http://127.0.0.1:10000/devstoreaccount1` for Azurite; `https://<account>.blob.core.windows.net` when absent. */
  endpoint?: string;
}

/** One of: the account key, a SAS token, or a connection string holding one of them. */
export interface AzureBlobFileStoreCredentials {
  accountKey?: string;
  sasToken?: string;
  connectionString?: string;
}

/** Azurite's well-known development account, used by `UseDevelopmentStorage=true`. */
const DEVELOPMENT_STORAGE = {
  account: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  endpoint: 'http://127.0.0.1:10000/devstoreaccount1',
};

/** The blob service URL of a connection: its endpoint, or Azure's public one for the account. */
export function azureServiceUrl(config: Pick<AzureBlobFileStoreConfig, 'account' | 'endpoint'>): string {
  return (config.endpoint ?? `https://${config.account}.blob.core.windows.net`).replace(/\/+$/, '');
}

/**
 * Files in an Azure Blob Storage container under a prefix, read by ranges. The credentials are an
 * account key, a SAS token, or a connection string; a connection string must name the same
 * account and endpoint as the connection's settings, so that the host the network guard checks
 * is the host we call.
 */
export class AzureBlobFileStore implements FileStore {
  private readonly client: ContainerClient;
  private readonly base: string;
  private readonly where: string;

  constructor(private readonly config: AzureBlobFileStoreConfig, credentials: AzureBlobFileStoreCredentials) {
    this.base = folderPrefix(config.prefix);
    const serviceUrl = azureServiceUrl(config);
    this.where = `container ${config.container}/${this.base} of account ${config.account}${config.endpoint ? ` at ${serviceUrl}` : ''}`;
    const secret = resolveSecret(config, credentials);
    const containerUrl = `${serviceUrl}/${encodeURIComponent(config.container)}`;
    // Two tries and short waits: a person is waiting for the answer, and a refused port stays refused.
    const options: StoragePipelineOptions = { retryOptions: { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } };
    this.client = 'accountKey' in secret
      ? new (sdk().ContainerClient)(containerUrl, new (sdk().StorageSharedKeyCredential)(config.account, secret.accountKey), options)
      : new (sdk().ContainerClient)(`${containerUrl}?${secret.sasToken.replace(/^\?/, '')}`, new (sdk().AnonymousCredential)(), options);
  }

  async check(options: CallOptions = {}): Promise<void> {
    const page = await withTimeout(this.where, (signal) => this.call(async () => {
      const result = await this.client.listBlobsFlat({ prefix: this.base, abortSignal: signal }).byPage({ maxPageSize: 1 }).next();
      return result.done ? undefined : result.value;
    }), options);
    if (this.base && (page?.segment.blobItems.length ?? 0) === 0) {
      throw new SourceError('not_found', `There are no files under ${this.where}`, 'Check the prefix (folder) and its case; blob storage has no empty folders, so a folder exists only once a file is in it.');
    }
  }

  async list(prefix: string, options: CallOptions & { limit?: number } = {}): Promise<StoredObject[]> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    return withTimeout(`Listing ${this.where}`, (signal) => this.call(async () => {
      const found: StoredObject[] = [];
      const pages = this.client.listBlobsFlat({ prefix: this.base + prefix.replace(/^\/+/, ''), abortSignal: signal }).byPage({ maxPageSize: Math.min(5000, limit) });
      for await (const page of pages) {
        for (const blob of page.segment.blobItems) {
          if (found.length >= limit) break;
          found.push({
            path: blob.name.slice(this.base.length),
            size: blob.properties.contentLength ?? 0,
            modified: blob.properties.lastModified?.toISOString(),
            etag: blob.properties.etag?.replace(/"/g, ''),
          });
        }
        if (found.length >= limit) break;
      }
      return found;
    }), options);
  }

  async read(path: string, options: CallOptions & { start?: number; end?: number } = {}): Promise<Readable> {
    const start = options.start ?? 0;
    const count = options.end === undefined ? undefined : options.end - start + 1;
    return withTimeout(`Reading ${path} in ${this.where}`, async (signal) => {
      try {
        const response = await this.call(() => this.client.getBlobClient(this.base + path).download(start, count, { abortSignal: signal }), path);
        return (response.readableStreamBody as Readable | undefined) ?? Readable.from([]);
      } catch (error) {
        // A range starting at or after the end (an empty blob) has no bytes, which is not an error.
        if (error instanceof SourceError && (error.cause as { statusCode?: number } | undefined)?.statusCode === 416) return Readable.from([]);
        throw error;
      }
    }, options);
  }

  async close(): Promise<void> {}

  private async call<T>(work: () => Promise<T>, blob?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw azureError(error, this.where, this.config, blob);
    }
  }
}

/**
 * The account key or SAS token to use. A connection string is taken apart: it must be for the
 * connection's account and endpoint (otherwise the network guard would check one host and we
 * would call another), and it must hold a key or a SAS.
 */
function resolveSecret(config: AzureBlobFileStoreConfig, credentials: AzureBlobFileStoreCredentials): { accountKey: string } | { sasToken: string } {
  if (credentials.accountKey) return { accountKey: credentials.accountKey };
  if (credentials.sasToken) return { sasToken: credentials.sasToken };
  if (!credentials.connectionString) {
    throw new SourceError('invalid_config', `No credentials for ${config.account}`, 'Give the account key, a SAS token or a connection string.');
  }
  const parts = new Map<string, string>();
  for (const part of credentials.connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const development = parts.get('usedevelopmentstorage')?.toLowerCase() === 'true';
  const account = development ? DEVELOPMENT_STORAGE.account : parts.get('accountname');
  const endpoint = development
    ? DEVELOPMENT_STORAGE.endpoint
    : parts.get('blobendpoint') ?? (account ? `${parts.get('defaultendpointsprotocol') ?? 'https'}://${account}.blob.${parts.get('endpointsuffix') ?? 'core.windows.net'}` : undefined);
  if (account && account !== config.account) {
    throw new SourceError('invalid_config', `The connection string is for account ${account}, but the connection is for account ${config.account}`, `Set the account to ${account}, or use the connection string of ${config.account}.`);
  }
  if (endpoint && hostOf(endpoint) !== hostOf(azureServiceUrl(config))) {
    throw new SourceError('invalid_config', `The connection string points at ${endpoint}, but the connection's endpoint is ${azureServiceUrl(config)}`, `Set the connection's endpoint to ${endpoint.replace(/\/+$/, '')}.`);
  }
  const accountKey = development ? DEVELOPMENT_STORAGE.key : parts.get('accountkey');
  if (accountKey) return { accountKey };
  const sasToken = parts.get('sharedaccesssignature');
  if (sasToken) return { sasToken };
  throw new SourceError('invalid_config', 'The connection string holds neither an AccountKey nor a SharedAccessSignature', 'Copy the whole connection string from the portal (Access keys, or Shared access signature).');
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url.toLowerCase();
  }
}

/** The SourceError for an Azure Blob Storage failure, with the fix a person can make. */
export function azureError(error: unknown, where: string, config: AzureBlobFileStoreConfig, blob?: string): SourceError {
  if (error instanceof SourceError) return error;
  const network = networkError(error, azureServiceUrl(config));
  if (network) return network;
  const e = error as { name?: string; code?: string; statusCode?: number; message?: string; details?: { errorCode?: string } };
  const code = e.details?.errorCode ?? e.code ?? e.name ?? 'Error';
  const status = e.statusCode;
  const detail = `${code}${status ? ` ${status}` : ''}`;
  // Azurite answers a wrong key with AuthorizationFailure and Azure's authentication message;
  // Azure itself uses AuthorizationFailure for firewall refusals, with another message.
  const authentication = code === 'AuthorizationFailure' && /failed to authenticate/i.test(e.message ?? '');
  switch (authentication ? 'AuthenticationFailed' : code) {
    case 'AuthenticationFailed': case 'InvalidAuthenticationInfo': case 'NoAuthenticationInformation':
      return new SourceError('auth_failed', `The account key or SAS token was refused by ${where} (${detail})`, 'Copy the key (Access keys) or a new SAS token from the Azure portal; a SAS may have expired or been signed with a rotated key.', { cause: error });
    case 'ContainerNotFound':
      return new SourceError('not_found', `The container ${config.container} does not exist in account ${config.account}`, 'Check the container name (lowercase) and the account.', { cause: error });
    case 'BlobNotFound':
      return new SourceError('not_found', `${blob ?? 'The blob'} does not exist in ${where}`, 'Check the path; list the files to see what is there.', { cause: error });
    case 'ResourceNotFound': case 'AccountIsDisabled':
      return new SourceError('not_found', `${where} was not found (${detail})`, 'Check the account and container names.', { cause: error });
    case 'AuthorizationFailure': case 'AuthorizationPermissionMismatch': case 'AuthorizationResourceTypeMismatch':
    case 'AuthorizationServiceMismatch': case 'AuthorizationSourceIPMismatch': case 'AuthorizationProtocolMismatch': case 'InsufficientAccountPermissions':
      return new SourceError('permission_denied', `The credentials may not ${blob ? `read ${blob} in` : 'list'} ${where} (${detail})`, 'Give the SAS read and list permissions (sp=rl) on the container and allow this server\'s address, or give the identity the Storage Blob Data Reader role.', { cause: error });
  }
  if (status === 401) return new SourceError('auth_failed', `${where} refused the credentials (${detail})`, 'Check the account key or SAS token.', { cause: error });
  if (status === 403) return new SourceError('permission_denied', `${where} refused the request (${detail})`, 'Check the SAS permissions or the role of the identity.', { cause: error });
  if (status === 404) return new SourceError('not_found', `${blob ?? config.container} was not found in ${where} (${detail})`, 'Check the container and the path.', { cause: error });
  if (status !== undefined && status >= 400 && status < 500) return new SourceError('invalid_config', `${where} rejected the request (${detail}: ${e.message ?? ''})`, 'Check the account, the container and the endpoint.', { cause: error });
  return new SourceError('unreachable', `${where} failed to answer (${detail})`, 'Try again later; if it persists, check the endpoint and the service status.', { cause: error });
}
