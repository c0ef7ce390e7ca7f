import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Reads a random key kept in a file under DATA_DIR, creating it (mode 0600) on first use, so that
 * restarts and sibling processes of the local stack agree on it. Returns the key's bytes.
 */
export async function loadOrCreateKeyFile(dataDir: string, name: string, bytes = 32): Promise<Buffer> {
  const file = path.join(dataDir, 'keys', name);
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(bytes);
  try {
    // 'wx' fails if another process created it first; then its key wins.
    await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  }
}
