import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { EtlRun } from './etl-run.js';

/** A source row a run could not read or convert: where it was and why. */
export const EtlRejectedRow = defineEntity({
  name: 'EtlRejectedRow',
  tableName: 'etl_rejected_rows',
  properties: {
    id: p.bigint().primary().autoincrement(),
    run: () => p.manyToOne(EtlRun).deleteRule('cascade'),
    file: p.string().length(1000).nullable(),
    line: p.integer().nullable(),
    column: p.string().length(300).nullable(),
    value: p.string().length(200).nullable(),
    reason: p.text(),
  },
});
export type IEtlRejectedRow = InferEntity<typeof EtlRejectedRow>;
