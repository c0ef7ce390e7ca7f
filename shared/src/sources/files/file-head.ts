import type { Readable } from 'node:stream';
import { constants, createGunzip } from 'node:zlib';
import { SourceError } from '../source-error.js';
import type { FileStore } from './file-store.js';

/** The first bytes of a file, decompressed when it is gzip. */
export interface FileHead {
  bytes: Buffer;
  /** Found by the magic bytes `1f 8b`, whatever the name says. */
  gzip: boolean;
  /** The bytes are the whole file; otherwise the last line is probably cut. */
  complete: boolean;
}

/** How much of a file a preview reads: enough for a thousand ordinary rows. */
export const HEAD_BYTES = 512 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * Reads at most `maxBytes` from the start of a file, by a range request, never the whole file.
 * A gzip file is recognised by its magic bytes and inflated up to `maxBytes` of text; a gzip stream
 * cut by the range is fine (zlib flushes what it has instead of failing on the missing end).
 * `gzip` overrides the sniffing (false reads the bytes as they are).
 */
export async function readHead(
  store: FileStore,
  path: string,
  options: { maxBytes?: number; gzip?: boolean; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<FileHead> {
  const maxBytes = options.maxBytes ?? HEAD_BYTES;
  const stream = await store.read(path, { start: 0, end: maxBytes - 1, signal: options.signal, timeoutMs: options.timeoutMs });
  const raw = await collect(stream, maxBytes, options.signal);
  const magic = raw.bytes.length >= 2 && raw.bytes[0] === GZIP_MAGIC[0] && raw.bytes[1] === GZIP_MAGIC[1];
  if (options.gzip === true && !magic) {
    throw new SourceError('invalid_config', `${path} is not a gzip file (it does not start with the gzip magic bytes)`, 'Turn the gzip setting off for this file.');
  }
  const gzip = options.gzip ?? magic;
  if (!gzip) return { bytes: raw.bytes, gzip, complete: raw.ended && raw.bytes.length < maxBytes };

  const gunzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  gunzip.end(raw.bytes);
  try {
    const text = await collect(gunzip, maxBytes, options.signal);
    return { bytes: text.bytes, gzip, complete: raw.ended && raw.bytes.length < maxBytes && text.ended };
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError('invalid_config', `${path} starts like a gzip file but does not inflate: ${(error as Error).message}`, 'Check that the file is a complete gzip file (gunzip -t), or choose another file.', { cause: error });
  }
}

/**
 * Collects a stream's bytes up to `max`, then destroys it so that the rest is never transferred.
 * `ended` says the stream ended on its own before the limit.
 */
export async function collect(stream: Readable, max: number, signal?: AbortSignal): Promise<{ bytes: Buffer; ended: boolean }> {
  const onAbort = () => stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buffer);
      size += buffer.length;
      if (size >= max) return { bytes: Buffer.concat(chunks, size).subarray(0, max), ended: false };
    }
    return { bytes: Buffer.concat(chunks, size), ended: true };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}
