import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A PostgreSQL server of our own that checks passwords (the machine's uses trust auth). */
export interface PasswordPostgres {
  port: number;
  user: string;
  password: string;
  /** Changes the user's password, as an administrator would. */
  setPassword(password: string): Promise<void>;
  stop(): Promise<void>;
}

async function asPostgres(command: string, args: string[]): Promise<void> {
  // initdb and pg_ctl refuse to run as root.
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await run('runuser', ['-u', 'postgres', '--', path.join(BIN, command), ...args]);
  else await run(path.join(BIN, command), args);
}

/** Initialises and starts a throwaway cluster with scram-sha-256 authentication on a free port. */
export async function startPasswordPostgres(): Promise<PasswordPostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'recs-pg-'));
  const user = 'recs_owner';
  const password = 'Initial-pass-0';
  await writeFile(path.join(dir, 'pw'), password);
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout), Number(gid));
    await chown(path.join(dir, 'pw'), Number(stdout), Number(gid));
  }
  const data = path.join(dir, 'data');
  await asPostgres('initdb', ['-D', data, '-U', user, '--auth=scram-sha-256', `--pwfile=${path.join(dir, 'pw')}`, '--no-sync']);
  const port = await freePort();
  await asPostgres('pg_ctl', ['-D', data, '-w', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const state = { password };
  return {
    port,
    user,
    get password() {
      return state.password;
    },
    async setPassword(next: string) {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ host: '127.0.0.1', port, user, password: state.password, database: 'postgres' });
      await client.connect();
      await client.query(`alter user ${user} password '${next.replaceAll("'", "''")}'`);
      await client.end();
      state.password = next;
    },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
