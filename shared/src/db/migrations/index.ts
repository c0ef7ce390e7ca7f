import { Migration20261122Foundation } from './migration-20261122-foundation.js';
import { Migration20261122Connections } from './migration-20261122-connections.js';
import { Migration20261122Etl } from './migration-20261122-etl.js';
import { Migration20261122LoadedFiles } from './migration-20261122-loaded-files.js';

/**
 * Every committed migration, in order. Listed here rather than discovered from files so the same
 * list runs from compiled JavaScript and from the tests' TypeScript.
 */
export const MIGRATIONS = [
  { name: 'Migration20261122Foundation', class: Migration20261122Foundation },
  { name: 'Migration20261122Connections', class: Migration20261122Connections },
  { name: 'Migration20261122Etl', class: Migration20261122Etl },
  { name: 'Migration20261122LoadedFiles', class: Migration20261122LoadedFiles },
];
