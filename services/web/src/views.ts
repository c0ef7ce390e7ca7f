/** Handlebars helpers for the pages; kept few, since the templates should stay plain HTML. */
export const helpers = {
  eq: (a: unknown, b: unknown) => a === b,
  /** "3 minutes ago" from an ISO date. */
  ago(iso: string): string {
    const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    const units: [number, string][] = [[86_400, 'day'], [3_600, 'hour'], [60, 'minute']];
    for (const [size, unit] of units) {
      const n = Math.floor(seconds / size);
      if (n >= 1) return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
    }
    return 'just now';
  },
  json: (value: unknown) => JSON.stringify(value),
};
