import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Past this many bytes of ArrayBuffers, a collection is asked for. */
const ARRAY_BUFFER_BUDGET = 24 * 1024 * 1024;

let collect: (() => void) | null | undefined;

/**
 * Collects garbage when dead Buffers pile up. An extraction reads its source socket in 64 KB
 * chunks that die as soon as their bytes are copied, but they live outside V8's heap, and V8 only
 * collects them once 64 MB of such memory has grown since the last collection: with a JavaScript
 * heap of a few megabytes nothing else triggers one, so 40 to 70 MB of dead chunks sat in the
 * extractor's resident memory. A full collection of so small a heap takes a millisecond or two.
 * Call it every second or so while reading; it does nothing while Buffers stay under the budget.
 */
export function collectDeadBuffers(): void {
  if (process.memoryUsage().arrayBuffers < ARRAY_BUFFER_BUDGET) return;
  if (collect === undefined) collect = exposeGc();
  collect?.();
}

/** V8's gc(), which Node hides unless started with --expose-gc; null if it cannot be had. */
function exposeGc(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}
