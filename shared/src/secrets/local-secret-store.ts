import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SecretStoreError, type SecretStore } from './secret-store.js';

/** On-disk form of one secret: AES-256-GCM, with the secret's name bound in as associated data. */
interface SealedSecret {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * The local stack's secret store: one file per secret under `DATA_DIR/secrets`, encrypted with
 * AES-256-GCM under a 32-byte key (SECRETS_KEY, or a key file created with mode 0600). The name is
 * authenticated with the data, so a file copied under another name does not decrypt.
 */
export class LocalSecretStore implements SecretStore {
  constructor(
    private readonly dir: string,
    private readonly key: Buffer,
  ) {
    if (key.length !== 32) throw new SecretStoreError('corrupt', `The local secret key must be 32 bytes; it is ${key.length}`);
  }

  private file(ref: string): string {
    if (!NAME.test(ref)) throw new SecretStoreError('not_found', `"${ref.slice(0, 80)}" is not a secret reference of this store`);
    return path.join(this.dir, `${ref}.json`);
  }

  async put(name: string, value: Record<string, unknown>): Promise<string> {
    const file = this.file(name);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(name));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const sealed: SealedSecret = { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Written beside and renamed, so a reader never sees half a file.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(sealed), { mode: 0o600 });
    await rename(tmp, file);
    return name;
  }

  async get(ref: string): Promise<Record<string, unknown>> {
    let sealed: SealedSecret;
    try {
      sealed = JSON.parse(await readFile(this.file(ref), 'utf8')) as SealedSecret;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new SecretStoreError('not_found', `The secret ${ref} is missing from the local secret store`);
      if (error instanceof SecretStoreError) throw error;
      throw new SecretStoreError('unavailable', `The local secret store could not read ${ref}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(ref));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new SecretStoreError('corrupt', `The secret ${ref} does not decrypt: the key changed (SECRETS_KEY or the key file) or the file was altered`, { cause: error });
    }
  }

  async delete(ref: string): Promise<void> {
    await rm(this.file(ref), { force: true });
  }
}
