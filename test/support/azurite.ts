import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runNode, waitFor } from './processes.js';
import { stopProc } from './s3rver.js';

/** Azurite's well-known development account and key. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A running Azurite blob service on 127.0.0.1 with its data in a temp folder. */
export interface Azurite {
  /** The blob service URL, path-style: `http://127.0.0.1:<port>/devstoreaccount1`. */
  endpoint: string;
  port: number;
  account: string;
  accountKey: string;
  connectionString: string;
  /** Stops the service and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts Azurite 3.36's blob service as a child process, without telemetry, on a port the system
 * picks (it prints the port). The API version check is skipped: the SDK may be newer than Azurite.
 */
export async function startAzurite(): Promise<Azurite> {
  const location = await mkdtemp(path.join(os.tmpdir(), 'recs-azurite-'));
  const proc = runNode('node_modules/azurite/dist/src/blob/main.js', {}, [
    '--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location, '--silent', '--disableTelemetry', '--skipApiVersionCheck',
  ]);
  let port = 0;
  try {
    await waitFor('Azurite to listen', () => {
      if (proc.child.exitCode !== null) throw new Error(`Azurite exited (${proc.child.exitCode}):\n${proc.output()}`);
      port = Number(/listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(proc.output())?.[1] ?? 0);
      return port > 0;
    }, 30_000);
  } catch (error) {
    await stopProc(proc);
    await rm(location, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    endpoint,
    port,
    account: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
    async stop() {
      await stopProc(proc);
      await rm(location, { recursive: true, force: true });
    },
  };
}
