import type { DuckDBInstance } from '@duckdb/node-api';

interface Entry {
  instance: Promise<DuckDBInstance>;
  active: number;
  lastUsed: number;
}

/**
 * In-memory DuckDB instances for queries, one per project, kept between queries. An instance is
 * locked down to its project's folder when created, which cannot be undone or changed later, so
 * projects cannot share one. Reusing it saves about 17 ms per query over a fresh instance (measured:
 * 18 ms against 1 to 2 ms for a count over 500,000 rows) and keeps DuckDB's Parquet metadata cache
 * warm; the tables are attached to each query's own connection, so nothing in an instance goes stale.
 */
export class QueryInstances {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly create: (projectId: string) => Promise<DuckDBInstance>,
    /** At most this many idle instances are kept; the least recently used go first. */
    private readonly maxIdle: number,
    /** Instances idle longer than this are closed at the next use. */
    private readonly idleMs: number,
  ) {}

  /** Runs `work` with the project's instance; the instance is not closed while work is running. */
  async use<T>(projectId: string, work: (instance: DuckDBInstance) => Promise<T>): Promise<T> {
    this.sweep();
    let entry = this.entries.get(projectId);
    if (!entry) {
      entry = { instance: this.create(projectId), active: 0, lastUsed: Date.now() };
      this.entries.set(projectId, entry);
      entry.instance.catch(() => this.entries.delete(projectId));
    }
    entry.active++;
    try {
      return await work(await entry.instance);
    } finally {
      entry.active--;
      entry.lastUsed = Date.now();
    }
  }

  /** Closes every instance; for shutdown, when no query runs any more. */
  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) (await entry.instance.catch(() => null))?.closeSync();
  }

  private sweep(): void {
    const now = Date.now();
    const idle = [...this.entries].filter(([, e]) => e.active === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    idle.forEach(([projectId, entry], index) => {
      if (now - entry.lastUsed > this.idleMs || idle.length - index > this.maxIdle) {
        this.entries.delete(projectId);
        void entry.instance.then((instance) => instance.closeSync(), () => undefined);
      }
    });
  }
}
