/**
 * The service as a deployment on a cluster runs it: the standalone Stripe sandbox and Resend
 * outbox, and N worker and M API processes (`src/main.ts worker|api`, what `npm run start:worker`
 * and `npm run start:api` run, without npm in between so that a signal reaches the program), all
 * against one Temporal address, each with its own log under `dataDir/logs`.
 *
 * Every process shares one PAYLOAD_ENCRYPTION_KEYS value: a worker must decrypt what any API
 * encrypted. The key is fixed rather than random, because the cluster outlives a test run and
 * listing cases decodes the memo of older runs' cases too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, type Child } from '../../../tools/stack/processes';
import { freePort } from '../../../tools/toolchain/ports';

export const CLUSTER_TEST_KEYS = `cluster-tests:${createHash('sha256').update('dunning cluster tests: not a secret').digest('base64')}`;

export interface ServiceProcesses {
  apiToken: string;
  /** Base URLs of the API processes; the Stripe sandbox delivers webhooks to the first. */
  apiUrls: string[];
  stripeUrl: string;
  outboxUrl: string;
  workers: Child[];
  apis: Child[];
  stop(): Promise<void>;
}

export async function startServiceProcesses(o: {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  dataDir: string;
  workers: number;
  apis: number;
}): Promise<ServiceProcesses> {
  const logs = join(o.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const apiToken = `cluster_${randomBytes(16).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const apiPorts = await Promise.all(Array.from({ length: o.apis }, () => freePort()));
  const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
  const children: Child[] = [];
  // The service's configuration is what this file says, not whatever the caller's shell exported.
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^(TEMPORAL_|STRIPE_|RESEND_|APP_WEBHOOK_|EMAIL_|DUNNING_|API_TOKEN|LINK_SECRET|PUBLIC_BASE_URL|PORT$|METRICS_PORT|WORKFLOW_BUNDLE|PAYLOAD_ENCRYPTION_KEYS|CODEC_)/.test(
          name,
        ),
    ),
  );
  const spawn = (name: string, file: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp) => {
    const child = startChild({
      name,
      file,
      args,
      env: { ...baseEnv, ...env },
      readyPattern: ready,
      logFile: join(logs, `${name}.log`),
    });
    children.push(child);
    return child;
  };
  const stop = async () => {
    await Promise.all(children.splice(0).map((c) => c.stop()));
  };

  try {
    const bundlePath = join(o.dataDir, 'workflow-bundle.js');
    const bundle = spawn('build-workflows', 'scripts/build-workflows.ts', [bundlePath], {}, /^workflow bundle: /);
    const stripe = spawn(
      'stripe-sandbox',
      'sandbox/main.ts',
      [
        'stripe',
        '--port',
        String(await freePort()),
        '--webhook-url',
        `${apiUrls[0]}/webhooks/stripe`,
        '--webhook-secret',
        webhookSecret,
      ],
      {},
      /^ready: (\S+)/,
    );
    const outbox = spawn('resend-outbox', 'sandbox/main.ts', ['resend', '--port', String(await freePort())], {}, /^ready: (\S+)/);
    const [stripeReady, outboxReady] = await Promise.all([stripe.ready, outbox.ready, bundle.ready]);
    const stripeUrl = stripeReady[1]!;
    const outboxUrl = outboxReady[1]!;

    const serviceEnv: NodeJS.ProcessEnv = {
      DATA_DIR: o.dataDir,
      TEMPORAL_ADDRESS: o.temporalAddress,
      TEMPORAL_NAMESPACE: o.namespace,
      TEMPORAL_TASK_QUEUE: o.taskQueue,
      STRIPE_API_BASE: stripeUrl,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      RESEND_BASE_URL: outboxUrl,
      EMAIL_RATE_LIMIT: '50',
      API_TOKEN: apiToken,
      LINK_SECRET: randomBytes(32).toString('hex'),
      PAYLOAD_ENCRYPTION_KEYS: CLUSTER_TEST_KEYS,
      PUBLIC_BASE_URL: apiUrls[0],
      WORKFLOW_BUNDLE_PATH: bundlePath,
      LOG_LEVEL: 'info',
    };
    const ready = /dunning service running/;
    const workers: Child[] = [];
    for (let i = 1; i <= o.workers; i++) {
      // Each worker's own /metrics on a port of its own (two on one machine would collide on the default).
      workers.push(
        spawn(`worker-${i}`, 'src/main.ts', ['worker'], { ...serviceEnv, METRICS_PORT: String(await freePort()) }, ready),
      );
    }
    const apis = apiPorts.map((port, i) =>
      spawn(`api-${i + 1}`, 'src/main.ts', ['api'], { ...serviceEnv, PORT: String(port) }, ready),
    );
    await Promise.all([...workers, ...apis].map((c) => c.ready));
    return { apiToken, apiUrls, stripeUrl, outboxUrl, workers, apis, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
