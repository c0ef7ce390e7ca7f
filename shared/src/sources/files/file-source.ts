import { sameFileVersion, type ExtractRequest, type ExtractResult, type FileFingerprint } from '../../extract/extract.js';
import { extractFiles } from '../../extract/file-extract.js';
import picomatch from 'picomatch';
import type { CallOptions, FileFormat, FileInfo, Preview, Source, SourceKind, SourceTarget, TableInfo } from '../source.js';
import { SourceError, withTimeout } from '../source-error.js';
import { previewLimit } from './column-preview.js';
import { previewCsv } from './csv-preview.js';
import { DEFAULT_LIST_LIMIT, folderPrefix, formatFromName, isFolderMarker, toFileInfo } from './file-format.js';
import { readHead } from './file-head.js';
import type { FileStore, StoredObject } from './file-store.js';
import { previewJson } from './json-preview.js';
import { previewParquet } from './parquet-preview.js';

/** The one pseudo-schema a file store answers. */
export const FILE_SCHEMA = '/';

/**
 * A file store (local folder, S3, Azure Blob, GCS) as a source: its files are listed with glob
 * patterns and previewed from their first bytes (CSV, JSON, JSONL) or their footer (Parquet).
 * `where` names the store in messages, e.g. `s3://sales/exports/`.
 */
export class FileSource implements Source {
  constructor(readonly kind: SourceKind, private readonly store: FileStore, private readonly where: string) {}

  /** Lists the bucket, container or folder, which proves the settings and the credentials. */
  async test(options?: CallOptions): Promise<void> {
    await this.store.check(options);
  }

  async listSchemas(): Promise<string[]> {
    return [FILE_SCHEMA];
  }

  /**
   * The top-level folders holding files we read (named `folder/`) and the readable files at the
   * top, with their total size and latest change; a table of files is a folder of same-shaped files.
   */
  async listTables(schema: string, options?: CallOptions): Promise<TableInfo[]> {
    if (schema !== FILE_SCHEMA) throw new SourceError('not_found', `${this.where} has no schema ${schema}`, `A file connection has one schema, '${FILE_SCHEMA}'.`);
    const tables = new Map<string, TableInfo>();
    for (const object of await this.store.list('', { ...options, limit: DEFAULT_LIST_LIMIT })) {
      if (isFolderMarker(object) || !formatFromName(object.path).format) continue;
      const slash = object.path.indexOf('/');
      const name = slash === -1 ? object.path : object.path.slice(0, slash + 1);
      const table = tables.get(name) ?? { name, kind: 'table', sizeBytes: 0 };
      table.sizeBytes = (table.sizeBytes ?? 0) + object.size;
      if (object.modified && (!table.lastModified || object.modified > table.lastModified)) table.lastModified = object.modified;
      tables.set(name, table);
    }
    return [...tables.values()];
  }

  /**
   * Files under `prefix`. Without a pattern the prefix is a key prefix, as in S3. With one, the
   * prefix is a folder and the glob (picomatch) is matched against the path below it: `*.csv` for
   * the folder's own CSV files, `**\/*.csv.gz` for those at any depth, `2024-*\/orders.parquet`.
   * At most 10 000 files are looked at.
   */
  async listFiles(prefix: string, pattern: string | undefined, options?: CallOptions): Promise<FileInfo[]> {
    const key = prefix.replace(/^\/+/, '');
    if (!pattern) {
      const objects = await this.store.list(key, { ...options, limit: DEFAULT_LIST_LIMIT });
      return objects.filter((object) => !isFolderMarker(object)).map(toFileInfo);
    }
    const folder = folderPrefix(key);
    // The pattern's literal start narrows the listing: `2024/*.csv` lists only under `2024`.
    const literal = picomatch.scan(pattern).base;
    const matches = picomatch(pattern);
    const objects = await this.store.list(folder + literal, { ...options, limit: DEFAULT_LIST_LIMIT });
    return objects.filter((object) => !isFolderMarker(object) && matches(object.path.slice(folder.length))).map(toFileInfo);
  }

  /**
   * Columns with suggested types and the first rows of a file, or of the first file of a folder or
   * of a pattern's matches. Reads only the file's head (at most 512 KiB) or, for Parquet, its footer
   * and first row group. The format comes from `target.format`, else the name, else the content.
   */
  async preview(target: SourceTarget, options: CallOptions & { limit?: number } = {}): Promise<Preview> {
    if (!('path' in target)) {
      throw new SourceError('invalid_config', `${this.where} holds files, not tables or collections`, 'Preview a path (a file or a folder), optionally with a pattern such as *.csv.');
    }
    const limit = previewLimit(options.limit);
    return withTimeout(`Preview of ${target.path || FILE_SCHEMA} in ${this.where}`, async (signal) => {
      const inner = { signal, timeoutMs: options.timeoutMs };
      const file = await this.pick(target, inner);
      // Nothing to read; and some S3-compatible stores mishandle a range on an empty object.
      if (file.size === 0) return { columns: [], rows: [] };
      const named = formatFromName(file.path);
      let format: FileFormat | undefined = target.format ?? named.format;
      if (format === 'parquet') return previewParquet(this.store, file.path, file.size, { limit, ...inner });

      const head = await readHead(this.store, file.path, { ...inner, gzip: target.csv?.gzip });
      if (!format) {
        if (head.bytes.subarray(0, 4).toString('latin1') === 'PAR1') return previewParquet(this.store, file.path, file.size, { limit, ...inner });
        format = /^[\s\uFEFF]*[[{]/.test(head.bytes.subarray(0, 64).toString('utf8')) ? 'json' : 'csv';
      }
      if (format === 'csv') return previewCsv(head, { path: file.path, limit, override: target.csv, tsv: named.tsv });
      return previewJson(head, { path: file.path, limit });
    }, options);
  }

  /**
   * Extracts the target's files: the file itself, every readable file under a folder, or every
   * file matching the pattern, all in one format (the target's, else the first file's).
   */
  async extract(target: SourceTarget, request: ExtractRequest): Promise<ExtractResult> {
    if (!('path' in target)) throw new SourceError('invalid_config', `${this.where} holds files, not tables or collections`, 'Edit the job to name a path and pattern.');
    const path = target.path.replace(/^\/+/, '');
    const readable = (object: StoredObject) => !isFolderMarker(object) && (target.format ?? formatFromName(object.path).format) !== undefined;
    let files: StoredObject[];
    if (target.pattern) files = (await this.listFiles(path, target.pattern, { signal: request.signal })).filter(readable);
    else {
      const objects = await this.store.list(path, { signal: request.signal, limit: DEFAULT_LIST_LIMIT });
      const exact = objects.find((object) => object.path === path);
      files = exact ? [exact] : objects.filter((object) => object.path.startsWith(folderPrefix(path)) && readable(object));
    }
    if (files.length === 0) throw new SourceError('not_found', `No file to read under ${path || FILE_SCHEMA} in ${this.where}${target.pattern ? ` matching ${target.pattern}` : ''}`, 'Check the path and pattern; list the files to see what is there.');
    const format = target.format ?? formatFromName(files[0]!.path).format ?? 'csv';
    const fingerprint = (f: StoredObject): FileFingerprint => ({ path: f.path, size: f.size, ...(f.etag ? { etag: f.etag } : {}), ...(f.modified ? { modified: f.modified } : {}) });
    // A transactional file job reads only files it has not loaded in this version.
    const fresh = files.filter((f) => !request.alreadyLoaded?.some((done) => sameFileVersion(done, fingerprint(f))));
    if (fresh.length === 0) return { parts: [], rows: 0, bytes: 0, rejected: [], rejectedCount: 0, files: [] };
    const list = fresh.map((f) => ({ path: f.path, size: f.size, format: formatFromName(f.path).format, gzip: formatFromName(f.path).gzip }));
    const result = await extractFiles(this.store, list, { format, csv: target.csv }, request);
    return { ...result, files: fresh.map(fingerprint) };
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /** The file a preview reads: the path itself, or the first readable file under it or matching the pattern. */
  private async pick(target: { path: string; pattern?: string; format?: FileFormat }, options: CallOptions): Promise<StoredObject> {
    const path = target.path.replace(/^\/+/, '');
    const readable = (object: StoredObject) => !isFolderMarker(object) && (target.format ?? formatFromName(object.path).format) !== undefined;
    if (target.pattern) {
      const file = (await this.listFiles(path, target.pattern, options)).find(readable);
      if (file) return file;
      throw new SourceError('not_found', `No file we can read under ${path || FILE_SCHEMA} in ${this.where} matches ${target.pattern}`, 'Check the pattern (e.g. *.csv for the folder\'s own files, **/*.csv at any depth); we read CSV, TSV, JSON, JSONL and Parquet, optionally gzipped (except Parquet).');
    }
    const objects = await this.store.list(path, { ...options, limit: 1_000 });
    const exact = objects.find((object) => object.path === path);
    if (exact) return exact;
    const folder = folderPrefix(path);
    const first = objects.find((object) => object.path.startsWith(folder) && readable(object));
    if (first) return first;
    throw new SourceError('not_found', `${path || FILE_SCHEMA} was not found in ${this.where}, or holds no file we can read`, 'Check the path (it is case-sensitive); list the files to see what is there.');
  }
}
