/**
 * docker-compose, only to validate docker-compose.yml in tests: Debian's docker-compose 1.29 runs
 * `config` without a Docker engine, which this machine does not have.
 */
import type { ToolRecord } from './cache';
import { findOnPath, runWithHeartbeat, type Log } from './process';
import { fromPath, provision } from './provision';

/** `docker-compose` on PATH → `apt-get install -y docker-compose` when root → undefined. */
export function ensureDockerCompose(log: Log): Promise<string | undefined> {
  return provision('dockerCompose', async () => fromPath('docker-compose', 'docker-compose', log) ?? (await aptInstall(log)));
}

async function aptInstall(log: Log): Promise<ToolRecord | undefined> {
  const aptGet = findOnPath('apt-get');
  if (!aptGet || process.getuid?.() !== 0) {
    log('docker-compose: not on PATH and cannot apt-get install it (not root or no apt); the compose test will skip');
    return undefined;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = await runWithHeartbeat(aptGet, ['install', '-y', '-q', '--no-install-recommends', 'docker-compose'], { label: 'docker-compose', log, env });
  if (install.code !== 0) {
    // A fresh machine has no package lists yet.
    await runWithHeartbeat(aptGet, ['update', '-q'], { label: 'docker-compose', log, env });
    install = await runWithHeartbeat(aptGet, ['install', '-y', '-q', '--no-install-recommends', 'docker-compose'], { label: 'docker-compose', log, env });
  }
  const installed = findOnPath('docker-compose');
  if (install.code !== 0 || !installed) {
    log(`docker-compose: apt-get install failed:\n${install.tail.slice(-1000)}`);
    return undefined;
  }
  return { path: installed, version: 'debian', source: 'apt' };
}
