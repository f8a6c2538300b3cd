/**
 * The simulated Stripe and Resend of one policy's run: implementations of the activity interfaces
 * the shipped workflow calls (activities/index.ts), answering from the cohort model at the
 * simulated time. Charges go through the shipped card ledger (activities/cardBudget.ts, the
 * workflow in the bundle) exactly as the real charge activity does, so a refusal by the ledger
 * never reaches the "network"; every charge that does is recorded for the violation counter.
 *
 * The simulated time of an activity is when the server scheduled its attempt: on the
 * time-skipping server that is the skipped clock, which the activity's own Date.now() is not.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DunningActivities, EmailActivities } from '../activities';
import { blockCardVia, reserveCardAttemptVia } from '../activities/cardBudget';
import { tellLedger, type CardLedger } from '../activities/stripe/retryCharge';
import type { NetworkRules } from '../domain/networkRules';
import type { CohortParams } from './cohortParams';
import {
  offerAcceptedUpdate,
  paymentMethodUpdatedSignal,
  paymentSucceededSignal,
  workflowIdForInvoice,
} from '../domain/messages';
import type { CardFacts, CaseFacts, DeclineDetails, RetryChargeResult } from '../domain/providerTypes';
import {
  cardDataSucceeds,
  cardUpdateAfterEmail,
  macForWait,
  newCardSucceeds,
  retrySucceeds,
  type CohortCase,
} from './cohortModel';
import { customerActSignal, type CustomerAct } from './customerWorkflow';
import { offerAcceptance } from './offers';
import { isOtherCard, otherCardSucceeds, savedCardsOf } from './otherCards';
import type { NetworkTransaction } from './violations';

export const CUSTOMER_TASK_QUEUE = 'backtest-customers';

/** What happened to one case in one policy's run. */
export interface SimCase {
  c: CohortCase;
  invoiceId: string;
  /** The customer's current default card. */
  paymentMethodId: string;
  newCards: number;
  cardDataChanged: boolean;
  /** Charges of the original card (the ordinal of the model's draw). */
  originalCharges: number;
  askingEmails: number;
  emails: number;
  updatePending: boolean;
  paidAt?: number;
  /** When the last-chance offer was applied (backtest/offers.ts): the case ends `saved_by_offer`. */
  offerAppliedAt?: number;
  /** The outcome of the first scheduled retry, for the calibration line. */
  firstScheduledRetry?: 'succeeded' | 'declined';
  txs: NetworkTransaction[];
  results: Map<string, RetryChargeResult>;
  /** When the customer will act (for the clock driver in run.ts). */
  wakeUps: number[];
  /** The case's workflow has ended. */
  closed?: boolean;
  /** Bumped by every simulated call about the case: its next step may have moved (run.ts driveTime). */
  touched: number;
}

export interface PolicyRun {
  name: string;
  taskQueue: string;
  seed: number;
  /** The cohort's numbers: every run of one back-test has the same. */
  model: CohortParams;
  /** Charge through the shipped card ledger (default true). */
  ledger?: boolean;
  /**
   * The network rules file the ledger enforces, as the service's worker sends it (its limits with
   * each reservation, its never-retry codes as blocks); unset: the ledger's built-in limits.
   */
  rules?: NetworkRules;
  /** Share of customers who take a last-chance offer; unset: the model's (backtest/offers.ts OFFER_ACCEPTANCE). */
  offerAcceptance?: number;
  cases: Map<string, SimCase>;
}

const now = (): number => Context.current().info.currentAttemptScheduledTimestampMs;

/**
 * The test server may skip time while an activity runs (its own timeout timers included); each
 * simulated activity holds the server's time-skipping lock while it runs, as the SDK's client
 * does while it waits for a result.
 */
export interface TimeLock {
  lock(): Promise<unknown>;
  unlock(): Promise<unknown>;
}
export function holdingTime<A extends unknown[], R>(time: TimeLock | undefined, fn: (...a: A) => Promise<R>) {
  if (!time) return fn;
  return async (...a: A): Promise<R> => {
    await time.lock();
    try {
      return await fn(...a);
    } finally {
      await time.unlock();
    }
  };
}
function heldActivities<T extends object>(time: TimeLock | undefined, acts: T): T {
  return Object.fromEntries(
    Object.entries(acts).map(([k, f]) => [k, holdingTime(time, f as (...a: unknown[]) => Promise<unknown>)]),
  ) as T;
}

export function newSimCase(run: PolicyRun, c: CohortCase): SimCase {
  const invoiceId = `in_${run.name.replace(/[^A-Za-z0-9]/g, '')}_${c.id}`;
  const s: SimCase = {
    c,
    invoiceId,
    paymentMethodId: `pm_${c.id}`,
    newCards: 0,
    cardDataChanged: false,
    originalCharges: 0,
    askingEmails: 0,
    emails: 0,
    updatePending: false,
    txs: [],
    results: new Map(),
    wakeUps: [],
    touched: 0,
  };
  run.cases.set(invoiceId, s);
  return s;
}

function cardOf(run: PolicyRun, s: SimCase, paymentMethodId: string): CardFacts {
  const n = /_new(\d+)$/.exec(paymentMethodId)?.[1];
  const other = isOtherCard(paymentMethodId);
  return {
    paymentMethodId,
    fingerprint: `fp_${run.name}_${s.c.id}${n ? `_new${n}` : other ? '_other' : ''}`,
    brand: s.c.brand,
    last4: n ? `00${n.padStart(2, '0')}` : other ? '1111' : '4242',
  };
}

export function caseFacts(s: SimCase): CaseFacts {
  return {
    invoice: {
      id: s.invoiceId,
      status: s.paidAt === undefined ? 'open' : 'paid',
      customerId: `cus_${s.c.id}`,
      amountDue: s.c.amount,
      amountRemaining: s.paidAt === undefined ? s.c.amount : 0,
      currency: s.c.currency,
      subscriptionId: `sub_${s.c.id}`,
    },
    customer: {
      id: `cus_${s.c.id}`,
      email: `customer-${s.c.id}@example.com`,
      preferredLocales: [],
      timeZone: s.c.timeZone,
      defaultPaymentMethodId: s.paymentMethodId,
    },
    lastDecline: { ...s.c.decline, card: { paymentMethodId: `pm_${s.c.id}`, brand: s.c.brand, last4: '4242' } },
    subscription: { id: `sub_${s.c.id}`, status: 'past_due' },
  };
}

/** The issuer's answer to a declined charge of this card now. */
function declineNow(s: SimCase, card: CardFacts, at: number): DeclineDetails {
  if (card.paymentMethodId !== `pm_${s.c.id}`) {
    return { code: 'card_declined', declineCode: 'generic_decline', networkDeclineCode: '05', cardBrand: s.c.brand, card };
  }
  const d: DeclineDetails = { ...s.c.decline, card };
  // Mastercard names the wait it expects for the funds [A: the MAC tracks the model's clear time].
  if (d.networkAdviceCode && /^(2[4-9]|30)$/.test(d.networkAdviceCode)) {
    d.networkAdviceCode = macForWait(s.c.clearsAt !== undefined && s.c.clearsAt > at ? s.c.clearsAt - at : undefined);
  }
  return d;
}

/** The Stripe side: facts, charges (through the shipped card ledger), end actions, app events. */
export function simulatedStripe(run: PolicyRun, client: Client, time?: TimeLock): DunningActivities {
  // The shipped card ledger (an Update-with-Start per charge) or, with `run.ledger` false, none:
  // the Java test server wedges on concurrent Update-with-Start calls (seen at 6 concurrent
  // cases), so large runs count the policy's own charges against the rules without it.
  const ledger: CardLedger =
    run.ledger === false
      ? { reserve: async () => ({ granted: true }), block: async () => undefined }
      : {
          reserve: reserveCardAttemptVia(client, run.taskQueue, run.rules),
          block: blockCardVia(client, run.taskQueue),
          networkRules: run.rules,
        };
  const caseOf = (invoiceId: string): SimCase => {
    const s = run.cases.get(invoiceId);
    if (!s) throw new Error(`back-test: unknown invoice ${invoiceId}`);
    s.touched += 1;
    return s;
  };
  return heldActivities(time, {
    loadCaseFacts: async (invoiceId) => caseFacts(caseOf(invoiceId)),
    // The back-test does not model the SMS channel yet: a policy's sms steps send nothing.
    sendDunningSms: async () => ({ kind: 'skipped', reason: 'sms_off' }),
    // Another saved card (backtest/otherCards.ts): only a policy with `otherCards` asks.
    listSavedCards: async (customerId) => {
      const s = [...run.cases.values()].find((x) => `cus_${x.c.id}` === customerId);
      return s ? savedCardsOf(run.seed, s.c, (pm) => cardOf(run, s, pm)) : { cards: [] };
    },
    retryCharge: async (input) => {
      const s = caseOf(input.invoiceId);
      const done = s.results.get(input.idempotencyKey);
      if (done) return done; // a retried activity: Stripe's idempotency answers the same
      if (s.paidAt !== undefined) return { outcome: 'already_paid' };
      const at = now();
      const pm = input.paymentMethodId ?? s.paymentMethodId;
      const card = cardOf(run, s, pm);
      const budget = await ledger.reserve(card, input.idempotencyKey, input.initiator, {
        amount: s.c.amount,
        currency: s.c.currency,
      });
      if (budget.blockedReason) return { outcome: 'card_blocked', reason: budget.blockedReason, card };
      if (!budget.granted) return { outcome: 'budget_exhausted', retryAt: budget.retryAt ?? '', card };

      const isNew = pm !== `pm_${s.c.id}`;
      const approved = isOtherCard(pm)
        ? otherCardSucceeds(run.model, run.seed, s.c)
        : isNew
          ? newCardSucceeds(run.model, run.seed, s.c, s.newCards)
          : s.cardDataChanged
            ? cardDataSucceeds(run.model, run.seed, s.c, s.originalCharges++)
            : retrySucceeds(run.model, run.seed, s.c, at, s.originalCharges++);
      if (input.idempotencyKey.includes('/retry@') && s.firstScheduledRetry === undefined) {
        s.firstScheduledRetry = approved ? 'succeeded' : 'declined';
      }
      const decline = approved ? undefined : declineNow(s, card, at);
      s.txs.push({
        card: card.fingerprint!,
        brand: s.c.brand,
        amount: s.c.amount,
        currency: s.c.currency,
        at,
        initiator: input.initiator ?? 'merchant',
        initial: false,
        approved,
        networkDeclineCode: decline?.networkDeclineCode,
        networkAdviceCode: decline?.networkAdviceCode,
      });
      let result: RetryChargeResult;
      if (approved) {
        s.paidAt = at;
        result = { outcome: 'succeeded', card };
      } else {
        // As the real activity: "never retry" blocks the card, a named wait holds it, for every case.
        await tellLedger(ledger, card, decline!, input.idempotencyKey);
        result = { outcome: 'declined', decline: decline! };
      }
      s.results.set(input.idempotencyKey, result);
      return result;
    },
    applyEndAction: async () => ({ applied: true, detail: 'simulated' }),
    // The customer accepted the last-chance offer (backtest/offers.ts): Stripe applies it unless
    // the invoice was paid meanwhile (the failed invoice is then written off, not paid).
    applyOffer: async (input) => {
      const s = caseOf(input.invoiceId);
      if (s.paidAt !== undefined) return { applied: false, invoiceStatus: 'paid', detail: 'simulated: paid' };
      s.offerAppliedAt ??= now();
      return { applied: true, detail: 'simulated' };
    },
    // The back-test counts from its own ledger of charges; the end records go nowhere.
    recordCaseEnd: async () => ({ written: false }),
    startAppEventDelivery: async (event) => ({ workflowId: event.id }),
  });
}

/** The Resend side: every email may make the customer enter a new card, per the model. */
export function simulatedEmail(run: PolicyRun, client: Client, time?: TimeLock): EmailActivities {
  return heldActivities(time, {
    sendDunningEmail: async (input) => {
      const s = run.cases.get(input.invoiceId)!;
      const at = now();
      s.touched += 1;
      s.emails += 1;
      if (s.paidAt === undefined && !s.updatePending) {
        const ordinal = s.askingEmails;
        const update = cardUpdateAfterEmail(run.model, run.seed, s.c, input.template, ordinal, at);
        if (/^(payment_failed|reminder|final_notice|new_card_declined)/.test(input.template)) s.askingEmails += 1;
        if (update) {
          s.updatePending = true;
          s.wakeUps.push(at + update.delayMs);
          await scheduleAct(client, s.invoiceId, { at: at + update.delayMs, kind: 'card_update' });
        }
      }
      // The last-chance offer: some customers take it, after a while (backtest/offers.ts); one
      // with a new card on the way pays instead.
      if (input.template === 'last_chance_offer' && s.paidAt === undefined && !s.updatePending) {
        const accept = offerAcceptance(run.model, run.seed, s.c, run.offerAcceptance);
        if (accept) {
          s.wakeUps.push(at + accept.delayMs);
          await scheduleAct(client, s.invoiceId, { at: at + accept.delayMs, kind: 'offer_accepted' });
        }
      }
      return { messageId: `msg_${s.c.id}_${s.emails}`, template: input.template as 'reminder' };
    },
  });
}

export async function scheduleAct(client: Client, invoiceId: string, act: CustomerAct): Promise<void> {
  await client.workflow.signalWithStart('backtestCustomerWorkflow', {
    workflowId: `customer-${invoiceId}`,
    taskQueue: CUSTOMER_TASK_QUEUE,
    workflowTaskTimeout: '2 minutes',
    args: [invoiceId],
    signal: customerActSignal,
    signalArgs: [act],
  });
}

/** Carries a customer's act to the case as the service would hear it. */
export function customerActivities(runs: PolicyRun[], client: Client, time?: TimeLock) {
  return heldActivities(time, {
    actOnCase: async (invoiceId: string, act: CustomerAct): Promise<boolean> => {
      const s = runs.map((r) => r.cases.get(invoiceId)).find((x) => x !== undefined);
      if (!s || s.paidAt !== undefined) return false;
      s.touched += 1;
      const handle = client.workflow.getHandle(workflowIdForInvoice(invoiceId));
      const occurredAt = new Date(act.at).toISOString();
      try {
        if (act.kind === 'offer_accepted') {
          // What the offer page's POST does (src/dunningClient.ts): the case's Update, once.
          if (s.updatePending) return true; // a new card is on its way: the customer pays instead
          // Refused (the case is over, or a debit is settling): the customer's other acts still go.
          await handle
            .executeUpdate(offerAcceptedUpdate, { args: [{ requestId: `offer-${invoiceId}` }], updateId: `offer-${invoiceId}` })
            .catch(() => undefined);
        } else if (act.kind === 'paid') {
          s.paidAt = act.at;
          await handle.signal(paymentSucceededSignal, { source: 'hosted_page', occurredAt });
        } else if (act.kind === 'card_data_changed') {
          // Stripe's payment_method.automatically_updated: same payment method, new card data.
          s.cardDataChanged = true;
          await handle.signal(paymentMethodUpdatedSignal, {
            source: 'stripe',
            paymentMethodId: s.paymentMethodId,
            cardDataChanged: true,
            occurredAt,
          });
        } else {
          s.newCards += 1;
          s.updatePending = false;
          s.paymentMethodId = `pm_${s.c.id}_new${s.newCards}`;
          await handle.signal(paymentMethodUpdatedSignal, { source: 'api', paymentMethodId: s.paymentMethodId, occurredAt });
        }
        return true;
      } catch {
        return false; // the case is over
      }
    },
  });
}
