import type { Dirent } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { CallOptions } from '../source.js';
import { SourceError, withTimeout } from '../source-error.js';
import { DEFAULT_LIST_LIMIT } from './file-format.js';
import type { FileStore, StoredObject } from './file-store.js';

/**
 * A folder on this server's disk, confined to the root the operator configured: a connection
 * names a folder relative to that root, and every path it reads is relative to its folder.
 * Absolute paths and `..` are refused outright, and every path is resolved through its symbolic
 * links and refused when it lands outside the folder, so a link cannot reach another tenant's
 * files or the server's own. Paths use `/` whatever the platform.
 */
export class LocalFileStore implements FileStore {
  private readonly folder: string;

  /**
   * @param root - the operator's root for local files (`SourceDeps.localFilesRoot`)
   * @param folder - the connection's folder, relative to `root`; '' for the root itself
   */
  constructor(private readonly root: string, folder = '') {
    this.folder = relativePath(folder, 'The folder');
  }

  private get label(): string {
    return this.folder ? `folder ${this.folder}` : 'the local files folder';
  }

  async check(options: CallOptions = {}): Promise<void> {
    await withTimeout(`Reading ${this.label}`, async () => {
      const base = await this.base();
      const info = await stat(base).catch((error: unknown) => { throw fsError(error, this.label); });
      if (!info.isDirectory()) throw new SourceError('invalid_config', `${this.label} is a file, not a folder`, 'Give the folder that holds the files.');
      await readdir(base).catch((error: unknown) => { throw fsError(error, this.label); });
    }, options);
  }

  async list(prefix: string, options: CallOptions & { limit?: number } = {}): Promise<StoredObject[]> {
    const wanted = relativePath(prefix, 'The prefix', true);
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    return withTimeout(`Listing ${this.label}`, async (signal) => {
      const base = await this.base();
      const startDir = wanted.slice(0, wanted.lastIndexOf('/') + 1);
      let start: string;
      try {
        start = await this.resolve(base, startDir);
      } catch (error) {
        if (error instanceof SourceError && error.code === 'not_found') return [];
        throw error;
      }
      const found: StoredObject[] = [];
      await this.walk(base, start, startDir, wanted, limit, found, [base, start], signal);
      return found;
    }, options);
  }

  async read(file: string, options: CallOptions & { start?: number; end?: number } = {}): Promise<Readable> {
    const wanted = relativePath(file, 'The path');
    return withTimeout(`Reading ${wanted} in ${this.label}`, async () => {
      const real = await this.resolve(await this.base(), wanted);
      const info = await stat(real).catch((error: unknown) => { throw fsError(error, wanted); });
      if (!info.isFile()) throw new SourceError('invalid_config', `${wanted} in ${this.label} is not a file`, 'Choose a file; a folder is previewed through one of its files.');
      const handle = await open(real, 'r').catch((error: unknown) => { throw fsError(error, wanted); });
      return handle.createReadStream({ start: options.start, end: options.end, autoClose: true });
    }, options);
  }

  async close(): Promise<void> {}

  /** The connection's folder, through its links, after checking that it lies under the root. */
  private async base(): Promise<string> {
    const root = await realpath(this.root).catch((error: unknown) => {
      throw new SourceError('invalid_config', `The local files root ${this.root} cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'Ask the operator to create the folder configured for local files, or to fix its setting.', { cause: error });
    });
    const base = await realpath(path.join(root, this.folder)).catch((error: unknown) => { throw fsError(error, this.label); });
    if (!inside(root, base)) {
      throw new SourceError('permission_denied', `${this.label} is a symbolic link that leads outside the local files root`, 'Use a real folder under the local files root; links may not leave it.');
    }
    return base;
  }

  /** A relative path's real location, refused when its links lead outside the connection's folder. */
  private async resolve(base: string, relative: string): Promise<string> {
    const real = await realpath(path.join(base, relative)).catch((error: unknown) => { throw fsError(error, relative || this.label); });
    if (!inside(base, real)) {
      throw new SourceError('permission_denied', `${relative} in ${this.label} is a symbolic link that leads outside the folder`, 'Copy the file into the folder instead of linking to it; links may not leave the folder.');
    }
    return real;
  }

  /**
   * Walks a folder in key order (a folder sorts as its name plus `/`, as in S3), descending only
   * where the prefix can match. Links are followed while they stay inside the folder; a link
   * leading outside is skipped, and so is a link to a folder being walked (a loop).
   */
  private async walk(base: string, dir: string, dirKey: string, prefix: string, limit: number, found: StoredObject[], ancestors: readonly string[], signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw fsError(error, dirKey || this.label);
    }
    const items: { key: string; real: string; size: number; mtime: Date; isDir: boolean }[] = [];
    for (const entry of entries) {
      let real = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await realpath(real).catch(() => undefined);
        if (!target || !inside(base, target)) continue;
        real = target;
      }
      const info = await stat(real).catch(() => undefined);
      if (!info || (!info.isFile() && !info.isDirectory())) continue;
      const key = `${dirKey}${entry.name}${info.isDirectory() ? '/' : ''}`;
      if (!key.startsWith(prefix) && !(info.isDirectory() && prefix.startsWith(key))) continue;
      items.push({ key, real, size: info.size, mtime: info.mtime, isDir: info.isDirectory() });
    }
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const item of items) {
      if (found.length >= limit) return;
      if (item.isDir) {
        if (ancestors.includes(item.real)) continue;
        await this.walk(base, item.real, item.key, prefix, limit, found, [...ancestors, item.real], signal);
      } else {
        found.push({ path: item.key, size: item.size, modified: item.mtime.toISOString() });
      }
    }
  }
}

/**
 * A path relative to the folder, with `/` separators and no `.` segments. Absolute paths and `..`
 * are refused: the check is on the text, before any file is touched. A prefix keeps its trailing `/`.
 */
function relativePath(value: string, what: string, prefix = false): string {
  if (value.includes('\0')) throw new SourceError('invalid_config', `${what} contains a NUL character`, 'Remove it.');
  if (path.posix.isAbsolute(value) || path.win32.isAbsolute(value)) {
    throw new SourceError('invalid_config', `${what} ${value} is absolute; local files are read only under the folder the operator configured`, 'Give a path relative to the connection\'s folder, e.g. exports/orders.csv.');
  }
  if (value.split(/[/\\]/).includes('..')) {
    throw new SourceError('invalid_config', `${what} ${value} contains '..', which would leave the connection's folder`, 'Give a path inside the folder, without \'..\'.');
  }
  const joined = value.split('/').filter((segment) => segment !== '' && segment !== '.').join('/');
  return prefix && joined !== '' && value.endsWith('/') ? `${joined}/` : joined;
}

function inside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** A file system error in words: a missing file, a refused permission, or something we cannot tell. */
function fsError(error: unknown, what: string): SourceError {
  if (error instanceof SourceError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new SourceError('not_found', `${what} does not exist`, 'Check the spelling of the folder or file; the path is relative to the local files root and is case-sensitive.', { cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new SourceError('permission_denied', `This server may not read ${what}`, 'Ask the operator to let the server\'s user read the folder and its files (read and execute on folders, read on files).', { cause: error });
  }
  if (code === 'ELOOP') {
    return new SourceError('invalid_config', `${what} is a loop of symbolic links`, 'Replace the links by real files or folders.', { cause: error });
  }
  return new SourceError('unreachable', `Could not read ${what}: ${(error as Error).message}`, 'Ask the operator to check the disk that holds the local files.', { cause: error });
}
