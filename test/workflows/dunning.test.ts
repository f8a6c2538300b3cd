/**
 * The fast tier of workflow tests, in the samples' style: the real dunningWorkflow with typed stub
 * activities on the time-skipping test server. No Stripe, no Resend: each test scripts what the
 * providers answer, so the failure model's decisions (wait, record, end) are checked in seconds.
 * The end-to-end tier with the real activities is test/temporal/workflow/. What the Web UI shows
 * (summaries, details: user metadata, which the test server does not keep) is checked on the
 * `temporal` project's dev server, with the same stubs.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { Client, Connection, WorkflowUpdateFailedError, type WorkflowHandle as Handle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createLogger } from '../../src/log';
import { installRuntime } from '../../src/temporal/runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { AppEventActivities, DunningActivities, EmailActivities } from '../../activities';
import { EmailFailureType, StripeFailureType } from '../../domain/providerFailures';
import {
  paymentFailedSignal,
  paymentMethodUpdatedSignal,
  paymentSucceededSignal,
  RETRY_NOT_POSSIBLE,
  retryRequestedUpdate,
  statusQuery,
  workflowIdForInvoice,
} from '../../domain/messages';
import type { CaseFacts, DunningEmailInput, RetryChargeInput, RetryChargeResult } from '../../domain/providerTypes';
import { DunningBlockedOn } from '../../domain/searchAttributes';
import type { DunningStatus } from '../../domain/types';
import { appEventsTaskQueue, bundleWorkflows, emailTaskQueue } from '../../src/worker';
import { createTimeSkippingEnv } from '../../tools/temporal/timeSkipping';
import { recordHistory } from '../support/historyJson';
import type { DunningResult } from '../../workflows/dunning';
import { DunningClient } from '../../src/dunningClient';
import { deploymentOptions, makeVersionCurrent, type WorkerDeploymentVersion } from '../../src/temporal/workerDeployment';
import { POLICY_1_0, type DunningPolicy } from '../../domain/policy';
import { ROUTINE_EMAIL_PRIORITY, URGENT_EMAIL_PRIORITY } from '../../domain/taskQueues';

// Tests want only what went wrong (one JSON line each).
installRuntime({ logger: createLogger({ level: 'error' }) });

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What the stub providers answer next; each test sets the parts it cares about. */
interface Script {
  facts: () => CaseFacts;
  charge: (input: RetryChargeInput) => RetryChargeResult;
  endAction: () => { applied: boolean; detail: string };
  email: () => Awaited<ReturnType<EmailActivities['sendDunningEmail']>>;
}

const facts = (invoiceId: string): CaseFacts => ({
  invoice: {
    id: invoiceId,
    status: 'open',
    customerId: 'cus_stub',
    amountDue: 2900,
    amountRemaining: 2900,
    currency: 'usd',
    subscriptionId: 'sub_stub',
  },
  customer: { id: 'cus_stub', email: 'stub@example.com', preferredLocales: [], defaultPaymentMethodId: 'pm_old' },
  lastDecline: { code: 'card_declined', declineCode: 'processing_error', card: { paymentMethodId: 'pm_old' } },
  subscription: { id: 'sub_stub', status: 'past_due' },
});

const unavailable = (type: string) => ApplicationFailure.retryable('provider unavailable (stub)', type);
const refused = (type: string) => ApplicationFailure.nonRetryable('refused (stub)', type);

let env: TestWorkflowEnvironment;
let workers: Worker[] = [];
let running: Promise<void>[] = [];
let script: Script;
/** Holds loadCaseFacts until released: signals can land before the case acts on anything. */
let factsGate: Promise<void> = Promise.resolve();
/** Holds every email until released: messages can land while the case is busy sending. */
let emailGate: Promise<void> = Promise.resolve();
/** The payment method of every charge (undefined: the invoice's default). */
const charged: Array<string | undefined> = [];
const calls: string[] = [];
/** Every charge's and every email's input, in order. */
const chargeInputs: RetryChargeInput[] = [];
const emailInputs: DunningEmailInput[] = [];
const taskQueue = `stub-dunning-${randomBytes(4).toString('hex')}`;

/** The stub providers, answering as `script` says; a worker for each of the case's task queues. */
/** `deployment`: versioned, as the service's workers are, on the dev server; none on the time-skipping server (it knows no deployments). */
function stubWorkers(
  connection: NativeConnection,
  taskQueue: string,
  workflowBundle: WorkflowBundle,
  deployment?: WorkerDeploymentVersion,
): Promise<Worker[]> {
  const stripe: DunningActivities = {
    loadCaseFacts: async (invoiceId) => {
      calls.push('loadCaseFacts');
      await factsGate;
      return { ...script.facts(), invoice: { ...script.facts().invoice, id: invoiceId } };
    },
    retryCharge: async (input) => (
      calls.push('retryCharge'),
      charged.push(input.paymentMethodId),
      chargeInputs.push(input),
      script.charge(input)
    ),
    applyEndAction: async () => (calls.push('applyEndAction'), script.endAction()),
    listSavedCards: async () => (calls.push('listSavedCards'), { cards: [] }),
    sendDunningSms: async () => (calls.push('sendDunningSms'), { kind: 'skipped', reason: 'sms_off' }),
    applyOffer: async () => (calls.push('applyOffer'), { applied: true, detail: 'stub' }),
    recordCaseEnd: async () => ({ written: true }),
    startAppEventDelivery: async (event) => (calls.push(`event:${event.type}`), { workflowId: event.id }),
  };
  const email: EmailActivities = {
    sendDunningEmail: async (input) => {
      calls.push(`email:${input.template}`);
      emailInputs.push(input);
      await emailGate;
      return script.email();
    },
  };
  const appEvents: AppEventActivities = {
    deliverAppEvent: async () => ({ delivered: true }),
    reportUndeliveredAppEvent: async () => undefined,
  };
  const versioning = deploymentOptions(deployment);
  return Promise.all([
    Worker.create({ ...versioning, connection, taskQueue, workflowBundle, activities: stripe }),
    Worker.create({ ...versioning, connection, taskQueue: emailTaskQueue(taskQueue), activities: email }),
    Worker.create({ ...versioning, connection, taskQueue: appEventsTaskQueue(taskQueue), activities: appEvents }),
  ]);
}

let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  workers = await stubWorkers(env.nativeConnection, taskQueue, workflowBundle);
  running = workers.map((w) => w.run());
});

afterAll(async () => {
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  await Promise.allSettled(running);
  await env?.teardown();
});

beforeEach(() => {
  calls.length = 0;
  charged.length = 0;
  chargeInputs.length = 0;
  emailInputs.length = 0;
  script = {
    facts: () => facts('in_x'),
    charge: () => ({ outcome: 'declined', decline: { code: 'card_declined', declineCode: 'processing_error' } }),
    endAction: () => ({ applied: true, detail: 'subscription canceled' }),
    email: () => ({ messageId: `msg_${randomBytes(3).toString('hex')}`, template: 'payment_failed.generic' }),
  };
});

/**
 * Skips time to 10 minutes past the case's first planned step of `kind`, through any step planned
 * before it (an email may come first: the plan depends on the day and hour the case started, and
 * the server's clock is wherever earlier tests left it), so that the step's activity and its
 * retries run in skipped time, not on the wall clock.
 */
async function skipPast(c: { status(): Promise<DunningStatus> }, kind: string): Promise<void> {
  for (let step = 0; step < 10; step++) {
    const now = await env.currentTimeMs();
    // A step just passed may still be named next until the case has run it: wait for the next one.
    const next = await until(`a planned step after ${new Date(now).toISOString()}`, async () => {
      const s = await c.status();
      return s.nextAction && Date.parse(s.nextAction.at) > now ? s.nextAction : undefined;
    });
    await env.sleep(Date.parse(next.at) - now + 10 * MINUTE);
    if (next.kind === kind) return;
  }
  throw new Error(`no ${kind} among the case's next 10 steps`);
}

async function startCase(): Promise<WorkflowHandle & { status(): Promise<DunningStatus> }> {
  const invoiceId = `in_${randomBytes(6).toString('hex')}`;
  const handle = await env.client.workflow.signalWithStart('dunningWorkflow', {
    workflowId: workflowIdForInvoice(invoiceId),
    taskQueue,
    args: [{ invoiceId, customerId: 'cus_stub' }],
    signal: paymentFailedSignal,
    signalArgs: [{ invoiceId, customerId: 'cus_stub', amountDue: 2900, currency: 'usd', occurredAt: await serverNow() }],
  });
  return Object.assign(handle, { status: () => handle.query(statusQuery) });
}

/**
 * Now on the test server's clock, for the moments the signals carry. Not the wall clock: cases an
 * earlier test left waiting move the server's clock on (a result() awaited later skips through
 * their timers, years by the end of this file), and a case started "50 years before its own now"
 * is already past every step of its policy.
 */
async function serverNow(): Promise<string> {
  return new Date(await env.currentTimeMs()).toISOString();
}

/** Polls (wall clock: the test server's time does not move meanwhile). */
async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the failure model, decision by decision', () => {
  it('Stripe unavailable for hours: blocked on stripe, visible, then the case goes on where it was', async () => {
    let down = true;
    script.facts = () => {
      if (down) throw unavailable(StripeFailureType.Transient);
      return facts('in_x');
    };
    const c = await startCase();
    await env.sleep(30 * MINUTE);
    const blocked = await until('blockedOn', async () => ((await c.status()).blockedOn ? c.status() : undefined));
    expect(blocked.blockedOn).toMatchObject({ provider: 'stripe', reason: expect.stringContaining('StripeTransient') });
    expect((await c.describe()).typedSearchAttributes.get(DunningBlockedOn)).toBe('stripe');
    await env.sleep(6 * HOUR);
    expect((await c.describe()).status.name).toBe('RUNNING');
    down = false;
    await env.sleep(HOUR + MINUTE);
    const after = await until('the first email', async () => ((await c.status()).emails.length ? c.status() : undefined));
    expect(after.blockedOn).toBeUndefined();
    expect((await c.describe()).typedSearchAttributes.get(DunningBlockedOn)).toBeUndefined();
    await c.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_test' });
  });

  it('a revoked Stripe key (401) waits for an operator instead of failing the case', async () => {
    script.facts = () => {
      throw refused(StripeFailureType.Authentication);
    };
    const c = await startCase();
    await env.sleep(10 * MINUTE);
    const s = await until('blockedOn', async () => ((await c.status()).blockedOn ? c.status() : undefined));
    expect(s.blockedOn?.reason).toContain('StripeAuthentication');
    await c.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
    // Paid while blocked, before the facts were known: ends as the signal says, without an email.
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_test' });
    expect(calls.filter((x) => x.startsWith('email:'))).toEqual([]);
  });

  it('an invoice Stripe does not know ends the case cancelled / invoice_not_found', async () => {
    script.facts = () => {
      throw refused(StripeFailureType.NotFound);
    };
    const c = await startCase();
    expect(await c.result()).toEqual<DunningResult>({ state: 'cancelled', outcome: 'invoice_not_found' });
  });

  it('a refused charge (400) is an attempt with an error; the schedule goes on to the end', async () => {
    script.charge = () => {
      throw refused(StripeFailureType.InvalidRequest);
    };
    const c = await startCase();
    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
    const s = await c.status();
    expect(s.attempts.length).toBeGreaterThan(1);
    expect(new Set(s.attempts.map((a) => a.outcome))).toEqual(new Set(['error']));
    expect(s.attempts[0]!.error).toMatch(/^StripeInvalidRequest: /);
  });

  it('an end action Stripe refuses still ends the case, and says so', async () => {
    script.endAction = () => {
      throw refused(StripeFailureType.InvalidRequest);
    };
    const c = await startCase();
    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription_refused' });
    expect(calls).toContain('event:dunning.exhausted');
  });

  it('an email the provider refuses (bad address) is recorded; a bad email key blocks on resend', async () => {
    let keyRevoked = false;
    script.email = () => {
      if (keyRevoked) throw refused(EmailFailureType.AuthFailed);
      throw refused(EmailFailureType.InvalidRecipient);
    };
    const c = await startCase();
    const first = await until('the refused email', async () => ((await c.status()).emails.length ? c.status() : undefined));
    expect(first.emails[0]).toMatchObject({
      template: 'payment_failed',
      error: expect.stringContaining('EmailInvalidRecipient'),
    });
    expect(first.blockedOn).toBeUndefined();
    keyRevoked = true;
    // Hour by hour to the day-3 reminder, which the revoked key blocks.
    for (let hours = 0; hours < 4 * 24 && !(await c.status()).blockedOn; hours++) await env.sleep(HOUR);
    const blocked = await c.status();
    expect(blocked.blockedOn?.provider).toBe('resend');
    expect((await c.describe()).typedSearchAttributes.get(DunningBlockedOn)).toBe('resend');
    // Paid meanwhile: the recovery email is the case's last word and waits for the key to be fixed.
    await c.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
    await env.sleep(HOUR);
    expect((await c.status()).state).toBe('active');
    keyRevoked = false;
    script.email = () => ({ messageId: 'msg_ok', template: 'payment_recovered' });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_test' });
    expect((await c.status()).emails.at(-1)).toMatchObject({ template: 'payment_recovered', messageId: 'msg_ok' });
  });

  it('a charge interrupted by a payment elsewhere while Stripe is down ends recovered', async () => {
    script.charge = () => {
      throw unavailable(StripeFailureType.Transient);
    };
    const c = await startCase();
    await skipPast(c, 'retry'); // the first retry: its activity gives up, the case waits
    // A slow worker may still be between attempts when the skip ends: skip on until it waits.
    for (let i = 0; i < 36 && !(await c.status()).blockedOn; i++) await env.sleep(10 * MINUTE);
    expect((await c.status()).blockedOn?.provider).toBe('stripe');
    await c.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: await serverNow() });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_stripe' });
    expect((await c.status()).blockedOn).toBeUndefined();
  });
});

/** The validator's refusal of a customer's retry: its reason (and when it will be possible). */
async function refusal(c: Handle, requestId: string): Promise<unknown> {
  try {
    await c.executeUpdate(retryRequestedUpdate, { args: [{ requestId }], updateId: requestId });
  } catch (err) {
    if (
      err instanceof WorkflowUpdateFailedError &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type === RETRY_NOT_POSSIBLE
    ) {
      return err.cause.details?.[0];
    }
    throw err;
  }
  throw new Error('the retry was not refused');
}

describe("the customer's own retry (Update retryRequested)", () => {
  it('declined again, then refused during the cooldown, then paid: one customer-initiated charge each time', async () => {
    const charges: string[] = [];
    let funds = false;
    script.charge = () => {
      charges.push('charge');
      return funds
        ? { outcome: 'succeeded' }
        : { outcome: 'declined', decline: { code: 'card_declined', declineCode: 'insufficient_funds' } };
    };
    script.facts = () => ({
      ...facts('in_x'),
      lastDecline: {
        code: 'card_declined',
        declineCode: 'insufficient_funds',
        card: { paymentMethodId: 'pm_old', brand: 'visa', last4: '4242' },
      },
    });
    const c = await startCase();
    await until('the first email', async () => ((await c.status()).emails.length ? true : undefined));
    expect((await c.status()).customerRetry).toEqual({ allowed: true });
    expect((await c.status()).card).toEqual({ brand: 'visa', last4: '4242' });

    const first = await c.executeUpdate(retryRequestedUpdate, { args: [{ requestId: 'r1' }], updateId: 'r1' });
    expect(first).toEqual({ outcome: 'declined', declineCategory: 'insufficient_funds', declineCode: 'insufficient_funds' });
    // The same request again (a double-click): the same answer, no second charge.
    expect(await c.executeUpdate(retryRequestedUpdate, { args: [{ requestId: 'r1' }], updateId: 'r1' })).toEqual(first);
    expect(charges).toHaveLength(1);
    const cooldown = (await refusal(c, 'r2')) as { reason: string; retryAt: string };
    expect(cooldown).toMatchObject({ allowed: false, reason: 'cooldown' });
    expect((await c.status()).customerRetry).toMatchObject({ allowed: false, reason: 'cooldown', retryAt: cooldown.retryAt });

    await env.sleep(6 * HOUR + MINUTE);
    funds = true;
    expect(await c.executeUpdate(retryRequestedUpdate, { args: [{ requestId: 'r3' }], updateId: 'r3' })).toEqual({
      outcome: 'succeeded',
    });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'customer_retry' });
    const s = await c.status();
    expect(s.attempts.map((a) => [a.trigger, a.outcome])).toEqual([
      ['customer_retry', 'declined'],
      ['customer_retry', 'succeeded'],
    ]);
    expect(charges).toHaveLength(2);
    await recordHistory('customer-retry', c);
  });

  it('a hard decline is refused at once: the same card cannot succeed', async () => {
    script.facts = () => ({
      ...facts('in_x'),
      lastDecline: { code: 'expired_card', declineCode: 'expired_card', card: { paymentMethodId: 'pm_old' } },
    });
    const c = await startCase();
    await until('the first email', async () => ((await c.status()).emails.length ? true : undefined));
    expect(await refusal(c, 'h1')).toEqual({ allowed: false, reason: 'not_retryable' });
    expect(calls.filter((x) => x === 'retryCharge')).toEqual([]);
    await c.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
    await c.result();
  });
});

describe('cards reported in any order', () => {
  it('a new card reported, then a late re-report of the failed card: the new card is still charged', async () => {
    let release!: () => void;
    factsGate = new Promise((r) => (release = r));
    script.charge = () => ({ outcome: 'succeeded' });
    try {
      const c = await startCase();
      await until('the facts load', async () => (calls.includes('loadCaseFacts') ? true : undefined));
      const at = await serverNow();
      await c.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId: 'pm_new', occurredAt: at });
      await c.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId: 'pm_old', occurredAt: at });
      release();
      expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
      expect(charged).toEqual(['pm_new']);
      await recordHistory('every-reported-card', c);
    } finally {
      release();
      factsGate = Promise.resolve();
    }
  });
});

describe('a retry accepted just before the case ends', () => {
  it('is answered "not possible: case over", and the case still ends', async () => {
    let release!: () => void;
    emailGate = new Promise((r) => (release = r));
    try {
      const c = await startCase();
      await until('the first email under way', async () => (calls.some((x) => x.startsWith('email:')) ? true : undefined));
      // Both land while the email is being sent: the loop sees the payment first.
      const answer = c.executeUpdate(retryRequestedUpdate, { args: [{ requestId: 'late' }], updateId: 'late' });
      await until('the retry accepted', async () => ((await c.status()).customerRetry?.allowed === false ? true : undefined));
      await c.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: await serverNow() });
      release();
      expect(await answer).toEqual({ outcome: 'not_possible', reason: 'case_over' });
      expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_stripe' });
      expect(calls.filter((x) => x === 'retryCharge')).toEqual([]);
    } finally {
      release();
      emailGate = Promise.resolve();
    }
  });
});

describe('a new card added before the case started, while the failed card is reported again', () => {
  it('the new card (the customer default in the facts) is still charged', async () => {
    let release!: () => void;
    factsGate = new Promise((r) => (release = r));
    script.charge = () => ({ outcome: 'succeeded' });
    script.facts = () => ({ ...facts('in_x'), customer: { ...facts('in_x').customer, defaultPaymentMethodId: 'pm_added' } });
    try {
      const c = await startCase();
      await until('the facts load', async () => (calls.includes('loadCaseFacts') ? true : undefined));
      // The new card's own events were lost (no case yet); only the failed card's re-report lands.
      await c.signal(paymentMethodUpdatedSignal, {
        source: 'stripe',
        paymentMethodId: 'pm_old',
        occurredAt: await serverNow(),
      });
      release();
      expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
      expect(charged).toEqual(['pm_added']);
    } finally {
      release();
      factsGate = Promise.resolve();
    }
  });
});

describe('Stripe settled the case while its webhook is late or lost', () => {
  const loads = () => calls.filter((x) => x === 'loadCaseFacts').length;

  it('paid at Stripe before the end action: recovered, the subscription is not cancelled', async () => {
    // Open when the case starts; paid by the time the end action is due (the webhook never came).
    script.facts = () =>
      loads() > 1 ? { ...facts('in_x'), invoice: { ...facts('in_x').invoice, status: 'paid' } } : facts('in_x');
    const c = await startCase();
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_stripe' });
    expect(calls).not.toContain('applyEndAction');
    expect(calls).toContain('email:payment_recovered');
    expect(calls).toContain('event:dunning.recovered');
    expect((await c.status()).attempts.at(-1)).toMatchObject({ trigger: 'stripe', outcome: 'skipped_already_paid' });
    await recordHistory('paid-before-end-action', c);
  });

  it('subscription deleted at Stripe before the end action: cancelled, no end action', async () => {
    script.facts = () =>
      loads() > 1 ? { ...facts('in_x'), subscription: { id: 'sub_stub', status: 'canceled' } } : facts('in_x');
    const c = await startCase();
    expect(await c.result()).toEqual({ state: 'cancelled', outcome: 'subscription_deleted' });
    expect(calls).not.toContain('applyEndAction');
    expect(calls).toContain('event:dunning.cancelled');
  });

  it('still open at Stripe: the end action runs, after one read of the facts', async () => {
    const c = await startCase();
    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
    expect(loads()).toBe(2);
    expect(calls.indexOf('applyEndAction')).toBeGreaterThan(calls.lastIndexOf('loadCaseFacts'));
  });
});

/**
 * On the real dev server of the `temporal` project: the time-skipping test server keeps no user
 * metadata (summaries, details), so this case runs on the wall clock, with a policy in seconds.
 */
describe('what the Web UI shows for a case', () => {
  const uiQueue = `stub-dunning-ui-${randomBytes(4).toString('hex')}`;
  const SECONDS_POLICY: DunningPolicy = {
    ...POLICY_1_0,
    steps: [
      { at: '0', action: 'email', template: 'payment_failed' },
      { at: '2s', action: 'email', template: 'reminder' },
      { at: '3s', action: 'retry' },
      { at: '1h', action: 'retry' },
    ],
    endAfter: '2h',
    grace: '2h',
    retryHour: null,
    minRetryGap: '1s',
    byCategory: undefined,
  };
  let connection: Connection;
  let workerConnection: NativeConnection;
  let client: Client;
  let uiWorkers: Worker[] = [];
  let uiRunning: Promise<void>[] = [];

  beforeAll(async () => {
    const address = inject('temporalAddress');
    [connection, workerConnection] = await Promise.all([Connection.connect({ address }), NativeConnection.connect({ address })]);
    client = new Client({ connection, namespace: inject('temporalNamespace') });
    const deployment = { deploymentName: uiQueue, buildId: 'stub' };
    uiWorkers = await stubWorkers(workerConnection, uiQueue, workflowBundle, deployment);
    uiRunning = uiWorkers.map((w) => w.run());
    await makeVersionCurrent(client.workflowService, deployment, { namespace: inject('temporalNamespace'), policy: 'always' });
  });

  afterAll(async () => {
    for (const w of uiWorkers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(uiRunning);
    await connection?.close();
    await workerConnection?.close();
  });

  it('a static summary at start, a summary on every timer and activity, current details; urgent emails first', async () => {
    const visa = { paymentMethodId: 'pm_old', brand: 'visa', last4: '4242' };
    script.facts = () => ({
      ...facts('in_x'),
      customer: { ...facts('in_x').customer, preferredLocales: ['vi-VN'], timeZone: 'America/New_York' },
      lastDecline: { code: 'card_declined', declineCode: 'insufficient_funds', card: visa },
    });
    script.charge = () => ({
      outcome: 'declined',
      decline: { code: 'card_declined', declineCode: 'insufficient_funds', card: visa },
    });
    const invoiceId = `in_${randomBytes(6).toString('hex')}`;
    // Started as the webhook starts it: the client sets the static summary and details.
    const cases = new DunningClient(client, uiQueue, SECONDS_POLICY);
    const handle = client.workflow.getHandle(
      await cases.paymentFailed({
        invoiceId,
        customerId: 'cus_stub',
        amountDue: 2900,
        currency: 'usd',
        occurredAt: await serverNow(),
      }),
    );
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(`$29.00 USD · ${invoiceId} · cus_stub`);
    expect(await described.staticDetails()).toContain(`Stripe invoice \`${invoiceId}\` of customer \`cus_stub\``);

    // Current details, as the Web UI reads them (the SDK's built-in metadata query).
    const details = async () => (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
    const status = () => handle.query(statusQuery);
    await until('the first email', async () => ((await status()).emails.length ? true : undefined));
    expect(await details()).toMatch(
      /^\*\*Decline:\*\* insufficient funds \(insufficient_funds\) on Visa •••• 4242\n\*\*Next:\*\* \+2s reminder at \w{3} \d+, \d\d:\d\d America\/New_York: remind/,
    );
    await until('the first retry', async () => ((await status()).attempts.length ? true : undefined));
    await handle.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: await serverNow() });
    expect(await handle.result()).toEqual({ state: 'recovered', outcome: 'paid_stripe' });
    expect(await details()).toMatch(/^\*\*Ended:\*\* recovered \(paid_stripe\) on /);

    const events = (await handle.fetchHistory()).events ?? [];
    const summary = (e: (typeof events)[number]) =>
      e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary) : undefined;
    const timers = events.filter((e) => e.timerStartedEventAttributes).map(summary);
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes);
    const activities = scheduled.map(summary);
    expect(timers.slice(0, 3)).toEqual([
      expect.stringMatching(/^wait for the \+2s reminder \(\w{3} \d+, \d\d:\d\d America\/New_York\)$/),
      expect.stringMatching(/^wait for the \+3s retry \(\w{3} \d+, \d\d:\d\d America\/New_York\)$/),
      expect.stringMatching(/^wait for the \+1h retry \(\w{3} \d+, \d\d:\d\d America\/New_York\)$/),
    ]);
    expect(timers.filter((t) => t === undefined)).toEqual([]);
    expect(activities.filter((a) => a === undefined)).toEqual([]);
    expect(activities).toEqual(
      expect.arrayContaining([
        `Stripe: read invoice ${invoiceId}, its customer and decline`,
        'email: payment_failed (vi)',
        'app event: dunning.started',
        'email: reminder (vi)',
        'charge Visa •••• 4242 (retry 1 of 2)',
        'email: payment_recovered (vi)',
        'app event: dunning.recovered',
      ]),
    );
    const priorityOf = (s: string) =>
      scheduled.find((e) => summary(e) === s)?.activityTaskScheduledEventAttributes?.priority?.priorityKey;
    expect(priorityOf('email: payment_failed (vi)')).toBe(URGENT_EMAIL_PRIORITY);
    expect(priorityOf('email: payment_recovered (vi)')).toBe(URGENT_EMAIL_PRIORITY);
    expect(priorityOf('email: reminder (vi)')).toBe(ROUTINE_EMAIL_PRIORITY);
  });
});

/**
 * The operator's actions (the ops CLI's `retry-now` and `resend-link`), through the client the API
 * uses: Updates carried out by the case's loop, answered with what they did.
 */
describe("an operator's retry now (Update retryNowRequested)", () => {
  const operatorCases = () => new DunningClient(env.client, taskQueue, POLICY_1_0);
  const insufficientFunds = () => ({
    ...facts('in_x'),
    lastDecline: { code: 'card_declined', declineCode: 'insufficient_funds', card: { paymentMethodId: 'pm_old' } },
  });

  it('declined, again at once (no customer cooldown), then paid: merchant-initiated charges keyed by request', async () => {
    let funds = false;
    script.facts = insufficientFunds;
    script.charge = () =>
      funds
        ? { outcome: 'succeeded' }
        : { outcome: 'declined', decline: { code: 'card_declined', declineCode: 'insufficient_funds' } };
    const c = await startCase();
    await until('the first email', async () => ((await c.status()).emails.length ? true : undefined));
    const cases = operatorCases();
    const first = await cases.retryNow(c.workflowId.replace(/^dunning-/, ''), { requestId: 'op-one-1', by: 'ops' });
    expect(first).toEqual({
      kind: 'done',
      result: { outcome: 'declined', declineCategory: 'insufficient_funds', declineCode: 'insufficient_funds' },
    });
    // The same request again: the same answer, no second charge.
    expect(await cases.retryNow(c.workflowId.replace(/^dunning-/, ''), { requestId: 'op-one-1' })).toEqual(first);
    expect(chargeInputs).toHaveLength(1);
    funds = true;
    expect(await cases.retryNow(c.workflowId.replace(/^dunning-/, ''), { requestId: 'op-two-2' })).toEqual({
      kind: 'done',
      result: { outcome: 'succeeded' },
    });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'operator_retry' });
    expect(chargeInputs.map((i) => [i.initiator, i.idempotencyKey])).toEqual([
      ['merchant', `${c.workflowId}/retry:operator_op-one-1`],
      ['merchant', `${c.workflowId}/retry:operator_op-two-2`],
    ]);
    const s = await c.status();
    expect(s.attempts.map((a) => [a.trigger, a.outcome])).toEqual([
      ['operator_retry', 'declined'],
      ['operator_retry', 'succeeded'],
    ]);
    expect(calls).toContain('event:dunning.recovered');
    // The case has ended: an operator's request now is told so, with how it ended.
    const ended = await cases.retryNow(c.workflowId.replace(/^dunning-/, ''), { requestId: 'op-late-3' });
    expect(ended).toMatchObject({ kind: 'ended', status: { state: 'recovered', outcome: 'operator_retry' } });
    await recordHistory('operator-retry', c);
  });

  it('refused at once for a hard decline; the card budget found exhausted while charging is "not possible: budget"', async () => {
    script.facts = () => ({
      ...facts('in_x'),
      lastDecline: { code: 'expired_card', declineCode: 'expired_card', card: { paymentMethodId: 'pm_old' } },
    });
    const hard = await startCase();
    await until('the first email', async () => ((await hard.status()).emails.length ? true : undefined));
    const cases = operatorCases();
    const invoiceOf = (h: { workflowId: string }) => h.workflowId.replace(/^dunning-/, '');
    expect(await cases.retryNow(invoiceOf(hard), { requestId: 'op-hard-1' })).toEqual({
      kind: 'refused',
      refusal: { allowed: false, reason: 'not_retryable' },
    });
    expect(calls.filter((x) => x === 'retryCharge')).toEqual([]);
    await hard.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
    await hard.result();

    script.facts = insufficientFunds;
    const retryAt = new Date((await env.currentTimeMs()) + 3 * 24 * HOUR).toISOString();
    script.charge = () => ({ outcome: 'budget_exhausted', retryAt, card: { paymentMethodId: 'pm_old' } });
    const c = await startCase();
    await until('the first email', async () => ((await c.status()).emails.length ? true : undefined));
    expect(await cases.retryNow(invoiceOf(c), { requestId: 'op-budget-1' })).toEqual({
      kind: 'done',
      result: { outcome: 'not_possible', reason: 'budget', retryAt },
    });
    expect((await c.status()).attempts.map((a) => [a.trigger, a.outcome])).toEqual([['operator_retry', 'skipped_budget']]);
    // No case at all for an invoice nobody opened.
    expect(await cases.retryNow('in_nobody', { requestId: 'op-nobody-1' })).toEqual({ kind: 'no_case' });
    await c.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
    await c.result();
  });
});

describe("an operator's fresh link email (Update resendLinkRequested)", () => {
  const invoiceOf = (h: { workflowId: string }) => h.workflowId.replace(/^dunning-/, '');

  it('a reminder with a key of its own per request, recorded in status.emails; the same request sends once', async () => {
    const c = await startCase();
    await until('the first email', async () => ((await c.status()).emails.length ? true : undefined));
    const cases = new DunningClient(env.client, taskQueue, POLICY_1_0);
    script.email = () => ({ messageId: 'msg_link_1', template: 'reminder' });
    const sent = await cases.resendLink(invoiceOf(c), { requestId: 'link-one-1', by: 'ops' });
    expect(sent).toEqual({
      kind: 'done',
      result: { outcome: 'sent', at: expect.any(String), template: 'reminder', messageId: 'msg_link_1' },
    });
    expect(await cases.resendLink(invoiceOf(c), { requestId: 'link-one-1' })).toEqual(sent);
    script.email = () => ({ messageId: 'msg_link_2', template: 'reminder' });
    expect(await cases.resendLink(invoiceOf(c), { requestId: 'link-two-2' })).toMatchObject({
      kind: 'done',
      result: { outcome: 'sent', messageId: 'msg_link_2' },
    });
    const links = emailInputs.filter((e) => e.idempotencyKey.includes('/email:link_'));
    expect(links.map((e) => [e.template, e.idempotencyKey])).toEqual([
      ['reminder', `${c.workflowId}/email:link_link-one-1`],
      ['reminder', `${c.workflowId}/email:link_link-two-2`],
    ]);
    expect((await c.status()).emails.slice(-2)).toEqual([
      { at: expect.any(String), template: 'reminder', messageId: 'msg_link_1' },
      { at: expect.any(String), template: 'reminder', messageId: 'msg_link_2' },
    ]);
    // The schedule goes on as planned: nothing was charged, the next step is still the first retry.
    expect(calls.filter((x) => x === 'retryCharge')).toEqual([]);
    await c.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_test' });
    expect(await cases.resendLink(invoiceOf(c), { requestId: 'link-late-3' })).toMatchObject({
      kind: 'ended',
      status: { state: 'recovered' },
    });
    await recordHistory('resend-link', c);
  });

  it('a slow email provider: accepted at once, sent when the provider answers', async () => {
    const c = await startCase();
    await until('the first email', async () => ((await c.status()).emails.length ? true : undefined));
    const cases = new DunningClient(env.client, taskQueue, POLICY_1_0);
    let release!: () => void;
    emailGate = new Promise((r) => (release = r));
    try {
      expect(await cases.resendLink(invoiceOf(c), { requestId: 'link-slow-1' }, 500)).toEqual({ kind: 'accepted' });
      expect((await c.status()).emails).toHaveLength(1);
      release();
      await until('the link email', async () => ((await c.status()).emails.length === 2 ? true : undefined));
      // Asked again with the same request: the email it sent, not a second one.
      expect(await cases.resendLink(invoiceOf(c), { requestId: 'link-slow-1' })).toMatchObject({
        kind: 'done',
        result: { outcome: 'sent' },
      });
      expect(emailInputs.filter((e) => e.idempotencyKey.endsWith('/email:link_link-slow-1'))).toHaveLength(1);
    } finally {
      release();
      emailGate = Promise.resolve();
    }
    await c.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
    await c.result();
  });

  it('refused while the facts are unread (busy) and for a customer without an email address', async () => {
    let release!: () => void;
    factsGate = new Promise((r) => (release = r));
    script.facts = () => ({ ...facts('in_x'), customer: { ...facts('in_x').customer, email: undefined } });
    const cases = new DunningClient(env.client, taskQueue, POLICY_1_0);
    try {
      const c = await startCase();
      await until('the facts load', async () => (calls.includes('loadCaseFacts') ? true : undefined));
      expect(await cases.resendLink(invoiceOf(c), { requestId: 'link-busy-1' })).toEqual({
        kind: 'refused',
        refusal: { allowed: false, reason: 'busy' },
      });
      release();
      await until('the plan', async () => ((await c.status()).nextAction ? true : undefined));
      expect(await cases.resendLink(invoiceOf(c), { requestId: 'link-noaddr-1' })).toEqual({
        kind: 'refused',
        refusal: { allowed: false, reason: 'no_email_address' },
      });
      await c.signal(paymentSucceededSignal, { source: 'test', occurredAt: await serverNow() });
      await c.result();
    } finally {
      release();
      factsGate = Promise.resolve();
    }
  });
});
