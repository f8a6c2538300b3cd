/**
 * One time-skipping world per test file: the Java test server (tools/temporal/timeSkipping.ts), the
 * real activities (activities/index.ts) with the real stripe and resend SDKs against the local
 * Stripe sandbox and Resend outbox, and workers laid out as src/worker.ts lays them out (workflows
 * and Stripe activities on the main queue, emails on `<queue>-email`).
 *
 * The workers are built here rather than with createWorkers() for two test-only needs, both off by
 * default: `hooks.beforeRetryCharge` runs inside the retryCharge activity before the real one (to
 * land a signal while a charge is in flight), and the workflow worker can be stopped and started
 * again (to let a timer fire and a signal arrive before any worker sees either).
 *
 * Time: the test server's clock starts at the wall clock; `advanceToDayOfMonth` moves it to a known
 * calendar position so that payday-shifted retries land on predictable days.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLogger } from '../../../src/log';
import { installRuntime } from '../../../src/temporal/runtime';
import { Webhook } from 'standardwebhooks';
import type Stripe from 'stripe';
import {
  createActivities,
  createAppEventActivities,
  createCardExpiryActivities,
  createCardExpiryEmailActivities,
  createEmailActivities,
} from '../../../activities';
import type { NetworkRules } from '../../../domain/networkRules';
import type { RetryChargeInput } from '../../../domain/providerTypes';
import { loadNetworkRules } from '../../../src/networkRulesFile';
import { DunningClient } from '../../../src/dunningClient';
import { memoryCaseEndStore } from '../../../src/experiments/caseEndStores';
import type { RunningExperiment } from '../../../src/experimentFile';
import { mapStripeEvent } from '../../../src/http/stripeEvents';
import { createResendClient } from '../../../src/providers/resend';
import { createStripeClient } from '../../../src/providers/stripe';
import { startResendOutbox, type OutboxMessage, type ResendOutbox } from '../../../sandbox/resend';
import { startTwilioSandbox, type TwilioSandbox } from '../../../sandbox/twilio';
import { createTwilioClient } from '../../../src/providers/twilio';
import { startStripeSandbox, type ScenarioOptions, type ScenarioResult, type StripeSandbox } from '../../../sandbox/stripe';
import { appEventsTaskQueue, bundleWorkflows, emailTaskQueue } from '../../../src/worker';
import type { DunningResult } from '../../../workflows/dunning';
import { statusQuery, workflowIdForInvoice } from '../../../domain/messages';
import { POLICY_1_0, type DunningPolicy } from '../../../domain/policy';
import type { DunningStatus, PaymentFailedSignal } from '../../../domain/types';
import { createTimeSkippingEnv } from '../../../tools/temporal/timeSkipping';
import { recordHistory } from '../../support/historyJson';

// Workers log every state change at info; tests want only what went wrong (one JSON line each).
installRuntime({ logger: createLogger({ level: 'warn' }) });

const EMAIL_RATE_PER_SECOND = 50;

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface Hooks {
  /** Test-only: runs inside the retryCharge activity, before the real activity does anything. */
  beforeRetryCharge?: (input: RetryChargeInput) => Promise<void>;
  /** Test-only: runs inside the loadCaseFacts activity, before the real activity does anything. */
  beforeLoadCaseFacts?: (invoiceId: string) => Promise<void>;
}

export interface Case {
  scenario: ScenarioResult;
  email: string;
  workflowId: string;
  handle: WorkflowHandle;
  /** The paymentFailed signal the webhook would have sent for the scenario's failure. */
  firstFailure: PaymentFailedSignal;
  status(): Promise<DunningStatus>;
  /** Awaits the end of the case; time skips while it waits. */
  result(): Promise<DunningResult>;
  /** What reached the outbox for this customer, oldest first, by template tag. */
  sentTemplates(): string[];
  sent(): OutboxMessage[];
  /** Charges our activities made on this invoice (the scenario's own first attempt excluded). */
  charges(): Promise<Charge[]>;
}

export interface Charge {
  eventId: string;
  paymentIntentId: string;
  paymentMethodId: string;
  fingerprint?: string;
  outcome: 'succeeded' | 'failed';
  idempotencyKey: string | null;
}

export interface Harness {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  stripe: Stripe;
  sandbox: StripeSandbox;
  outbox: ResendOutbox;
  /** The SMS outbox (the Twilio sandbox); texts come from '+15005550006'. */
  sms: TwilioSandbox;
  hooks: Hooks;
  /** The end records the cases wrote (workflows/caseEndRecord.ts). */
  caseEnds: ReturnType<typeof memoryCaseEndStore>;
  /** Events the SaaS app received (APP_WEBHOOK_URL), each verified with the standardwebhooks package. */
  appEvents(): Array<{ type: string; data: Record<string, unknown>; receivedAt: number }>;
  /** Makes the app's endpoint answer 500 to every delivery (true) or take them again (false). */
  setAppDown(down: boolean): void;
  /** Deliveries the app's endpoint refused while down. */
  appRefusals(): number;
  /**
   * A failed renewal in the sandbox, and its case started as the webhook starts it. With `record`,
   * the case's history is written to test/histories/ when the harness closes (see recordHistories).
   */
  startCase(
    opts: Partial<ScenarioOptions> & { policy?: DunningPolicy; record?: string; experiment?: RunningExperiment },
  ): Promise<Case>;
  /** Any workflow's history, written like a case's (e.g. a card's ledger). */
  record(name: string, handle: WorkflowHandle): void;
  /** Every charge our activities made (API-caused PaymentIntent outcomes in the sandbox). */
  charges(): Promise<Charge[]>;
  now(): Promise<number>;
  /** Skips time to `at` (timers due before it fire, and their work completes, on the way). */
  advanceTo(at: number): Promise<void>;
  advanceBy(ms: number): Promise<void>;
  /** Moves the clock to the next `day` of a month at `hour`:00 UTC, at least a day ahead. */
  advanceToDayOfMonth(day: number, hour: number): Promise<number>;
  stopWorkflowWorker(): Promise<void>;
  startWorkflowWorker(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the test server, sandbox, outbox and workers of one test file; `close()` stops them all. */
export async function startHarness(
  opts: { workerOptions?: { maxCachedWorkflows?: number }; networkRules?: NetworkRules } = {},
): Promise<Harness> {
  const taskQueue = `ts-dunning-${randomBytes(4).toString('hex')}`;
  const [env, sandbox, outbox, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    startStripeSandbox({ webhookSecret: `whsec_${randomBytes(24).toString('base64')}` }),
    startResendOutbox({}),
    bundleWorkflows(),
  ]);
  const stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url });
  const resend = createResendClient({ apiKey: 're_test', baseUrl: outbox.url });
  const hooks: Hooks = {};
  const smsAccount = { accountSid: `AC${'0'.repeat(32)}`, authToken: randomBytes(16).toString('hex') };
  const sms = await startTwilioSandbox(smsAccount);

  const app = await startAppReceiver(() => env.currentTimeMs());
  // The end records cases write (experiment results): in memory, read by the tests.
  const caseEnds = memoryCaseEndStore();
  const real = createActivities({
    stripe,
    temporal: env.client,
    taskQueue,
    appWebhook: { url: app.url, secret: app.secret },
    // The shipped rules file, as the worker reads it at start; a test may pass an edited one.
    networkRules: opts.networkRules ?? loadNetworkRules(),
    caseEnds,
    sms: {
      client: createTwilioClient({ ...smsAccount, apiBase: sms.url }),
      settings: {
        from: '+15005550006',
        businessName: 'Acme',
        publicBaseUrl: 'http://127.0.0.1:1',
        linkSecret: randomBytes(32).toString('hex'),
        linkTtlDays: 30,
        priceMicroUsdPerSegment: 8300,
      },
    },
  });
  const activities: typeof real = {
    ...real,
    retryCharge: async (input) => {
      await hooks.beforeRetryCharge?.(input);
      return real.retryCharge(input);
    },
    // The options too (pausing Stripe's own retries, counting its declines in the card's ledger).
    loadCaseFacts: async (invoiceId, opts) => {
      await hooks.beforeLoadCaseFacts?.(invoiceId);
      return real.loadCaseFacts(invoiceId, opts);
    },
  };

  const makeMain = (b: WorkflowBundleWithSourceMap) =>
    Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: b,
      // The reminders before a card expires (workflows/cardExpiry.ts) run on the same queue.
      activities: { ...activities, ...createCardExpiryActivities({ stripe, temporal: env.client, taskQueue }) },
      ...opts.workerOptions,
    });
  let main = await makeMain(bundle);
  let mainRunning: Promise<void> | undefined = main.run();
  const emailSettings = {
    from: 'Acme Billing <billing@acme.test>',
    replyTo: 'support@acme.test',
    businessName: 'Acme',
    publicBaseUrl: 'http://127.0.0.1:1',
    linkSecret: randomBytes(32).toString('hex'),
    linkTtlDays: 30,
  };
  const email = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: emailTaskQueue(taskQueue),
    activities: {
      ...createEmailActivities(resend, emailSettings, EMAIL_RATE_PER_SECOND),
      ...createCardExpiryEmailActivities(resend, emailSettings),
    },
    maxTaskQueueActivitiesPerSecond: EMAIL_RATE_PER_SECOND,
  });
  const emailRunning = email.run();
  const appEventWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: appEventsTaskQueue(taskQueue),
    activities: createAppEventActivities({ url: app.url, secret: app.secret }),
  });
  const appEventRunning = appEventWorker.run();

  const pmCache = new Map<string, Stripe.PaymentMethod>();
  const paymentMethod = async (id: string) => {
    let pm = pmCache.get(id);
    if (!pm) {
      pm = await stripe.paymentMethods.retrieve(id);
      pmCache.set(id, pm);
    }
    return pm;
  };

  const charges = async (): Promise<Charge[]> => {
    const out: Charge[] = [];
    for (const { event } of sandbox.events()) {
      if (event.type !== 'payment_intent.succeeded' && event.type !== 'payment_intent.payment_failed') continue;
      // Our activities call the API; the scenario's own first attempt is automatic (no request).
      if (event.request.id === null) continue;
      const pi = event.data.object as Stripe.PaymentIntent;
      const pmId = typeof pi.payment_method === 'string' ? pi.payment_method : pi.payment_method!.id;
      const pm = await paymentMethod(pmId);
      out.push({
        eventId: event.id,
        paymentIntentId: pi.id,
        paymentMethodId: pmId,
        fingerprint: pm.card?.fingerprint ?? undefined,
        outcome: event.type === 'payment_intent.succeeded' ? 'succeeded' : 'failed',
        idempotencyKey: event.request.idempotency_key,
      });
    }
    return out;
  };

  const now = () => env.currentTimeMs();
  const advanceTo = async (at: number) => {
    const current = await now();
    if (at > current) await env.sleep(at - current);
  };

  let caseCount = 0;
  const recorded: Array<{ name: string; handle: WorkflowHandle }> = [];
  const harness: Harness = {
    env,
    taskQueue,
    stripe,
    sandbox,
    outbox,
    sms,
    hooks,
    caseEnds,
    appEvents: () => [...app.events],
    setAppDown: (down) => {
      app.down = down;
    },
    appRefusals: () => app.refusals,
    charges,
    now,
    advanceTo,
    advanceBy: async (ms) => env.sleep(ms),
    async advanceToDayOfMonth(day, hour) {
      const current = await now();
      const d = new Date(current + DAY);
      let target = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), day, hour);
      if (target <= current + DAY) target = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, day, hour);
      await advanceTo(target);
      return target;
    },
    async stopWorkflowWorker() {
      main.shutdown();
      await mainRunning;
      mainRunning = undefined;
    },
    async startWorkflowWorker() {
      main = await makeMain(bundle);
      mainRunning = main.run();
    },
    record(name, handle) {
      recorded.push({ name, handle });
    },
    async startCase({ record, experiment, ...o }) {
      caseCount += 1;
      const email = o.email ?? `customer-${caseCount}-${randomBytes(3).toString('hex')}@example.com`;
      const scenario = await sandbox.createFailedInvoiceScenario({
        amount: 2900,
        currency: 'usd',
        ...o,
        email,
      });
      // What the webhook would signal: the sandbox's own invoice.payment_failed event, mapped by the
      // webhook's own mapping, sent with the client's signal-with-start.
      const failedEvent = sandbox
        .events()
        .find(
          (e) => e.event.type === 'invoice.payment_failed' && (e.event.data.object as { id: string }).id === scenario.invoiceId,
        );
      const action = mapStripeEvent(failedEvent!.event as unknown as Stripe.Event);
      if (action.kind !== 'payment_failed') throw new Error(`unexpected mapping: ${action.kind}`);
      const cases = new DunningClient(env.client, taskQueue, o.policy ?? POLICY_1_0, undefined, experiment);
      await cases.paymentFailed(action.signal);
      const workflowId = workflowIdForInvoice(scenario.invoiceId);
      const handle = env.client.workflow.getHandle(workflowId);
      if (record) recorded.push({ name: record, handle });
      const sent = () => outbox.messages().filter((m) => m.to.includes(email));
      return {
        scenario,
        email,
        workflowId,
        handle,
        firstFailure: action.signal,
        status: () => handle.query(statusQuery),
        result: () => handle.result() as Promise<DunningResult>,
        sent,
        sentTemplates: () => sent().map((m) => m.tags.find((t) => t.name === 'template')?.value ?? '?'),
        charges: async () => (await charges()).filter((c) => c.paymentIntentId === scenario.paymentIntentId),
      };
    },
    async close() {
      try {
        await recordHistories(recorded);
      } finally {
        // A test that failed with the workflow worker stopped must not leave the JVM behind.
        for (const w of [main, email, appEventWorker]) if (w.getState() === 'RUNNING') w.shutdown();
        await Promise.allSettled([mainRunning, emailRunning, appEventRunning]);
        await env.teardown();
        await sandbox.close();
        await outbox.close();
        await sms.close();
        await app.close();
      }
    },
  };
  return harness;
}

/** The SaaS app's end of the outgoing events: verifies each delivery as a real receiver would. */
async function startAppReceiver(clock: () => Promise<number>) {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const verifier = new Webhook(secret);
  const events: Array<{ type: string; data: Record<string, unknown>; receivedAt: number }> = [];
  const state = { down: false, refusals: 0 };
  const server = createServer((req, res) => {
    if (state.down) {
      state.refusals += 1;
      req.resume();
      res.writeHead(500).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const payload = verifier.verify(body, req.headers as Record<string, string>) as {
          type: string;
          data: Record<string, unknown>;
        };
        events.push({ type: payload.type, data: payload.data, receivedAt: await clock() });
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    secret,
    events,
    get down() {
      return state.down;
    },
    set down(d: boolean) {
      state.down = d;
    },
    get refusals() {
      return state.refusals;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * RECORD_HISTORIES=1 writes each recorded workflow's history, once it has ended, to
 * test/histories/<name>.json (test/support/historyJson.ts): one history per scenario, recorded
 * from the current code, which test/workflows/replay.test.ts replays.
 */
async function recordHistories(cases: Array<{ name: string; handle: WorkflowHandle }>): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  for (const { name, handle } of cases) {
    // A test that failed half-way left its case running: let it end (time skips) so the history is whole.
    await handle.result().catch(() => undefined);
    await recordHistory(name, handle);
  }
}

/** Polls (wall clock; the test server's time does not move meanwhile) until `fn` returns a value. */
export async function until<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Email template names as the outbox tags them (`payment_failed.generic` → `payment_failed_generic`). */
export const tag = (template: string): string => template.replace(/\./g, '_');

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * An ISO time to the minute. The test server's clock is frozen between skips but real time still
 * runs, so an instant recorded by the workflow is the planned one plus a few milliseconds.
 */
export const minute = (t: string | number): string => {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return new Date(Math.round(ms / 60_000) * 60_000).toISOString().slice(0, 16);
};
