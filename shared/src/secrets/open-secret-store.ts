import path from 'node:path';
import type { Config } from '../config/config.js';
import { loadOrCreateKeyFile } from '../runtime/key-file.js';
import { LocalSecretStore } from './local-secret-store.js';
import { SecretStoreError, type SecretStore } from './secret-store.js';

/** The secret store the configuration names: `local` (encrypted files) or `gcp` (Secret Manager). */
export async function openSecretStore(config: Config): Promise<SecretStore> {
  if (config.secrets.backend === 'gcp') {
    const { GcpSecretStore } = await import('./gcp-secret-store.js');
    return new GcpSecretStore({ projectId: config.gcp.project! });
  }
  const key = config.secrets.key ? Buffer.from(config.secrets.key, 'base64') : await loadOrCreateKeyFile(config.dataDir, 'secrets.key');
  if (key.length !== 32) throw new SecretStoreError('corrupt', `SECRETS_KEY must be the base64 of 32 bytes; it decodes to ${key.length}`);
  return new LocalSecretStore(path.join(config.dataDir, 'secrets'), key);
}
