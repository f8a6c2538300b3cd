/**
 * The compose stack in real containers on this machine (Podman, every image built locally; see
 * docs/production/containers-local.md):
 *
 *   npm run stack:containers -- build [name…]  installs Podman when missing, builds every image
 *   npm run stack:containers -- journey        build, up, a failed invoice to recovery, down
 *   npm run stack:containers -- up             build, up, and stay up until Ctrl-C, then down
 *   npm run stack:containers -- down           removes a stack left behind (containers, volumes)
 *
 * `journey` and `up` hold /tmp/cluster.lock (flock) while the stack is up: it publishes ports
 * (7233, 3000, ...) near those `npm run cluster`'s tests use, and one such stack at a time is what
 * a 2-core machine takes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImages } from './buildImages';
import { openComposeStack, writeEnvFile, type ComposeStack } from './composeStack';
import { localRunEnv } from './envFile';
import { startHostProviders } from './hostProviders';
import { runJourney } from './journey';
import { ensurePodmanTools } from './podman';

const log = (line: string) => console.log(`[containers] ${line}`);
const RUN_DIR = join(tmpdir(), 'dunning-containers');
const LOCK = '/tmp/cluster.lock';
/** The API's port as compose publishes it. */
const API_URL = 'http://127.0.0.1:3000';

/**
 * Builds the images (outside the lock: minutes of CPU, no ports), then runs this command again
 * under `flock`, which goes on to bring the stack up; returns at once when already under it.
 */
async function buildThenLock(): Promise<void> {
  if (process.env.DUNNING_CONTAINERS_LOCKED === LOCK) return;
  await ensurePodmanTools(log);
  for (const s of await buildImages(log)) log(`left out: ${s}`);
  log(`waiting for ${LOCK} (one cluster or container stack at a time on this machine)`);
  const r = spawnSync('flock', [LOCK, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, DUNNING_CONTAINERS_LOCKED: LOCK },
  });
  process.exit(r.status ?? 1);
}

/** On a failure: what each container says, for the error report. */
async function explain(stack: ComposeStack): Promise<void> {
  log(await stack.compose(['ps'], { allowFailure: true }));
  for (const s of ['temporal-schema', 'temporal', 'temporal-setup', 'worker', 'api']) {
    const out = await stack.compose(['logs', '--no-color', '--tail', '25', s], { allowFailure: true });
    log(`--- ${s} ---\n${out}`);
  }
}

async function withStack(
  work: (stack: ComposeStack, apiToken: string, urls: { stripe: string; outbox: string }) => Promise<void>,
) {
  const providers = await startHostProviders(`${API_URL}/webhooks/stripe`);
  log(`Stripe sandbox ${providers.stripe.url}, Resend outbox ${providers.outbox.url} (on the host)`);
  const env = localRunEnv({
    stripeUrl: providers.stripe.url,
    outboxUrl: providers.outbox.url,
    webhookSecret: providers.webhookSecret,
  });
  writeEnvFile(RUN_DIR, env.text);
  const stack = await openComposeStack(RUN_DIR);
  try {
    await stack.compose(['down', '-v', '--remove-orphans'], { allowFailure: true }); // a run left behind
    await stack.up(log);
    log(await stack.compose(['ps']));
    await work(stack, env.apiToken, { stripe: providers.stripe.url, outbox: providers.outbox.url });
  } catch (err) {
    await explain(stack);
    throw err;
  } finally {
    await stack.down(log);
    await providers.close();
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'build': {
      await ensurePodmanTools(log);
      for (const s of await buildImages(log, rest)) log(`left out: ${s}`);
      log('images built');
      return;
    }
    case 'journey':
      await buildThenLock();
      await withStack(async (_stack, apiToken, urls) => {
        const steps = await runJourney({ apiUrl: API_URL, apiToken, stripeUrl: urls.stripe, outboxUrl: urls.outbox }, log);
        log(`journey through the containers: ${steps.length} steps done`);
      });
      return;
    case 'up':
      await buildThenLock();
      await withStack(async (stack, apiToken) => {
        log(`stack up from ${stack.runDir}/.env; API ${API_URL} (API_TOKEN ${apiToken}); Ctrl-C stops and removes it`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      });
      return;
    case 'down': {
      // docker-compose reads the env_file even to remove: an empty one will do.
      if (!existsSync(join(RUN_DIR, '.env'))) writeEnvFile(RUN_DIR, '');
      const stack = await openComposeStack(RUN_DIR);
      await stack.down(log);
      return;
    }
    default:
      throw new Error('usage: npm run stack:containers -- build [name…] | journey | up | down');
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
