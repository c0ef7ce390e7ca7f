import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A package loaded on first use instead of at import. The cloud SDKs cost 20 to 40 MB of memory
 * each and up to half a second to load; a worker that never opens an S3, Azure or Google Cloud
 * connection should not pay for them (the extractor and loader must stay under 300 MB).
 */
export function lazyModule<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
