import { z } from 'zod';
import { FileSource } from './files/file-source.js';
import { LocalFileStore } from './files/local-file-store.js';
import type { SourceModule } from './source.js';

/** A local files connection: a folder under the operator's root for local files. */
export const localFilesConfig = z.object({
  /** The folder, relative to the local files root; '' for the root itself. @defaultValue '' */
  path: z
    .string()
    .trim()
    .default('')
    .refine((path) => !path.startsWith('/') && !/^[a-zA-Z]:[\\/]/.test(path), 'Give a folder relative to the local files root, not an absolute path')
    .refine((path) => !path.split(/[/\\]/).includes('..'), "The folder may not contain '..'"),
});
/** A local files connection's settings, parsed. */
export type LocalFilesConfig = z.infer<typeof localFilesConfig>;

/** Local files need no secret. */
export const localFilesCredentials = z.object({}).strict();
/** Nothing: local files have no secret. */
export type LocalFilesCredentials = z.infer<typeof localFilesCredentials>;

/** Files in a folder of this server (CSV, TSV, JSON, JSONL, Parquet; gzip too), confined to the operator's root. */
export const localFilesModule: SourceModule<LocalFilesConfig, LocalFilesCredentials> = {
  kind: 'local_files',
  label: 'Local files',
  group: 'Files',
  config: localFilesConfig,
  credentials: localFilesCredentials,
  host: () => undefined,
  describe: (config) => (config.path ? `Folder ${config.path}` : 'The local files folder'),
  open: (config, _credentials, deps) =>
    new FileSource('local_files', new LocalFileStore(deps.localFilesRoot, config.path), config.path ? `folder ${config.path}` : 'the local files folder'),
};
