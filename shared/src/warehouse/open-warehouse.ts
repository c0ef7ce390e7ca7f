import path from 'node:path';
import type { Config } from '../config/config.js';
import { LocalWarehouse } from './local/local-warehouse.js';
import { createPostgresWarehouse, isPostgresWarehouseUrl } from './postgres/postgres-warehouse.js';
import type { Warehouse } from './warehouse.js';

/** The warehouse `WAREHOUSE_URL` names: `local` (under DATA_DIR/warehouse) or `postgres://...`. */
export async function openWarehouse(config: Config): Promise<Warehouse> {
  const url = config.warehouseUrl;
  // The loader must stay under 300 MB whatever the table's size: DuckDB spills beyond its limit.
  if (url === 'local') return new LocalWarehouse({ root: path.join(config.dataDir, 'warehouse'), memoryLimit: '160MB' });
  if (isPostgresWarehouseUrl(url)) return createPostgresWarehouse(url);
  throw new Error(`WAREHOUSE_URL=${url.replace(/\/\/[^@]*@/, '//***@')} is not a warehouse this version can open (use local or postgres://...)`);
}
