import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runNode, waitFor, type Proc } from './processes.js';

/** s3rver's one account. */
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';

/** A running s3rver: an S3-compatible server on 127.0.0.1 with its data in a temp folder. */
export interface S3rver {
  /** E.g. `http://127.0.0.1:41055`; clients need `forcePathStyle: true`. */
  endpoint: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts s3rver 3.7 as a child process on a port the system picks (it prints the port), behind a
 * small proxy in this process that checks Signature Version 4 as S3 does: s3rver checks the access
 * key id but not the v4 signature, so without the proxy a wrong secret key would be accepted.
 */
export async function startS3rver(): Promise<S3rver> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'recs-s3rver-'));
  // s3rver signs continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider: without
  // it, any listing S3 would truncate (more keys than max-keys) fails with InternalError.
  const proc = runNode('node_modules/s3rver/bin/s3rver.js', { NODE_OPTIONS: '--openssl-legacy-provider' }, [
    '--directory', directory, '--address', '127.0.0.1', '--port', '0', '--silent',
  ]);
  let backend = 0;
  try {
    await waitFor('s3rver to listen', () => {
      if (proc.child.exitCode !== null) throw new Error(`s3rver exited (${proc.child.exitCode}):\n${proc.output()}`);
      backend = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(proc.output())?.[1] ?? 0);
      return backend > 0;
    });
  } catch (error) {
    await stopProc(proc);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }

  const proxy = http.createServer((req, res) => {
    const refusal = checkSignature(req);
    if (refusal) {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`);
      req.resume();
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: backend, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    async stop() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await stopProc(proc);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** SIGTERM, then SIGKILL if the process is still there after five seconds. */
export async function stopProc(proc: Proc): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.term();
  const killer = setTimeout(() => proc.child.kill('SIGKILL'), 5_000);
  await proc.exited;
  clearTimeout(killer);
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** RFC 3986 encoding, as SigV4 wants it. */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Recomputes an `Authorization: AWS4-HMAC-SHA256` header's signature with s3rver's secret
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
 * and answers what S3 answers when it differs. Requests signed otherwise pass to s3rver.
 */
function checkSignature(req: http.IncomingMessage): { code: string; message: string } | undefined {
  const match = AUTHORIZATION.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  if (accessKeyId !== ACCESS_KEY_ID) {
    return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  }
  const url = new URL(req.url ?? '/', 'http://s3rver');
  const query = [...url.searchParams].map(([k, v]) => [encode(k), encode(v)] as const).sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const headers = signedHeaders!.split(';').map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, url.pathname, query, headers, signedHeaders, req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', String(req.headers['x-amz-date']), scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${SECRET_ACCESS_KEY}`).update(date!).digest();
  for (const part of [region!, service!, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(toSign).digest();
  if (timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) return undefined;
  return { code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
}
