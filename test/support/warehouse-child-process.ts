import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO } from './processes.js';

const NODE = path.join(REPO, 'node_modules/.bin/node');
const CHILD = path.join(REPO, 'test/support/warehouse-child.ts');

/** A `warehouse-child.ts` process: resolves when it prints "ready", and with its last line when it exits. */
export interface WarehouseChild {
  ready: Promise<void>;
  result: Promise<unknown>;
}

/** Starts `warehouse-child.ts` with Node 24; see that file for the commands. */
export function startWarehouseChild(args: string[]): WarehouseChild {
  const child = spawn(NODE, [CHILD, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const result = new Promise<unknown>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      onReady();
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`warehouse child ${args[0]} exited with ${code}:\n${out}\n${err}`));
      else resolve(JSON.parse(last));
    });
  });
  return { ready, result };
}
