/**
 * The chaos scenarios. Each acts on the running stack (cases, faults, kills) and returns the cases
 * it opened with the fate of each, plus figures and problems of its own; the invariants over the
 * cases (lost, duplicate emails, double charges, Failed, state vs run, end state) are checked
 * for every scenario alike once the run has settled (./checks.ts).
 */
import type { Client } from '@temporalio/client';
import Stripe from 'stripe';
import type { LocalStack } from '../../tools/stack/localStack';
import type { AppEndpoint } from './appEndpoint';
import { describeCases, settlingEventIds, type ChaosCase, type Fate } from '../../tools/chaos/checks';
import { CASE_EVENT_TYPES, mapLimit, sleep, type ChaosDriver } from '../../tools/chaos/driver';
import { expectedStatus, fuzzedDeliveries } from '../support/fuzzEvents';

export interface ChaosSizes {
  burstCases: number;
  workerKills: number;
  /** The window in which the worker is killed and the burst's customers act. */
  burstSeconds: number;
  shuffledCases: number;
  /** Shuffled cases set up and fed at the same time. */
  shuffledConcurrency: number;
  fuzzEvents: number;
  stormCases: number;
  stormSeconds: number;
  outageSeconds: number;
  appDownSeconds: number;
  restartCases: number;
  temporalDownSeconds: number;
}

export interface ScenarioContext {
  stack: LocalStack;
  driver: ChaosDriver;
  client: Client;
  app: AppEndpoint;
  sizes: ChaosSizes;
  rnd: () => number;
  log: (line: string) => void;
}

export interface ScenarioOutcome {
  name: string;
  cases: ChaosCase[];
  /** Printed after the case figures. */
  figures: Record<string, string | number>;
  /** Failures of the scenario's own checks (e.g. a 5xx answer to bad input). */
  problems: string[];
}

// ---------------------------------------------------------------------------------------------
// Shared: opening cases and playing the customers' part

const DECLINES = [
  'pm_card_chargeDeclinedInsufficientFunds',
  'pm_card_chargeDeclinedInsufficientFunds',
  'pm_card_chargeDeclined',
  'pm_card_chargeDeclinedExpiredCard',
  'pm_card_chargeDeclinedLostCard',
] as const;

/** Fates of cases whose events Stripe delivers itself, weighted towards the ones that charge. */
const DELIVERED_FATES: readonly Fate[] = [
  'card_fixed',
  'card_fixed',
  'paid',
  'voided',
  'deleted',
  'card_declined',
  'none',
  'none',
];

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

let caseCounter = 0;

/** Failed renewals whose webhooks the Stripe sandbox delivers to the API as Stripe would. */
async function openCases(
  ctx: ScenarioContext,
  label: string,
  n: number,
  fates: readonly Fate[] = DELIVERED_FATES,
): Promise<ChaosCase[]> {
  return mapLimit(Array.from({ length: n }), 6, async () => {
    const i = ++caseCounter;
    const s = await ctx.driver.createFailedInvoice({
      email: `${label}-${i}@chaos.test`,
      name: `Chaos ${i}`,
      decline: pick(ctx.rnd, DECLINES),
    });
    return { invoiceId: s.invoiceId, customerId: s.customerId, subscriptionId: s.subscriptionId, fate: pick(ctx.rnd, fates) };
  });
}

/** Retries a driver's Stripe call through storms and outages (the service's own calls get no such help). */
async function throughFaults<T>(what: string, call: () => Promise<T>, deadlineMs = 240_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const transient =
        err instanceof Stripe.errors.StripeRateLimitError ||
        err instanceof Stripe.errors.StripeAPIError ||
        err instanceof Stripe.errors.StripeConnectionError;
      if (!transient || Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(Math.min(250 * attempt, 3_000));
    }
  }
}

/** What the customer (or the merchant's dashboard) does to make the case's fate happen in Stripe. */
async function actOutFate(ctx: ScenarioContext, c: ChaosCase): Promise<void> {
  const { driver } = ctx;
  switch (c.fate) {
    case 'paid':
      return driver.payOnHostedPage(c.invoiceId);
    case 'voided':
      await throughFaults(`void ${c.invoiceId}`, () => driver.stripe.invoices.voidInvoice(c.invoiceId));
      return;
    case 'deleted':
      await throughFaults(`cancel ${c.subscriptionId}`, () => driver.stripe.subscriptions.cancel(c.subscriptionId));
      return;
    case 'card_fixed':
      await driver.attachCard(c.customerId, 'pm_card_visa');
      return;
    case 'card_declined':
      await driver.attachCard(c.customerId, 'pm_card_chargeDeclined');
      return;
    case 'none':
      return;
  }
}

/** Each case's fate at a random moment within `windowMs`. */
async function actOutFates(ctx: ScenarioContext, cases: ChaosCase[], windowMs: number): Promise<void> {
  await Promise.all(
    cases.map(async (c) => {
      await sleep(ctx.rnd() * windowMs);
      await actOutFate(ctx, c);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The scenarios

/** A burst of failures while the worker process is SIGKILLed at random moments and restarted each time. */
export async function workerKills(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { sizes, stack } = ctx;
  const windowMs = sizes.burstSeconds * 1000;
  const killAt = Array.from({ length: sizes.workerKills }, () => 1000 + ctx.rnd() * (windowMs - 1000)).sort((a, b) => a - b);
  const started = Date.now();
  const restarts: number[] = [];
  const kills = (async () => {
    for (const at of killAt) {
      await sleep(Math.max(0, started + at - Date.now()));
      await stack.worker.kill();
      restarts.push(await stack.worker.start());
    }
  })();
  const cases = await openCases(ctx, 'burst', sizes.burstCases);
  const openedMs = Date.now() - started;
  await actOutFates(ctx, cases, Math.max(1000, windowMs - (Date.now() - started)));
  await kills;
  const avg = restarts.reduce((a, b) => a + b, 0) / Math.max(1, restarts.length);
  return {
    name: 'worker SIGKILLs',
    cases: cases,
    figures: {
      'worker kills': restarts.length,
      'restart to ready (avg/max)': `${(avg / 1000).toFixed(1)}/${(Math.max(0, ...restarts) / 1000).toFixed(1)} s`,
      'burst opened in': `${(openedMs / 1000).toFixed(1)} s`,
    },
    problems: restarts.length < sizes.workerKills ? [`only ${restarts.length} of ${sizes.workerKills} kills happened`] : [],
  };
}

/** The Temporal dev server SIGKILLed mid-burst and started again on the same database. */
export async function temporalRestart(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { sizes, stack } = ctx;
  const half = Math.ceil(sizes.restartCases / 2);
  const before = await openCases(ctx, 'restart', half);
  await sleep(1000);
  await stack.killTemporal();
  const killedAt = Date.now();
  // Failures while Temporal is down: the API answers 503 and the sandbox delivers again later.
  const during = await openCases(ctx, 'restart', sizes.restartCases - half);
  await sleep(Math.max(0, sizes.temporalDownSeconds * 1000 - (Date.now() - killedAt)));
  const restartMs = await stack.startTemporal();
  const downMs = Date.now() - killedAt;
  const cases = [...before, ...during];
  await actOutFates(ctx, cases, 10_000);
  return {
    name: 'Temporal restart',
    cases: cases,
    figures: { 'Temporal down': `${(downMs / 1000).toFixed(1)} s`, 'restart to ready': `${(restartMs / 1000).toFixed(1)} s` },
    problems: [],
  };
}

/** Storms of `statuses` over the Stripe API for stormSeconds, cases opening and customers acting meanwhile. */
function stripeStorm(name: string, storms: Array<{ status: 429 | 500 | 503; rate: number }>) {
  return async (ctx: ScenarioContext): Promise<ScenarioOutcome> => {
    const durationMs = ctx.sizes.stormSeconds * 1000;
    for (const s of storms) await ctx.driver.stripeFault({ ...s, durationMs });
    const cases = await openCases(ctx, name.replace(/\W+/g, '-'), ctx.sizes.stormCases);
    await actOutFates(ctx, cases, durationMs * 0.8);
    return {
      name,
      cases: cases,
      figures: {
        storm: `${storms.map((s) => `${s.status}×${Math.round(s.rate * 100)}%`).join('+')} for ${ctx.sizes.stormSeconds} s`,
      },
      problems: [],
    };
  };
}

export const stripe5xxStorm = stripeStorm('Stripe 5xx storm', [
  { status: 500, rate: 0.3 },
  { status: 503, rate: 0.3 },
]);
export const stripe429Storm = stripeStorm('Stripe 429 storm', [{ status: 429, rate: 0.5 }]);

/** Stripe unreachable (connections dropped) for outageSeconds. */
export async function stripeOutage(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const durationMs = ctx.sizes.outageSeconds * 1000;
  const cases = await openCases(ctx, 'stripe-outage', ctx.sizes.stormCases);
  await ctx.driver.stripeFault({ status: 'reset', durationMs });
  await actOutFates(ctx, cases, durationMs * 0.8);
  await sleep(Math.max(0, durationMs * 0.2));
  return {
    name: 'Stripe outage',
    cases: cases,
    figures: { outage: `connections dropped for ${ctx.sizes.outageSeconds} s` },
    problems: [],
  };
}

function resendStorm(name: string, storms: Array<{ status: 429 | 500 | 503; rate: number; retryAfterSeconds?: number }>) {
  return async (ctx: ScenarioContext): Promise<ScenarioOutcome> => {
    const durationMs = ctx.sizes.stormSeconds * 1000;
    for (const s of storms) await ctx.driver.outboxFault({ ...s, durationMs });
    const cases = await openCases(ctx, name.replace(/\W+/g, '-'), ctx.sizes.stormCases);
    await actOutFates(ctx, cases, durationMs * 0.8);
    return {
      name,
      cases: cases,
      figures: {
        storm: `${storms.map((s) => `${s.status}×${Math.round(s.rate * 100)}%`).join('+')} for ${ctx.sizes.stormSeconds} s`,
      },
      problems: [],
    };
  };
}

export const resend429Storm = resendStorm('Resend 429 storm', [{ status: 429, rate: 0.6, retryAfterSeconds: 1 }]);
export const resend5xxStorm = resendStorm('Resend 5xx storm', [
  { status: 500, rate: 0.3 },
  { status: 503, rate: 0.3 },
]);

/**
 * The app's webhook endpoint down for appDownSeconds: cases that end meanwhile must end (their
 * events wait), and the endpoint must not be hammered.
 */
export async function appEndpointDown(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const windowMs = ctx.sizes.appDownSeconds * 1000;
  const receivedBefore = ctx.app.events().length;
  ctx.app.setDown(true);
  const cases = await openCases(ctx, 'app-down', ctx.sizes.stormCases, ['paid', 'paid', 'voided', 'card_fixed']);
  await actOutFates(ctx, cases, windowMs * 0.4);
  await sleep(Math.max(0, windowMs * 0.6));
  // Still down. Each of these cases has been settled in Stripe; one still open may be waiting for
  // its webhook or its last email (other faults run meanwhile), but never for the app endpoint.
  const facts = await describeCases(
    ctx.client,
    cases.map((c) => c.invoiceId),
  );
  const open = cases.filter((c) => facts.get(c.invoiceId)?.status === 'RUNNING');
  const held = (
    await mapLimit(open, 8, async (c) => {
      const d = await ctx.client.workflow.getHandle(`dunning-${c.invoiceId}`).describe();
      return (d.raw.pendingActivities ?? []).some((a) => /app webhook/i.test(a.lastFailure?.message ?? '')) ? c : undefined;
    })
  ).filter((c) => c !== undefined);
  const { requests, maxPerSecond } = ctx.app.downStats();
  ctx.app.setDown(false);
  return {
    name: 'app endpoint down',
    cases: cases,
    figures: {
      down: `${ctx.sizes.appDownSeconds} s`,
      'requests while down': requests,
      'events received before': receivedBefore,
      'max per second': maxPerSecond,
      'settled cases still open': open.length,
      'held open by the app endpoint': held.length,
    },
    problems: held.length ? [`${held.length} cases waited for the app endpoint to end (e.g. ${held[0]!.invoiceId})`] : [],
  };
}

/**
 * Fuzzed webhooks (test/support/fuzzEvents.ts: `fuzzEvents` signed ones, a tenth more not signed
 * as sent) while everything else goes on: never a 5xx, and each answered as the fuzzer says it is owed.
 */
export async function fuzz(ctx: ScenarioContext, seed: number): Promise<ScenarioOutcome> {
  const deliveries = fuzzedDeliveries(seed, ctx.sizes.fuzzEvents);
  const byStatus = new Map<number, number>();
  let fiveHundreds = 0;
  const wrong: string[] = [];
  const started = Date.now();
  await mapLimit(deliveries, 8, async (d, i) => {
    const status = await ctx.driver.deliver(d.payload, { signing: d.signing, contentType: d.contentType });
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (status >= 500 || status === 0) fiveHundreds++;
    if (status !== expectedStatus(d.expect))
      wrong.push(`#${i} ${d.label}: ${status || 'no answer'}, owed ${expectedStatus(d.expect)}`);
  });
  return {
    name: 'fuzzed webhooks',
    cases: [],
    figures: {
      deliveries: deliveries.length,
      answers: [...byStatus]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s || 'none'}×${n}`)
        .join(' '),
      '5xx to bad input': fiveHundreds,
      'other wrong answers': wrong.length - fiveHundreds,
      rate: `${Math.round(deliveries.length / ((Date.now() - started) / 1000))}/s`,
    },
    problems: wrong.length
      ? [`${wrong.length} deliveries not answered as owed (seed ${seed}), e.g. ${wrong.slice(0, 3).join('; ')}`]
      : [],
  };
}

/**
 * Cases fed their own events shuffled and duplicated (failed, paid, card updated, subscription
 * deleted, voided), delivered by the suite rather than the sandbox: the sandbox's state is what
 * the events say, and the order must not decide the outcome.
 */
export async function shuffledEvents(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const fates: readonly Fate[] = ['paid', 'voided', 'deleted', 'card_fixed', 'card_declined', 'none'];
  let deliveries = 0;
  const answers = new Map<number, number>();
  const cases = await mapLimit(Array.from({ length: ctx.sizes.shuffledCases }), ctx.sizes.shuffledConcurrency, async (_, i) => {
    const fate = fates[i % fates.length]!;
    const s = await ctx.driver.createFailedInvoice({
      email: `shuffled-${++caseCounter}@chaos.test`,
      decline: pick(ctx.rnd, DECLINES),
      webhooks: false,
    });
    const c: ChaosCase = { invoiceId: s.invoiceId, customerId: s.customerId, subscriptionId: s.subscriptionId, fate };
    // Some customers also tried a card that declined before their case was settled.
    if ((fate === 'paid' || fate === 'voided' || fate === 'deleted') && ctx.rnd() < 0.3) {
      await ctx.driver.attachCard(c.customerId, 'pm_card_chargeDeclined');
    }
    await actOutFate(ctx, c);
    const events = (await ctx.driver.eventsOf(c.customerId)).map((r) => r.event).filter((e) => CASE_EVENT_TYPES.has(e.type));
    const settling = settlingEventIds(events, c);
    const sequence = events.flatMap((e) => Array.from({ length: 1 + Math.floor(ctx.rnd() * 3) }, () => e));
    shuffle(sequence, ctx.rnd);
    // Two at a time: duplicates and neighbours race each other, as Stripe's deliveries do.
    await mapLimit(sequence, 2, async (event) => {
      await sleep(ctx.rnd() * 300);
      const statuses = await ctx.driver.deliverLikeStripe(JSON.stringify(event, null, 2));
      deliveries++;
      for (const st of statuses) answers.set(st, (answers.get(st) ?? 0) + 1);
      if (settling.has(event.id) && statuses.some((st) => st >= 200 && st < 300)) c.settledAt ??= Date.now();
    });
    return c;
  });
  return {
    name: 'shuffled duplicated events',
    cases: cases,
    figures: {
      deliveries,
      answers: [...answers]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s || 'none'}×${n}`)
        .join(' '),
    },
    problems: [],
  };
}

function shuffle<T>(xs: T[], rnd: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
