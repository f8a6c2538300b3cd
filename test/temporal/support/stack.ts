/**
 * The whole service for an end-to-end test, wired as `npm start` wires it: the real stripe and
 * resend SDKs against the local Stripe sandbox and Resend outbox, a worker and the HTTP API, on
 * the dev server shared by the temporal project (unique task queue per stack).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLogger } from '../../../src/log';
import { installRuntime, sdkMetricsText } from '../../../src/temporal/runtime';
import { workerRegistry } from '../../../activities/metrics';
import type Stripe from 'stripe';
import { inject } from 'vitest';
import { DunningClient } from '../../../src/dunningClient';
import { StalledCaseMonitor } from '../../../src/stalled/stalledMonitor';
import { scanStalledCases } from '../../../src/stalled/stalledScan';
import { createApp } from '../../../src/http/app';
import { createResendClient } from '../../../src/providers/resend';
import { createStripeClient } from '../../../src/providers/stripe';
import { startResendOutbox, type ResendOutbox, type ResendOutboxOptions } from '../../../sandbox/resend';
import { startStripeSandbox, stripeSignatureHeader, type StripeEventPayload, type StripeSandbox } from '../../../sandbox/stripe';
import { freePort } from '../../../tools/toolchain/ports';
import { encryptingDataConverter, workerDataConverter } from '../../../src/temporal/dataConverter';
import type { EncryptionKey } from '../../../src/temporal/payloadCodec';
import { bundleWorkflows, createWorkers, type DunningWorkers } from '../../../src/worker';
import { defaultBuildId, makeVersionCurrent, type WorkerDeploymentVersion } from '../../../src/temporal/workerDeployment';
import { loadNetworkRules } from '../../../src/networkRulesFile';
import type { AppWebhookTarget } from '../../../activities/appEvents';
import { POLICY_1_0, type DunningPolicy } from '../../../domain/policy';
import type { DunningStatus } from '../../../domain/types';

export interface Stack {
  baseUrl: string;
  apiToken: string;
  linkSecret: string;
  webhookSecret: string;
  /** RESEND_WEBHOOK_SECRET of the stack: the outbox signs its bounce and complaint webhooks with it. */
  resendWebhookSecret: string;
  taskQueue: string;
  stripe: Stripe;
  sandbox: StripeSandbox;
  outbox: ResendOutbox;
  /** With the stack's data converter (payload encryption), like every client of the service. */
  client: Client;
  /** The stack's payload keys (by default one for every stack on the shared server). */
  encryptionKeys: EncryptionKey[];
  cases: DunningClient;
  /** The Worker Deployment Version the stack's workers poll as (current once the stack is up); a restarted worker uses it too. */
  deployment: WorkerDeploymentVersion;
  /** Authorised fetch against the API. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** The case over the API (`GET /api/invoices/:id/dunning`); undefined while there is none. */
  status(invoiceId: string): Promise<DunningStatus | undefined>;
  /** Polls the case over the API until `ok` holds. */
  untilStatus(invoiceId: string, what: string, ok: (s: DunningStatus) => boolean, timeoutMs?: number): Promise<DunningStatus>;
  /**
   * POSTs a Stripe event (object or exact payload) to the webhook route, signed with the stack's
   * secret (or `opts.secret`), at `opts.timestamp` (epoch seconds, default now).
   */
  deliver(event: object | string, opts?: { secret?: string; timestamp?: number; contentType?: string }): Promise<Response>;
  /** The sandbox's recorded events of `type` about the object `objectId` (oldest first). */
  eventsFor(type: string, objectId: string): StripeEventPayload[];
  /** Shuts the stack's worker down (a restart with other settings); the API goes on. */
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

// Workers log every state change at info; tests want only what went wrong (one JSON line each).
installRuntime({ logger: createLogger({ level: 'warn' }) });

/**
 * One key for every stack on the project's shared dev server (each test file is its own process):
 * listing cases (`GET /api/dunning`) decodes the memo of every case in the namespace, those of other
 * stacks included, as one deployment's API would.
 */
export const TEST_ENCRYPTION_KEYS: EncryptionKey[] = [
  { id: 'test-stacks', key: createHash('sha256').update('dunning test stacks: not a secret').digest() },
];

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** One workflow bundle per test file (forked process): bundling takes seconds. */
export function sharedBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}

export interface StackOptions {
  policy?: DunningPolicy;
  outbox?: ResendOutboxOptions;
  worker?: boolean;
  /** Where the worker sends events to the SaaS app (Standard Webhooks); unset: none are sent. */
  appWebhook?: AppWebhookTarget;
  /** The email task queue's rate limit (default 50/s). */
  emailRatePerSecond?: number;
  /**
   * false: the Stripe sandbox records its events but does not deliver them, so a test can deliver
   * them itself, in any order, any number of times (see `stack.deliver`). Default true.
   */
  stripeWebhooks?: boolean;
  /** The worker as NODE_ENV=production runs it (src/main.ts): unencrypted payloads have no effect. Default false. */
  production?: boolean;
  /** The payload keys of the stack's clients and worker, the first one encrypting (default: the shared test key). */
  encryptionKeys?: EncryptionKey[];
  /** Another namespace than the shared server's (one a test made for itself). */
  namespace?: string;
  /** Scan for stalled cases this often (src/stalled/), as `npm start` does every 30 s; unset: no monitor. */
  stalledScanEveryMs?: number;
  /**
   * The API's `/metrics` serves the worker's registry and the Temporal SDK's metrics too, as in
   * `npm start` (the worker in the same process); default false: the API's own only.
   */
  allMetrics?: boolean;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const address = inject('temporalAddress');
  const namespace = opts.namespace ?? inject('temporalNamespace');
  const taskQueue = `dunning-test-${randomBytes(4).toString('hex')}`;
  const apiToken = `test_${randomBytes(16).toString('hex')}`;
  const linkSecret = randomBytes(32).toString('hex');
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  const resendWebhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const outbox = await startResendOutbox({
    webhook: { url: `${baseUrl}/webhooks/resend`, secret: resendWebhookSecret, retryDelaysMs: [200, 400, 800, 1600, 3200] },
    ...opts.outbox,
  });
  const sandbox = await startStripeSandbox({
    webhookUrl: opts.stripeWebhooks === false ? undefined : `${baseUrl}/webhooks/stripe`,
    webhookSecret,
    webhookRetryDelaysMs: [200, 400, 800, 1600, 3200],
  });
  const stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url });
  // Encrypted as `npm start` does: a client without the same converter cannot read query results.
  const encryptionKeys = opts.encryptionKeys ?? TEST_ENCRYPTION_KEYS;
  const dataConverter = encryptingDataConverter(encryptionKeys);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter });
  const cases = new DunningClient(client, taskQueue, opts.policy ?? POLICY_1_0);

  let workers: DunningWorkers | undefined;
  let running: Promise<void> | undefined;
  let workerConnection: NativeConnection | undefined;
  // Versioned as `npm start` runs it: a deployment of the stack's own (named for its task queue:
  // making a version current moves every task queue of the deployment, those of other stacks on
  // the shared server must not follow), made current once its workers poll.
  const deployment = { deploymentName: taskQueue, buildId: defaultBuildId(await sharedBundle()) };
  if (opts.worker !== false) {
    workerConnection = await NativeConnection.connect({ address });
    workers = await createWorkers({
      deployment,
      connection: workerConnection,
      client,
      namespace,
      taskQueue,
      stripe,
      resend: createResendClient({ apiKey: 're_test', baseUrl: outbox.url }),
      email: {
        from: 'Acme Billing <billing@acme.test>',
        replyTo: 'support@acme.test',
        businessName: 'Acme',
        publicBaseUrl: baseUrl,
        linkSecret,
        linkTtlDays: 30,
      },
      emailRatePerSecond: opts.emailRatePerSecond ?? 50,
      appWebhook: opts.appWebhook,
      networkRules: loadNetworkRules(),
      dataConverter: workerDataConverter(encryptionKeys, opts.production ?? false),
      workflowBundle: await sharedBundle(),
    });
    running = workers.run();
    await makeVersionCurrent(client.workflowService, deployment, { namespace, policy: 'always' });
  }

  const stalled = opts.stalledScanEveryMs
    ? new StalledCaseMonitor(() => scanStalledCases(client, { taskQueue }), { intervalMs: opts.stalledScanEveryMs })
    : undefined;
  stalled?.start();
  const app = createApp({
    stripe,
    cases,
    stalled,
    ...(opts.allMetrics ? { alsoServeMetrics: [workerRegistry], alsoServeMetricsText: sdkMetricsText } : {}),
    webhookSecret,
    resendWebhookSecret,
    apiToken,
    linkSecret,
    publicBaseUrl: baseUrl,
    businessName: 'Acme',
    log: () => undefined,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });

  const stopWorker = async () => {
    const w = workers;
    workers = undefined;
    w?.shutdown();
    await running;
    await workerConnection?.close();
    workerConnection = undefined;
  };

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  const status = async (invoiceId: string): Promise<DunningStatus | undefined> => {
    const res = await api(`/api/invoices/${invoiceId}/dunning`);
    return res.status === 200 ? ((await res.json()) as DunningStatus) : undefined;
  };

  return {
    baseUrl,
    apiToken,
    linkSecret,
    webhookSecret,
    resendWebhookSecret,
    taskQueue,
    stripe,
    sandbox,
    outbox,
    client,
    encryptionKeys,
    cases,
    deployment,
    api,
    status,
    untilStatus: (invoiceId, what, ok, timeoutMs = 20_000) =>
      eventually(
        async () => {
          const s = await status(invoiceId);
          return s && ok(s) ? s : undefined;
        },
        timeoutMs,
        what,
      ),
    deliver: (event, o = {}) => {
      const payload = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
      return fetch(`${baseUrl}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': o.contentType ?? 'application/json; charset=utf-8',
          'stripe-signature': stripeSignatureHeader(payload, o.secret ?? webhookSecret, o.timestamp),
        },
        body: payload,
      });
    },
    eventsFor: (type, objectId) =>
      sandbox
        .events()
        .map((r) => r.event)
        .filter((e) => e.type === type && (e.data.object as { id?: string }).id === objectId),
    stopWorker,
    close: async () => {
      await stalled?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await stopWorker();
      await sandbox.close();
      await outbox.close();
      await connection.close();
    },
  };
}

/** Polls until `fn` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
