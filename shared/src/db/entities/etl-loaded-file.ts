import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { EtlJob } from './etl-job.js';

/**
 * A version of a file a transactional file job has loaded. Recorded in the same metadata commit
 * that finishes the run, so a file is skipped next time only once its rows are in the warehouse.
 */
export const EtlLoadedFile = defineEntity({
  name: 'EtlLoadedFile',
  tableName: 'etl_loaded_files',
  uniques: [{ properties: ['job', 'path'] }],
  properties: {
    id: p.bigint().primary().autoincrement(),
    job: () => p.manyToOne(EtlJob).deleteRule('cascade'),
    path: p.string().length(1024),
    size: p.double(),
    etag: p.string().length(200).nullable(),
    modified: p.string().length(40).nullable(),
    runId: p.uuid(),
    loadedAt: p.datetime().onCreate(() => new Date()),
  },
});
export type IEtlLoadedFile = InferEntity<typeof EtlLoadedFile>;
