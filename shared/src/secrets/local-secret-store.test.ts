import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { LocalSecretStore } from './local-secret-store.js';
import { SecretStoreError } from './secret-store.js';

async function store(key = randomBytes(32)) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'secrets-'));
  return { dir, key, store: new LocalSecretStore(dir, key) };
}

describe('the local secret store', () => {
  test('a secret reads back as it was written, and the file holds no plaintext', async () => {
    const { dir, store: s } = await store();
    const ref = await s.put('conn-1', { password: 'hunter2-very-secret' });
    expect(await s.get(ref)).toEqual({ password: 'hunter2-very-secret' });
    const raw = await readFile(path.join(dir, `${ref}.json`), 'utf8');
    expect(raw).not.toContain('hunter2');
    expect((await stat(path.join(dir, `${ref}.json`))).mode & 0o777).toBe(0o600);
  });

  test('writing again replaces the secret; deleting removes it', async () => {
    const { dir, store: s } = await store();
    await s.put('conn-2', { password: 'one' });
    await s.put('conn-2', { password: 'two' });
    expect(await s.get('conn-2')).toEqual({ password: 'two' });
    await s.delete('conn-2');
    await expect(s.get('conn-2')).rejects.toMatchObject({ code: 'not_found' });
    expect(await readdir(dir)).toEqual([]);
    await s.delete('conn-2');
  });

  test('another key cannot read it, and says why', async () => {
    const { dir, store: s } = await store();
    await s.put('conn-3', { password: 'x' });
    const other = new LocalSecretStore(dir, randomBytes(32));
    await expect(other.get('conn-3')).rejects.toThrow(/does not decrypt/);
  });

  test('a file renamed to another secret does not decrypt (the name is authenticated)', async () => {
    const { dir, store: s } = await store();
    await s.put('conn-a', { password: 'a' });
    await rename(path.join(dir, 'conn-a.json'), path.join(dir, 'conn-b.json'));
    await expect(s.get('conn-b')).rejects.toBeInstanceOf(SecretStoreError);
  });

  test('a reference with path characters is refused', async () => {
    const { store: s } = await store();
    await expect(s.get('../etc/passwd')).rejects.toMatchObject({ code: 'not_found' });
  });
});
