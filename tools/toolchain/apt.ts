/**
 * Tools that come from Debian's packages (docker-compose, chromium): installed with apt-get when
 * this runs as root, as it does in CI on a clean machine. One apt-get at a time: dpkg takes a
 * lock, and two installs started side by side would make the second fail.
 */
import type { ToolRecord } from './cache';
import { findOnPath, runWithHeartbeat, type Log } from './process';

let aptQueue: Promise<unknown> = Promise.resolve();

/**
 * `apt-get update`, then `apt-get install -y <pkg>`, then `command` from PATH. The update comes
 * first: a fresh machine has no package lists, and old lists may name versions the mirror no
 * longer has. Only runs when the tool is missing, so a machine that has it never pays for it.
 */
export function aptInstall(
  label: string,
  pkg: string,
  command: string,
  whenMissing: string,
  log: Log,
): Promise<ToolRecord | undefined> {
  const run = aptQueue.then(() => install(label, pkg, command, whenMissing, log));
  aptQueue = run.catch(() => undefined);
  return run;
}

async function install(
  label: string,
  pkg: string,
  command: string,
  whenMissing: string,
  log: Log,
): Promise<ToolRecord | undefined> {
  const aptGet = findOnPath('apt-get');
  if (!aptGet || process.getuid?.() !== 0) {
    log(`${label}: not on PATH and cannot apt-get install ${pkg} (${aptGet ? 'not root' : 'no apt-get'}); ${whenMissing}`);
    return undefined;
  }
  log(`${label}: not on PATH; installing Debian's ${pkg} with apt-get (update, then install; once per machine)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await runWithHeartbeat(aptGet, ['update', '-q'], { label, log, env });
  if (update.code !== 0)
    log(`${label}: apt-get update failed, trying the install with the lists there are:\n${update.tail.slice(-1000)}`);
  const result = await runWithHeartbeat(aptGet, ['install', '-y', '-q', '--no-install-recommends', pkg], { label, log, env });
  const installed = findOnPath(command);
  if (result.code !== 0 || !installed) {
    log(`${label}: apt-get install ${pkg} failed; ${whenMissing}:\n${result.tail.slice(-1000)}`);
    return undefined;
  }
  return { path: installed, version: 'debian', source: 'apt' };
}
