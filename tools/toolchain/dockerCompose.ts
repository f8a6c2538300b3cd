/**
 * docker-compose, only to validate docker-compose.yml in tests: Debian's docker-compose 1.29 runs
 * `config` without a Docker engine, which this machine does not have.
 */
import { aptInstall } from './apt';
import type { Log } from './process';
import { fromPath, provision } from './provision';

/** `docker-compose` on PATH → `apt-get install -y docker-compose` when root → undefined. */
export function ensureDockerCompose(log: Log): Promise<string | undefined> {
  return provision(
    'dockerCompose',
    async () =>
      fromPath('docker-compose', 'docker-compose', log) ??
      (await aptInstall('docker-compose', 'docker-compose', 'docker-compose', 'the compose test will skip', log)),
  );
}
