import { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } from 'hyparquet';

/** What a Parquet file's footer says about it: its top-level column names and its row count. */
export interface ParquetFooter {
  columns: string[];
  rows: number;
}

/** Reads a local Parquet file's footer (a few kilobytes at its end, never its data). */
export async function parquetFooter(file: string): Promise<ParquetFooter> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
  return {
    columns: parquetSchema(metadata).children.map((child) => child.element.name),
    rows: Number(metadata.num_rows),
  };
}
