/**
 * The service as separate processes on one machine, as it runs in production, with the local
 * providers: the Temporal dev server (this process starts it: its database and pid record under
 * `dataDir`), the standalone Stripe sandbox and Resend outbox, one or more worker processes on the
 * same task queue and one API process (`src/main.ts worker|api`) loading a prebuilt workflow
 * bundle. Every port is free and
 * 127.0.0.1-only. Used by the chaos suite, which kills and restarts parts of it.
 *
 * A worker or API that exits without being told to is restarted (a supervisor's job in
 * production) and counted: the chaos suite reports it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServiceDevServer, type DevServer } from '../temporal/devServer';
import { ensureTemporalCli } from '../toolchain';
import { freePort } from '../toolchain/ports';
import { startChild, type Child } from './processes';

export interface LocalStackOptions {
  /** Database, logs, bundle; the caller empties it for a fresh run. */
  dataDir: string;
  /** DUNNING_POLICY for the worker and API. */
  policyFile?: string;
  taskQueue?: string;
  appWebhook?: { url: string; secret: string; ratePerSecond: number };
  emailRatePerSecond?: number;
  /** Waits between the Stripe sandbox's webhook delivery tries (Stripe's own go on for days). */
  webhookRetryDelaysMs?: number[];
  /** Webhook deliveries in flight at once (Stripe's are concurrent and unordered); default 1. */
  webhookConcurrency?: number;
  /**
   * Extra environment for each worker start, read at every start: the bench restarts the worker
   * with another EMAIL_RATE_LIMIT or cache size between its phases.
   */
  workerEnv?: () => NodeJS.ProcessEnv;
  /**
   * An existing Temporal (e.g. `npm run cluster`'s, with the search attributes registered) instead
   * of a dev server of the stack's own; the stack then cannot kill or restart it.
   */
  temporalAddress?: string;
  /** Worker processes, all on the task queue (a scaled-out deployment); default 1. */
  workers?: number;
  log?: (line: string) => void;
}

export interface Role {
  /** Starts a new process; resolves with the milliseconds it took to be ready. */
  start(): Promise<number>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
  /** Exits nobody asked for (each followed by a restart). */
  unexpectedExits: number;
  /** The pid of the current process, if one runs. */
  pid(): number | undefined;
}

export interface LocalStack {
  dataDir: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  apiUrl: string;
  apiToken: string;
  webhookSecret: string;
  /** PAYLOAD_ENCRYPTION_KEYS of the worker and API: a client of the stack needs them. */
  payloadEncryptionKeys: string;
  stripeUrl: string;
  outboxUrl: string;
  /** The first of `workers`: the one worker of a single-worker stack. */
  worker: Role;
  /** Every worker process, each its own role (killed, restarted and counted on its own). */
  workers: Role[];
  api: Role;
  /** SIGKILLs the Temporal dev server (its whole process group). */
  killTemporal(): Promise<void>;
  /** Starts it again on the same database and port; resolves with the milliseconds it took. */
  startTemporal(): Promise<number>;
  stop(): Promise<void>;
}

export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const log = o.log ?? (() => undefined);
  const logs = join(o.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const namespace = 'default';
  const taskQueue = o.taskQueue ?? 'dunning';
  const apiToken = `chaos_${randomBytes(16).toString('hex')}`;
  const linkSecret = randomBytes(32).toString('hex');
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  // One key for worker and API (they would otherwise race to generate one in DATA_DIR) and for the
  // caller's own client: every client of encrypting workers needs the same data converter.
  const payloadEncryptionKeys = `local-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}`;
  // Kept beside the dev server's database: a run kept for inspection (the chaos suite keeps a failed
  // one) can then be read, its payloads decrypted and its webhooks signed, after the stack is gone.
  writeFileSync(
    join(o.dataDir, 'stack-secrets.json'),
    `${JSON.stringify({ apiToken, linkSecret, webhookSecret, payloadEncryptionKeys }, null, 2)}\n`,
    { mode: 0o600 },
  );
  const [temporalPort, apiPort, stripePort, outboxPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const temporalAddress = o.temporalAddress ?? `127.0.0.1:${temporalPort}`;
  const bundlePath = join(o.dataDir, 'workflow-bundle.js');
  const cleanups: Array<() => Promise<void>> = [];
  const baseEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(baseEnv)) {
    // The stack's configuration is what this file says, not whatever the caller's shell exported.
    if (
      /^(TEMPORAL_|STRIPE_|RESEND_|APP_WEBHOOK_|EMAIL_|DUNNING_|API_TOKEN|LINK_SECRET|PUBLIC_BASE_URL|PORT$|WORKFLOW_BUNDLE|PAYLOAD_ENCRYPTION_KEYS|CODEC_)/.test(
        name,
      )
    ) {
      delete baseEnv[name];
    }
  }
  const once = (name: string, file: string, args: string[], env: NodeJS.ProcessEnv, readyPattern: RegExp) =>
    startChild({ name, file, args, env: { ...baseEnv, ...env }, readyPattern, logFile: join(logs, `${name}.log`) });

  try {
    // ---- Temporal (this process owns it, so that it can kill it) and the workflow bundle -------
    const cliPath = await ensureTemporalCli(log);
    let temporal: DevServer | undefined;
    const startTemporal = async () => {
      if (o.temporalAddress) throw new Error(`Temporal at ${o.temporalAddress} is not the stack's own: it cannot start it`);
      const started = Date.now();
      temporal = await startServiceDevServer({ cliPath, dataDir: o.dataDir, port: temporalPort, namespace, log });
      return Date.now() - started;
    };
    const bundle = once('build-workflows', 'scripts/build-workflows.ts', [bundlePath], {}, /^workflow bundle: /);
    await Promise.all([o.temporalAddress ? undefined : startTemporal(), bundle.ready]);
    cleanups.push(async () => temporal?.stop());

    // ---- the providers ---------------------------------------------------------------------------
    const stripe = once(
      'stripe-sandbox',
      'sandbox/main.ts',
      [
        'stripe',
        '--port',
        String(stripePort),
        '--webhook-url',
        `${apiUrl}/webhooks/stripe`,
        '--webhook-secret',
        webhookSecret,
        ...(o.webhookRetryDelaysMs ? ['--webhook-retry-delays', o.webhookRetryDelaysMs.join(',')] : []),
        ...(o.webhookConcurrency ? ['--webhook-concurrency', String(o.webhookConcurrency)] : []),
      ],
      {},
      /^ready: (\S+)/,
    );
    cleanups.push(() => stripe.stop());
    const outbox = once('resend-outbox', 'sandbox/main.ts', ['resend', '--port', String(outboxPort)], {}, /^ready: (\S+)/);
    cleanups.push(() => outbox.stop());
    const [stripeReady, outboxReady] = await Promise.all([stripe.ready, outbox.ready]);
    const stripeUrl = stripeReady[1]!;
    const outboxUrl = outboxReady[1]!;

    // ---- worker and API, each its own process ------------------------------------------------------
    const serviceEnv: NodeJS.ProcessEnv = {
      DATA_DIR: o.dataDir,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      STRIPE_API_BASE: stripeUrl,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      RESEND_BASE_URL: outboxUrl,
      EMAIL_RATE_LIMIT: String(o.emailRatePerSecond ?? 100),
      API_TOKEN: apiToken,
      LINK_SECRET: linkSecret,
      PAYLOAD_ENCRYPTION_KEYS: payloadEncryptionKeys,
      PORT: String(apiPort),
      PUBLIC_BASE_URL: apiUrl,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      // Each worker's own /metrics (with the Temporal SDK's) on a port the OS picks when it binds:
      // a port picked ahead and reused at every restart was seen taken meanwhile (EADDRINUSE) by
      // one of the stack's own outgoing connections, which draw from the same ephemeral range.
      METRICS_PORT: '0',
      ...(o.policyFile ? { DUNNING_POLICY: o.policyFile } : {}),
      ...(o.appWebhook
        ? {
            APP_WEBHOOK_URL: o.appWebhook.url,
            APP_WEBHOOK_SECRET: o.appWebhook.secret,
            APP_WEBHOOK_RATE_LIMIT: String(o.appWebhook.ratePerSecond),
          }
        : {}),
    };
    const workers: Role[] = [];
    for (let w = 1; w <= Math.max(1, o.workers ?? 1); w++) {
      // Logs `worker-<n>.log` for the first worker (what the chaos suite reads), `worker<w>-<n>.log`
      // for the others.
      const name = w === 1 ? 'worker' : `worker${w}`;
      workers.push(
        supervised(
          name,
          (n) =>
            once(`${name}-${n}`, 'src/main.ts', ['worker'], { ...serviceEnv, ...o.workerEnv?.() }, /dunning service running/),
          log,
        ),
      );
    }
    const worker = workers[0]!;
    const api = supervised('api', (n) => once(`api-${n}`, 'src/main.ts', ['api'], serviceEnv, /dunning service running/), log);
    cleanups.push(() => api.stop(), ...workers.map((w) => () => w.stop()));
    await Promise.all([...workers.map((w) => w.start()), api.start()]);

    return {
      dataDir: o.dataDir,
      temporalAddress,
      namespace,
      taskQueue,
      apiUrl,
      apiToken,
      webhookSecret,
      payloadEncryptionKeys,
      stripeUrl,
      outboxUrl,
      worker,
      workers,
      api,
      async killTemporal() {
        const pid = temporal?.pid;
        if (o.temporalAddress) throw new Error(`Temporal at ${o.temporalAddress} is not the stack's own: it cannot kill it`);
        if (pid === undefined) throw new Error('the dev server runs through @temporalio/testing: no pid to kill');
        process.kill(-pid, 'SIGKILL');
        await temporal!.stop(); // reaps it and drops its pid record
      },
      startTemporal,
      stop: () => runAll(cleanups),
    };
  } catch (err) {
    await runAll(cleanups);
    throw err;
  }
}

/** Stops in reverse order of start, every one even when some fail. */
async function runAll(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (err) {
      console.error(err);
    }
  }
}

/** One role (a worker or the API): a process at a time, restarted when it exits unasked. */
function supervised(role: string, spawnNth: (n: number) => Child, log: (line: string) => void): Role {
  let current: Child | undefined;
  /** The process last killed on purpose: its exit is not a crash. */
  let killed: Child | undefined;
  let generation = 0;
  let stopping = false;
  const self: Role = {
    unexpectedExits: 0,
    pid: () => (current?.running() ? current.pid : undefined),
    running: () => current?.running() ?? false,
    async start() {
      const started = Date.now();
      // A role stopped and started again (the bench restarts workers between phases) is supervised again.
      stopping = false;
      const child = spawnNth(++generation);
      current = child;
      void child.exited.then(({ code, signal }) => {
        if (current !== child || stopping || child === killed) return;
        self.unexpectedExits += 1;
        log(
          `${role}: exited unasked (${code ?? signal}); restarting. Last output:\n${child.tail().split('\n').slice(-8).join('\n')}`,
        );
        void self.start().catch((err) => log(`${role}: restart failed: ${String(err)}`));
      });
      await child.ready;
      return Date.now() - started;
    },
    async kill() {
      killed = current;
      await current?.kill();
    },
    async stop() {
      stopping = true;
      await current?.stop();
    },
  };
  return self;
}
