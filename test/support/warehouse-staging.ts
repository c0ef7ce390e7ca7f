import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DUCKDB_TYPES } from '../../shared/src/warehouse/physical-types.js';
import type { ColumnSpec, StagedPart } from '../../shared/src/warehouse/warehouse.js';
import { REPO } from './processes.js';

export const RETAIL_SAMPLE_CSV = path.join(REPO, 'test/fixtures/files/online_retail_sample.csv');
/** The whole UCI Online Retail set (531,282 rows), for volume tests. */
export const RETAIL_PARQUET = path.join(REPO, 'test/fixtures/files/online_retail.parquet');

/** Online Retail as an extractor stages it: source columns, then the platform's metadata columns. */
export const RETAIL_COLUMNS: ColumnSpec[] = [
  { name: 'InvoiceNo', type: 'STRING', nullable: true },
  { name: 'StockCode', type: 'STRING', nullable: true },
  { name: 'Description', type: 'STRING', nullable: true },
  { name: 'Quantity', type: 'INT64', nullable: true },
  { name: 'InvoiceDate', type: 'DATETIME', nullable: true },
  { name: 'UnitPrice', type: 'FLOAT64', nullable: true },
  { name: 'CustomerID', type: 'INT64', nullable: true },
  { name: 'Country', type: 'STRING', nullable: true },
  { name: '_extracted_at', type: 'TIMESTAMP', nullable: false },
  { name: '_run_id', type: 'STRING', nullable: false },
];
/** The source columns: the dedupe key of a table without a primary key. */
export const RETAIL_KEY = RETAIL_COLUMNS.filter((c) => !c.name.startsWith('_')).map((c) => c.name);

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** SQL answering the row count and an order-independent checksum of the source columns of `from`. */
export function fingerprintSql(from: string, columns: readonly string[] = RETAIL_KEY): string {
  return `SELECT count(*)::BIGINT AS "rows", coalesce(sum(hash(${columns.map(q).join(', ')}))::HUGEINT, 0)::VARCHAR AS "checksum" FROM (${from}) AS f`;
}

export interface Fingerprint {
  rows: number;
  checksum: string;
}

/** Reads a `fingerprintSql` answer, whichever way the engine returned the numbers. */
export function toFingerprint(row: Record<string, unknown> | undefined): Fingerprint {
  return { rows: Number(row?.rows), checksum: String(row?.checksum) };
}

/**
 * The test's own DuckDB, playing the source system and the extractor: it holds source tables and
 * writes staged Parquet parts of a run from them, typed as the platform stages them.
 */
export class StagingArea {
  private files = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly dir: string,
  ) {}

  static async open(dir: string): Promise<StagingArea> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB' });
    return new StagingArea(instance, await instance.connect(), dir);
  }

  async run(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.connection.run(sql)).getRowObjectsJS();
  }

  /** Creates the source table `name` from the Online Retail sample CSV, each row numbered (`rn`) in file order. */
  async retailSource(name: string, file = RETAIL_SAMPLE_CSV): Promise<void> {
    const reader = file.endsWith('.parquet') ? `read_parquet('${file}')` : `read_csv('${file}')`;
    const list = RETAIL_KEY.map((c) => `CAST(${q(c)} AS ${DUCKDB_TYPES[RETAIL_COLUMNS.find((r) => r.name === c)!.type]}) AS ${q(c)}`);
    await this.run(`CREATE OR REPLACE TABLE ${q(name)} AS SELECT row_number() OVER () AS rn, ${list.join(', ')} FROM ${reader}`);
  }

  /**
   * Stages the rows of `select` (which must give the columns of `columns` but the metadata ones) as
   * run `runId`: `parts` Parquet files, with `_extracted_at` and `_run_id` added.
   */
  async stage(
    runId: string,
    select: string,
    options: { parts?: number; extractedAt?: string; columns?: ColumnSpec[] } = {},
  ): Promise<StagedPart[]> {
    const columns = options.columns ?? RETAIL_COLUMNS;
    const partCount = options.parts ?? 2;
    const extractedAt = options.extractedAt ?? new Date().toISOString();
    const list = columns.map((c) => {
      const value = c.name === '_extracted_at' ? `'${extractedAt}'` : c.name === '_run_id' ? `'${runId}'` : q(c.name);
      return `CAST(${value} AS ${DUCKDB_TYPES[c.type]}) AS ${q(c.name)}`;
    });
    const staged: StagedPart[] = [];
    for (let part = 0; part < partCount; part++) {
      const file = path.join(this.dir, `${runId}-${++this.files}-part${part}.parquet`);
      const rows = `SELECT ${list.join(', ')} FROM (SELECT *, row_number() OVER () AS __part_rn FROM (${select}) AS s) AS s WHERE __part_rn % ${partCount} = ${part}`;
      const result = await this.connection.run(`COPY (${rows}) TO '${file}' (FORMAT parquet)`);
      staged.push({ uri: file, rows: result.rowsChanged, bytes: (await stat(file)).size });
    }
    return staged;
  }

  async fingerprint(select: string, columns?: readonly string[]): Promise<Fingerprint> {
    return toFingerprint((await this.run(fingerprintSql(select, columns)))[0]);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
