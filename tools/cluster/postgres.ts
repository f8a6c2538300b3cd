/**
 * A private PostgreSQL instance for the cluster: Debian's server binaries (installed with apt where
 * missing), its own data directory and its own port on 127.0.0.1, so it never touches a system
 * PostgreSQL. initdb and the server refuse to run as root: as root (CI, this machine) they run as
 * the `postgres` user the Debian package creates, with their files in that user's home
 * (layout.ts, SERVER_USER_HOME), since it may not enter the checkout.
 */
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative, sep } from 'node:path';
import { aptInstall } from '../toolchain/apt';
import { runWithHeartbeat, type Log } from '../toolchain/process';
import { CLUSTER_PORTS, PG_PASSWORD, PG_USER, SERVER_USER_HOME, type ClusterLayout } from './layout';

const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin folder (Debian keeps each major version apart, off PATH). */
export function installedPostgresBin(): string | undefined {
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((v) => existsSync(join(DEBIAN_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(DEBIAN_ROOT, versions[0], 'bin') : undefined;
}

/** The server's bin folder, installing Debian's `postgresql` when there is none; undefined when that fails. */
export async function ensurePostgres(log: Log): Promise<string | undefined> {
  const bin = installedPostgresBin();
  if (bin) return bin;
  await aptInstall('postgresql', 'postgresql', 'psql', 'the cluster cannot run without PostgreSQL', log);
  return installedPostgresBin();
}

const runsAsRoot = () => process.getuid?.() === 0;

/** `command args` as the user PostgreSQL accepts: `postgres` when we are root, else ourselves. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return runsAsRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** The `postgres` user's ids; an error that says what to do where there is no such user. */
function serverUserIds(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { stdio: 'pipe' }).toString().trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'no "postgres" user: as root the cluster runs PostgreSQL as that user; install Debian\'s postgresql package (apt-get install postgresql), or run npm run cluster as another user',
    );
  }
}

function ownByServerUser(path: string): void {
  if (!runsAsRoot()) return;
  const { uid, gid } = serverUserIds();
  chownSync(path, uid, gid);
}

async function run(bin: string, tool: string, args: string[], layout: ClusterLayout, log: Log): Promise<void> {
  const [command, argv] = asServerUser(join(bin, tool), args);
  // From a folder the server's user may enter: initdb and pg_ctl go back to their working folder.
  const { code, tail } = await runWithHeartbeat(command, argv, { label: `postgres ${tool}`, log, cwd: layout.pgHome });
  if (code !== 0) throw new Error(`${tool} failed (exit ${code}):\n${tail.slice(-2000)}`);
}

/** Creates `dir` and the folders above it up to `from`, each owned by the server's user, mode 700. */
function makeServerUserDirs(from: string, dir: string): void {
  if (!runsAsRoot()) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return;
  }
  const rest = relative(from, dir).split(sep);
  let path = from;
  for (const part of rest) {
    path = join(path, part);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    ownByServerUser(path);
  }
}

/** Creates the data directory once, with the cluster's user as superuser and a password for TCP. */
export async function initPostgres(bin: string, layout: ClusterLayout, log: Log): Promise<void> {
  if (existsSync(join(layout.pgData, 'PG_VERSION'))) return;
  rmSync(layout.pgData, { recursive: true, force: true }); // a half-made one from an interrupted run
  if (runsAsRoot()) serverUserIds(); // before anything is made: the one-line error where there is no such user
  makeServerUserDirs(runsAsRoot() ? SERVER_USER_HOME : layout.dir, layout.pgData);
  // initdb reads the password from a file; it must be readable by the server's user.
  const pwFile = join(layout.pgHome, 'pg-password.tmp');
  writeFileSync(pwFile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  ownByServerUser(pwFile);
  try {
    await run(
      bin,
      'initdb',
      [
        '-D',
        layout.pgData,
        '-U',
        PG_USER,
        `--pwfile=${pwFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '-E',
        'UTF8',
        '--locale=C',
      ],
      layout,
      log,
    );
  } finally {
    rmSync(pwFile, { force: true });
  }
}

/** True when the instance of this data directory runs (`pg_ctl status` exits 0). */
export function postgresRunning(bin: string, layout: ClusterLayout): boolean {
  const [command, argv] = asServerUser(join(bin, 'pg_ctl'), ['status', '-D', layout.pgData]);
  try {
    execFileSync(command, argv, { stdio: 'ignore', cwd: existsSync(layout.pgHome) ? layout.pgHome : '/' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the instance on 127.0.0.1 only, without a Unix socket (the default socket folder may not
 * exist or may belong to a system server); waits until it accepts connections.
 */
export async function startPostgres(bin: string, layout: ClusterLayout, log: Log): Promise<void> {
  if (postgresRunning(bin, layout)) return;
  const options = `-p ${CLUSTER_PORTS.postgres} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
  // The log goes inside the data directory: the server's user can write there.
  await run(
    bin,
    'pg_ctl',
    ['start', '-D', layout.pgData, '-w', '-t', '60', '-l', join(layout.pgData, 'server.log'), '-o', options],
    layout,
    log,
  );
}

export async function stopPostgres(bin: string, layout: ClusterLayout, log: Log): Promise<void> {
  if (!postgresRunning(bin, layout)) return;
  await run(bin, 'pg_ctl', ['stop', '-D', layout.pgData, '-m', 'fast', '-w', '-t', '60'], layout, log);
}

/** Removes PostgreSQL's files of this checkout (stopped first by the caller). */
export function deletePostgresData(layout: ClusterLayout): void {
  rmSync(layout.pgData, { recursive: true, force: true });
  if (layout.pgHome !== layout.dir) rmSync(layout.pgHome, { recursive: true, force: true });
}
