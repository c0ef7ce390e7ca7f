/** A source column and the warehouse column it is loaded into. */
export interface ColumnMapping {
  source: string;
  destination: string;
}

const MAX_LENGTH = 300;
/** Columns the platform adds to every loaded row. */
export const METADATA_COLUMNS = ['_extracted_at', '_run_id'] as const;

/** One name made safe: letters, digits and underscores, no leading digit, at most 300 characters. */
export function sanitizeColumnName(name: string): string {
  let out = name
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!out) out = 'column';
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out.slice(0, MAX_LENGTH);
}

/**
 * Maps source column names to warehouse names that are safe and unique without regard to case.
 * Names already in `previous` keep their destination, so the mapping stays stable from run to run
 * even when new source columns would otherwise take a name first. Names the platform reserves for
 * its metadata columns are never given to a source column.
 */
export function sanitizeColumnNames(sources: readonly string[], previous: readonly ColumnMapping[] = []): ColumnMapping[] {
  const kept = new Map(previous.map((m) => [m.source, m.destination]));
  const taken = new Set<string>([...METADATA_COLUMNS, ...kept.values()].map((n) => n.toLowerCase()));
  return sources.map((source) => {
    const stable = kept.get(source);
    if (stable) return { source, destination: stable };
    const base = sanitizeColumnName(source);
    let candidate = base;
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) {
      const suffix = `_${n}`;
      candidate = base.slice(0, MAX_LENGTH - suffix.length) + suffix;
    }
    taken.add(candidate.toLowerCase());
    return { source, destination: candidate };
  });
}
