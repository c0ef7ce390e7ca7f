import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SourceError } from '../source-error.js';
import { FileSource } from './file-source.js';
import { LocalFileStore } from './local-file-store.js';

let tmp: string;
let root: string;

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
    return undefined;
  } catch (error) {
    if (error instanceof SourceError) return error.code;
    throw error;
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-local-store-'));
  root = path.join(tmp, 'root');
  await mkdir(path.join(root, 'acme/exports/2024'), { recursive: true });
  await mkdir(path.join(root, 'globex'), { recursive: true });
  await mkdir(path.join(tmp, 'outside'), { recursive: true });
  await writeFile(path.join(root, 'acme/exports/orders.csv'), 'id,amount\n1,9.5\n2,3.25\n');
  await writeFile(path.join(root, 'acme/exports/orders.json'), '[{"id":1}]');
  await writeFile(path.join(root, 'acme/exports/2024/january.csv'), 'id\n1\n');
  await writeFile(path.join(root, 'globex/secret.csv'), 'card\n4111\n');
  await writeFile(path.join(tmp, 'outside/passwd.csv'), 'user\nroot\n');
  // Links: one staying inside the folder, three leading out of it, and a loop.
  await symlink(path.join(root, 'acme/exports/2024'), path.join(root, 'acme/exports/latest'));
  await symlink(path.join(root, 'globex/secret.csv'), path.join(root, 'acme/exports/neighbour.csv'));
  await symlink(path.join(tmp, 'outside'), path.join(root, 'acme/exports/escape'));
  await symlink(path.join(root, 'acme'), path.join(root, 'acme/exports/2024/up'));
  await symlink(path.join(root, 'acme/exports'), path.join(root, 'acme/exports/2024/loop'));
  await symlink(path.join(tmp, 'outside'), path.join(root, 'linked-out'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('a local folder under the operator\'s root', () => {
  test('lists its files recursively in key order, following links that stay inside', async () => {
    const store = new LocalFileStore(root, 'acme/exports');
    const paths = (await store.list('')).map((o) => o.path);
    expect(paths).toEqual(['2024/january.csv', 'latest/january.csv', 'orders.csv', 'orders.json']);
    expect((await store.list('orders.')).map((o) => o.path)).toEqual(['orders.csv', 'orders.json']);
    expect((await store.list('2024/')).map((o) => o.path)).toEqual(['2024/january.csv']);
    expect(await store.list('missing/')).toEqual([]);
    expect(await store.list('', { limit: 1 })).toHaveLength(1);
  });

  test('reads a file, or a byte range of it', async () => {
    const store = new LocalFileStore(root, 'acme/exports');
    expect(await text(await store.read('orders.csv'))).toBe('id,amount\n1,9.5\n2,3.25\n');
    expect(await text(await store.read('orders.csv', { start: 3, end: 8 }))).toBe('amount');
    expect(await text(await store.read('orders.csv', { start: 1000, end: 2000 }))).toBe('');
  });

  test("refuses '..' and absolute paths before touching the disk", async () => {
    const store = new LocalFileStore(root, 'acme/exports');
    expect(await codeOf(store.read('../../globex/secret.csv'))).toBe('invalid_config');
    expect(await codeOf(store.read('/etc/passwd'))).toBe('invalid_config');
    expect(await codeOf(store.list('../'))).toBe('invalid_config');
    expect(await codeOf(() => new LocalFileStore(root, '../outside'))).toBe('invalid_config');
    expect(await codeOf(() => new LocalFileStore(root, '/etc'))).toBe('invalid_config');
  });

  test('refuses links leading outside its folder, with a message that says so', async () => {
    const store = new LocalFileStore(root, 'acme/exports');
    const error = await store.read('neighbour.csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'permission_denied', message: expect.stringContaining('leads outside the folder') });
    expect(await codeOf(store.read('escape/passwd.csv'))).toBe('permission_denied');
    expect(await codeOf(new LocalFileStore(root, 'linked-out').check())).toBe('permission_denied');
  });

  test('a missing folder or file is not_found, and a file given as the folder is invalid_config', async () => {
    expect(await codeOf(new LocalFileStore(root, 'initech').check())).toBe('not_found');
    expect(await codeOf(new LocalFileStore(root, 'acme/exports').read('nope.csv'))).toBe('not_found');
    expect(await codeOf(new LocalFileStore(root, 'acme/exports/orders.csv').check())).toBe('invalid_config');
    expect(await codeOf(new LocalFileStore(path.join(tmp, 'no-root'), '').check())).toBe('invalid_config');
    await expect(new LocalFileStore(root, 'acme').check()).resolves.toBeUndefined();
  });
});

describe('the file source over a local folder', () => {
  test('a pattern is matched below the folder given as prefix', async () => {
    const source = new FileSource('local_files', new LocalFileStore(root, 'acme'), 'folder acme');
    expect((await source.listFiles('exports', '*.csv')).map((f) => f.path)).toEqual(['exports/orders.csv']);
    expect((await source.listFiles('exports/', '**/*.csv')).map((f) => f.path)).toEqual(['exports/2024/january.csv', 'exports/latest/january.csv', 'exports/orders.csv']);
    expect((await source.listFiles('', 'exports/2024/*.csv')).map((f) => f.path)).toEqual(['exports/2024/january.csv']);
    expect(await source.listFiles('exports/', '*.parquet')).toEqual([]);
    expect(await source.listSchemas()).toEqual(['/']);
    expect(await source.listTables('/')).toEqual([expect.objectContaining({ name: 'exports/', kind: 'table' })]);
  });

  test('a folder previews its first readable file, and a limit bounds the rows', async () => {
    const source = new FileSource('local_files', new LocalFileStore(root, 'acme/exports'), 'folder acme/exports');
    const preview = await source.preview({ path: '2024' });
    expect(preview.columns.map((c) => c.name)).toEqual(['id']);
    const orders = await source.preview({ path: 'orders.csv' }, { limit: 1 });
    expect(orders.rows).toEqual([{ id: '1', amount: '9.5' }]);
    expect(await codeOf(source.preview({ path: 'nothing-here/' }))).toBe('not_found');
    expect(await codeOf(source.preview({ schema: 'public', table: 'orders' }))).toBe('invalid_config');
  });
});
