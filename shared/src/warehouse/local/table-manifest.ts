import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { WarehouseType } from '../../types/warehouse-types.js';
import type { ColumnSpec, LoadMarker } from '../warehouse.js';

/**
 * A local table is a folder of immutable Parquet data files (`data/`) and a sequence of manifests
 * (`_manifests/v00000001.json`, ...). Each manifest is the whole state of the table at one version:
 * its columns, the data files that hold its rows, and the markers of every load that committed.
 * The latest manifest is the table; older ones stay until `vacuum` removes them.
 */
export interface TableManifest {
  format: 1;
  version: number;
  committedAt: string;
  /** What made this version, for people reading the folder. */
  operation: 'append' | 'replace' | 'snapshot' | 'compact';
  columns: ColumnSpec[];
  /**
   * The physical columns of the data files, shared by index: files written between two schema
   * changes have the same columns. Readers cast each file's columns to `columns`, and read a column
   * a file lacks as null.
   */
  schemas: FileColumn[][];
  files: ManifestFile[];
  markers: LoadMarker[];
}

/** A column as stored in a data file: its warehouse type when the file was written. */
export interface FileColumn {
  name: string;
  type: WarehouseType;
}

/** A data file of a table version. `path` is relative to the table's folder. */
export interface ManifestFile {
  path: string;
  rows: number;
  bytes: number;
  /** Index into `TableManifest.schemas`. */
  schema: number;
}

/** A data file with its own columns, before it is placed in a manifest's shared `schemas`. */
export interface DataFile {
  path: string;
  rows: number;
  bytes: number;
  columns: FileColumn[];
}

export const MANIFESTS_DIR = '_manifests';
export const DATA_DIR = 'data';
const MANIFEST_NAME = /^v(\d+)\.json$/;

/** `v00000042.json`: zero-padded so that a listing sorts in commit order. */
export function manifestName(version: number): string {
  return `v${String(version).padStart(8, '0')}.json`;
}

/** The committed versions of a table, oldest first; empty when the table does not exist. */
export async function listVersions(tableDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(path.join(tableDir, MANIFESTS_DIR));
  } catch (error) {
    if (isCode(error, 'ENOENT')) return [];
    throw error;
  }
  const versions: number[] = [];
  for (const name of names) {
    const match = MANIFEST_NAME.exec(name);
    if (match) versions.push(Number(match[1]));
  }
  return versions.sort((a, b) => a - b);
}

/** One version's manifest, or null when it is not there (never committed, or vacuumed). */
export async function readManifest(tableDir: string, version: number): Promise<TableManifest | null> {
  let text: string;
  try {
    text = await readFile(path.join(tableDir, MANIFESTS_DIR, manifestName(version)), 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
  const manifest = JSON.parse(text) as TableManifest;
  if (manifest.format !== 1) {
    throw new Error(`Manifest ${manifestName(version)} of ${tableDir} has format ${String(manifest.format)}, which this version of the platform cannot read; upgrade the platform.`);
  }
  return manifest;
}

/**
 * The table's latest committed manifest, or null when the table does not exist. A vacuum may remove
 * the version we listed before we read it (a newer one exists then), so a vanished file means: list again.
 */
export async function readLatestManifest(tableDir: string): Promise<TableManifest | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const versions = await listVersions(tableDir);
    const latest = versions.at(-1);
    if (latest === undefined) return null;
    const manifest = await readManifest(tableDir, latest);
    if (manifest) return manifest;
  }
  throw new Error(`The manifests of ${tableDir} kept vanishing while being read; is a vacuum with keepVersions 1 running in a loop?`);
}

/**
 * Commits `manifest` as its version, unless another writer committed that version first (then
 * answers false and the caller re-plans against the new latest version).
 *
 * This is the one place where writers meet, and it must stay atomic for readers too: the manifest
 * is written and synced under a temporary name, then hard-linked to its final name. `link` fails
 * when the name exists (so two writers never both win), and the name only ever appears with its
 * whole content (an exclusive `open(..., 'wx')` followed by a write would let a reader, or a writer
 * after a crash, see an empty or half-written manifest).
 */
export async function commitManifest(tableDir: string, manifest: TableManifest): Promise<boolean> {
  const dir = path.join(tableDir, MANIFESTS_DIR);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.tmp-${randomUUID()}.json`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(JSON.stringify(manifest, null, 1));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path.join(dir, manifestName(manifest.version)));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (isCode(error, 'EEXIST')) return false;
    if (isCode(error, 'EPERM') || isCode(error, 'ENOTSUP') || isCode(error, 'ENOSYS')) {
      throw new Error(
        `The local warehouse needs a filesystem with hard links to commit table versions atomically, and ${dir} has none (${(error as Error).message}). ` +
          `Put DATA_DIR on a local filesystem or volume.`,
      );
    }
    throw error;
  }
  // Committed. What follows only tidies up and makes the commit durable; it must not undo it.
  await unlink(temp).catch(() => undefined);
  await syncDir(dir).catch(() => undefined);
  return true;
}

/** Places data files in a manifest: their columns are shared through `schemas`. */
export function withFiles(base: Omit<TableManifest, 'schemas' | 'files'>, files: readonly DataFile[]): TableManifest {
  const schemas: FileColumn[][] = [];
  const indexByKey = new Map<string, number>();
  const placed: ManifestFile[] = files.map((file) => {
    const key = JSON.stringify(file.columns.map((c) => [c.name, c.type]));
    let index = indexByKey.get(key);
    if (index === undefined) {
      index = schemas.push(file.columns.map((c) => ({ name: c.name, type: c.type }))) - 1;
      indexByKey.set(key, index);
    }
    return { path: file.path, rows: file.rows, bytes: file.bytes, schema: index };
  });
  return { ...base, schemas, files: placed };
}

/** The data files of a manifest, each with its own columns. */
export function dataFiles(manifest: TableManifest): DataFile[] {
  return manifest.files.map((file) => {
    const columns = manifest.schemas[file.schema];
    if (!columns) throw new Error(`Manifest version ${manifest.version} lists ${file.path} with schema ${file.schema}, which it does not define.`);
    return { path: file.path, rows: file.rows, bytes: file.bytes, columns };
  });
}

/** The number of rows of a table version, from its manifest (no scan). */
export function rowCount(manifest: TableManifest): number {
  return manifest.files.reduce((sum, file) => sum + file.rows, 0);
}

/** Flushes a folder's entries (a created or renamed file) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Whether an error is a Node system error with this code. */
export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
