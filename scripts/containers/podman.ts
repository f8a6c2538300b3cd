/**
 * Podman on these machines (../shared/notes/containers.md): installed with apt-get when missing,
 * configured through CONTAINERS_CONF (runc, lower rlimits) rather than by editing /etc, and run as
 * root. Every podman call of scripts/containers goes through `podman()` so that it gets that
 * configuration.
 */
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath, runWithHeartbeat, type Log } from '../../tools/toolchain/process';

export const CONTAINERS_DIR = __dirname;
export const REPO_ROOT = join(__dirname, '..', '..');

/** The environment of every podman and compose call: our containers.conf, not /etc's. */
export function podmanEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: join(CONTAINERS_DIR, 'containers.conf') };
}

/** Commands and the Debian package that brings each. */
const TOOLS: Array<{ command: string; pkg: string; path?: string }> = [
  { command: 'podman', pkg: 'podman' },
  { command: 'runc', pkg: 'runc' },
  { command: 'aardvark-dns', pkg: 'aardvark-dns', path: '/usr/lib/podman/aardvark-dns' },
  { command: 'mmdebstrap', pkg: 'mmdebstrap' },
  { command: 'docker-compose', pkg: 'docker-compose' },
];

export class ContainersUnavailable extends Error {}

/**
 * Installs what is missing with one apt-get (update first: old lists may name versions the
 * mirror no longer has). Throws ContainersUnavailable when it cannot (not root, no apt-get).
 */
export async function ensurePodmanTools(log: Log): Promise<void> {
  const missing = TOOLS.filter((t) => !(t.path ? findOnPath(t.command) || exists(t.path) : findOnPath(t.command)));
  if (missing.length === 0) return;
  const pkgs = missing.map((t) => t.pkg);
  const aptGet = findOnPath('apt-get');
  if (!aptGet || process.getuid?.() !== 0) {
    throw new ContainersUnavailable(
      `missing ${pkgs.join(', ')} and cannot apt-get install them (${aptGet ? 'not root' : 'no apt-get'})`,
    );
  }
  log(`installing Debian's ${pkgs.join(' ')} with apt-get (once per machine)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runWithHeartbeat(aptGet, ['update', '-q'], { label: 'apt-get update', log, env });
  const { code, tail } = await runWithHeartbeat(aptGet, ['install', '-y', '-q', ...pkgs], { label: 'apt-get install', log, env });
  if (code !== 0) throw new ContainersUnavailable(`apt-get install ${pkgs.join(' ')} failed:\n${tail.slice(-1500)}`);
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Runs podman with our configuration; resolves with its stdout, rejects with its stderr. */
export function podman(args: string[], o: { input?: string; allowFailure?: boolean } = {}): Promise<string> {
  return capture('podman', args, o);
}

/** A command's stdout; rejects (unless allowFailure) naming the command and its stderr. */
export function capture(
  command: string,
  args: string[],
  o: { input?: string; allowFailure?: boolean; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: o.env ?? podmanEnv(), cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 || o.allowFailure) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')}: exit ${code}\n${err.slice(-2000)}`));
    });
    child.stdin.end(o.input ?? '');
  });
}

/** `podman image exists`: exit 0 when the image is in local storage. */
export function imageExists(name: string): boolean {
  return spawnSync('podman', ['image', 'exists', name], { env: podmanEnv(), stdio: 'ignore' }).status === 0;
}
