/**
 * docker-compose, only to validate docker-compose.yml in tests: Debian's docker-compose 1.29 runs
 * `config` without a Docker engine, which this machine does not have.
 */
import { recordTool, type ToolRecord } from './cache';
import { findOnPath, runWithHeartbeat, type Log } from './process';

/** `docker-compose` on PATH → `apt-get install -y docker-compose` when root → undefined. */
export async function ensureDockerCompose(log: Log): Promise<string | undefined> {
  const record = await resolveDockerCompose(log);
  recordTool('dockerCompose', record);
  return record?.path;
}

async function resolveDockerCompose(log: Log): Promise<ToolRecord | undefined> {
  const onPath = findOnPath('docker-compose');
  if (onPath) {
    log(`docker-compose: using ${onPath} from PATH`);
    return { path: onPath, version: 'unknown', source: 'path' };
  }
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
