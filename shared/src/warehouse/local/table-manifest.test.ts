import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { commitManifest, dataFiles, listVersions, readLatestManifest, rowCount, withFiles, type DataFile, type TableManifest } from './table-manifest.js';

let tmp: string;
let tables = 0;
const newTable = () => path.join(tmp, `t${++tables}`);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'recs-manifest-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const file = (name: string, rows: number, columns: DataFile['columns']): DataFile => ({ path: `data/${name}`, rows, bytes: rows * 10, columns });
const manifest = (version: number, files: DataFile[] = [], runId = `run-${version}`): TableManifest =>
  withFiles(
    {
      format: 1,
      version,
      committedAt: '2026-11-22T00:00:00.000Z',
      operation: 'append',
      columns: [{ name: 'id', type: 'INT64', nullable: false }],
      markers: [{ runId, jobId: 'job', rowsLoaded: 0, watermarkAfter: null, committedAt: '2026-11-22T00:00:00.000Z' }],
    },
    files,
  );

describe('table manifests', () => {
  test('of many writers committing the same version at once, exactly one wins and its manifest is the one kept', async () => {
    const dir = newTable();
    const outcomes = await Promise.all(Array.from({ length: 24 }, (_, i) => commitManifest(dir, manifest(1, [], `writer-${i}`))));

    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const winner = outcomes.indexOf(true);
    expect((await readLatestManifest(dir))?.markers[0]?.runId).toBe(`writer-${winner}`);
    // The losers leave no temporary files behind.
    expect(await readdir(path.join(dir, '_manifests'))).toEqual(['v00000001.json']);
  });

  test('the latest manifest is the highest version; a table without one does not exist', async () => {
    const dir = newTable();
    expect(await readLatestManifest(dir)).toBeNull();
    for (const version of [1, 2, 3]) expect(await commitManifest(dir, manifest(version))).toBe(true);
    // A temporary file of a writer in the middle of its commit is not a version.
    await writeFile(path.join(dir, '_manifests', '.tmp-in-flight.json'), '{');

    expect(await listVersions(dir)).toEqual([1, 2, 3]);
    expect((await readLatestManifest(dir))?.version).toBe(3);
    expect(await commitManifest(dir, manifest(3))).toBe(false);
  });

  test('files written between two schema changes share their columns, and each file gets its own back', () => {
    const before = [{ name: 'id', type: 'INT64' as const }];
    const after = [{ name: 'id', type: 'NUMERIC' as const }];
    const files = [file('a.parquet', 10, before), file('b.parquet', 5, before), file('c.parquet', 7, after)];
    const placed = manifest(4, files);

    expect(placed.schemas).toEqual([before, after]);
    expect(placed.files.map((f) => f.schema)).toEqual([0, 0, 1]);
    expect(dataFiles(placed)).toEqual(files);
    expect(rowCount(placed)).toBe(22);
  });

  test('a manifest written by a newer platform is refused with what to do', async () => {
    const dir = newTable();
    await mkdir(path.join(dir, '_manifests'), { recursive: true });
    await writeFile(path.join(dir, '_manifests', 'v00000001.json'), JSON.stringify({ ...manifest(1), format: 2 }));
    await expect(readLatestManifest(dir)).rejects.toThrow('has format 2, which this version of the platform cannot read; upgrade the platform');
  });
});
