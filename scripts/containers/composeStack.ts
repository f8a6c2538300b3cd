/**
 * docker-compose.yml brought up for real under Podman: Debian's docker-compose 1.29 talks to
 * `podman system service` (Docker's API on a socket of ours). docker-compose 1.29 honours the
 * `depends_on` conditions (service_healthy, service_completed_successfully) that the compose
 * file's one-shot services rely on; podman-compose is not used.
 *
 * The compose file is used unchanged from the repository; the project directory is a run folder
 * of ours holding the generated .env (the checkout's own .env is never touched) and a link to
 * deploy/ for the bind mounts. `--no-build`: the images are built beforehand (./buildImages).
 *
 * Podman runs healthchecks from systemd timers, and these machines have no systemd: a poller runs
 * `podman healthcheck run` on the stack's containers every two seconds while the stack is up, so
 * that `service_healthy` and `docker-compose ps` see their health.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWithHeartbeat, type Log } from '../../tools/toolchain/process';
import { capture, podman, podmanEnv, REPO_ROOT } from './podman';

export const PROJECT = 'dunning-local';

export interface ComposeStack {
  runDir: string;
  /** Runs docker-compose with the stack's files and socket; resolves with its stdout. */
  compose(args: string[], o?: { allowFailure?: boolean }): Promise<string>;
  /** `up -d` (waits for the depends_on conditions), with a heartbeat. */
  up(log: Log): Promise<void>;
  /** `down -v`: containers, network and volumes; then the API service stops. */
  down(log: Log): Promise<void>;
}

/** Starts the Podman API service for the run folder (which holds `.env`, written by the caller). */
export async function openComposeStack(runDir: string): Promise<ComposeStack> {
  mkdirSync(runDir, { recursive: true });
  const deploy = join(runDir, 'deploy');
  if (!existsSync(deploy)) symlinkSync(join(REPO_ROOT, 'deploy'), deploy);
  const socket = join(runDir, 'podman.sock');
  const service: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    env: podmanEnv(),
    stdio: 'ignore',
  });
  for (let i = 0; !existsSync(socket); i++) {
    if (i > 100 || service.exitCode !== null) throw new Error('podman system service did not open its socket');
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = { ...podmanEnv(), DOCKER_HOST: `unix://${socket}`, COMPOSE_PROJECT_NAME: PROJECT };
  const base = ['-f', join(REPO_ROOT, 'docker-compose.yml'), '--project-directory', runDir];
  let poller: NodeJS.Timeout | undefined;
  const stopPoller = () => poller && clearInterval(poller);
  return {
    runDir,
    compose: (args, o) => capture('docker-compose', [...base, ...args], { env, allowFailure: o?.allowFailure }),
    async up(upLog) {
      poller = setInterval(() => void runHealthchecks(), 2000);
      const { code, tail } = await runWithHeartbeat('docker-compose', [...base, 'up', '-d', '--no-build'], {
        label: 'docker-compose up',
        log: upLog,
        env,
        logFile: join(runDir, 'compose-up.log'),
      });
      if (code !== 0) throw new Error(`docker-compose up failed:\n${tail.slice(-3000)}`);
    },
    async down(downLog) {
      await runWithHeartbeat('docker-compose', [...base, 'down', '-v', '--remove-orphans', '-t', '20'], {
        label: 'docker-compose down',
        log: downLog,
        env,
      });
      stopPoller();
      service.kill('SIGTERM');
    },
  };
}

let polling = false;
/** One `podman healthcheck run` for each running container of the project that has a healthcheck. */
async function runHealthchecks(): Promise<void> {
  if (polling) return;
  polling = true;
  try {
    const names = (
      await podman(['ps', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}} {{.Status}}'], {
        allowFailure: true,
      })
    )
      .split('\n')
      .filter((l) => /\((healthy|unhealthy|starting)\)/.test(l))
      .map((l) => l.split(' ')[0]!);
    await Promise.all(names.map((n) => podman(['healthcheck', 'run', n], { allowFailure: true })));
  } finally {
    polling = false;
  }
}

/** Writes the run folder's .env (the stack's env_file and ${VAR} source). */
export function writeEnvFile(runDir: string, text: string): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, '.env'), text, { mode: 0o600 });
}
