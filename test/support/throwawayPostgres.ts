/**
 * A throwaway PostgreSQL server for tests: the installed server binaries (tools/cluster/postgres.ts
 * finds Debian's), a fresh data folder under the temp dir, a free port on 127.0.0.1, a password
 * (scram-sha-256, as a real deployment has), no fsync. Independent of the local cluster (no lock,
 * no fixed port) and started in about two seconds. As root the server runs as the `postgres` user,
 * as the cluster's does (initdb and postgres refuse root).
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installedPostgresBin } from '../../tools/cluster/postgres';

const run = promisify(execFile);

export interface ThrowawayPostgres {
  /** `postgres://dunning:<password>@127.0.0.1:<port>/postgres` */
  url: string;
  password: string;
  port: number;
  /** The same server and credentials, another database (made by `createDatabase`). */
  urlOf(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast), keeping its data: `start` brings it back on the same port. */
  stopServer(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

/** Why no server can be started here (no binaries), or undefined. */
export const noPostgresReason = (): string | undefined =>
  installedPostgresBin() ? undefined : 'no PostgreSQL server binaries (apt-get install postgresql)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = installedPostgresBin();
  if (!bin) throw new Error(noPostgresReason());
  const asRoot = process.getuid?.() === 0;
  const as = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  const dir = mkdtempSync(join(tmpdir(), 'throwaway-pg-'));
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  writeFileSync(join(dir, 'pw'), password);
  if (asRoot) {
    const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
    const [uid, gid] = [await id('-u'), await id('-g')];
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'pw'), uid, gid);
  }
  const data = join(dir, 'data');
  await as('initdb', [
    '-D',
    data,
    '-U',
    'dunning',
    `--pwfile=${join(dir, 'pw')}`,
    '--auth=scram-sha-256',
    '--no-sync',
    '--no-instructions',
    '-E',
    'UTF8',
  ]);
  const port = await freePort();
  const start = async () => {
    await as('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`,
      'start',
    ]);
  };
  await start();
  const urlOf = (database: string) =>
    `postgres://dunning:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    url: urlOf('postgres'),
    password,
    port,
    urlOf,
    async createDatabase(name) {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: urlOf('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return urlOf(name);
    },
    stopServer: async () => {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    async destroy() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
