/**
 * The case's bookkeeping without Temporal: CaseRecord (workflows/caseRecord.ts) and CaseInbox
 * (workflows/caseInbox.ts), driven the way dunningWorkflow drives them.
 */
import { STRIPE_RETRYING_FIX } from '../../domain/stripeRetries';
import { describe, expect, it } from 'vitest';
import type { CaseFacts, RetryChargeResult } from '../../domain/providerTypes';
import { CaseInbox } from '../../domain/caseInbox';
import { CaseRecord, endingNewsInFacts } from '../../domain/caseRecord';
import { POLICY_1_0 } from '../../domain/policy';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 12); // a Saturday noon UTC; day 3 is the 13th, payday the 15th

const facts = (over: Partial<CaseFacts> = {}): CaseFacts => ({
  invoice: {
    id: 'in_1',
    status: 'open',
    customerId: 'cus_1',
    amountDue: 2900,
    amountRemaining: 2900,
    currency: 'usd',
    subscriptionId: 'sub_1',
  },
  customer: { id: 'cus_1', email: 'a@example.com', name: 'Ada', preferredLocales: ['en'], defaultPaymentMethodId: 'pm_old' },
  lastDecline: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    card: { paymentMethodId: 'pm_old', brand: 'visa', last4: '4242' },
  },
  subscription: { id: 'sub_1', status: 'past_due' },
  ...over,
});

/** A record past its facts and first plan, as the workflow leaves it before its loop. */
const started = (f: CaseFacts = facts()): CaseRecord => {
  const r = new CaseRecord('in_1', 'cus_1', T0);
  r.learnFacts(f);
  r.classifyFirst(undefined, T0);
  r.replan(T0);
  return r;
};

const declined = (pm: string, declineCode = 'generic_decline'): RetryChargeResult => ({
  outcome: 'declined',
  decline: { code: 'card_declined', declineCode, card: { paymentMethodId: pm, brand: 'visa', last4: '0002' } },
});

describe('CaseRecord', () => {
  it('starts from the facts: amounts, classification, a plan, the status and search attributes', () => {
    const r = started();
    const s = r.status();
    expect(s).toMatchObject({
      state: 'active',
      amountDue: 2900,
      currency: 'usd',
      subscriptionId: 'sub_1',
      declineCategory: 'insufficient_funds',
    });
    // The first email is due at once; then day 3 (the 13th): its reminder comes first, the retry
    // waits for the 15th (payday).
    expect(s.nextAction).toEqual({ kind: 'email', at: new Date(T0).toISOString() });
    r.markDone(r.nextStep()!);
    expect(r.status().nextAction).toEqual({ kind: 'email', at: new Date(T0 + 3 * DAY).toISOString() });
    expect(r.searchAttributes().map((p) => [p.key.name, p.value])).toEqual([
      ['DunningState', 'active'],
      ['DunningDeclineCategory', 'insufficient_funds'],
      ['DunningAmountDue', 2900],
      ['DunningCurrency', 'usd'],
      ['DunningNextActionAt', new Date(T0 + 3 * DAY)],
    ]);
  });

  it.each([
    [{ invoice: { ...facts().invoice, status: 'paid' as const } }, { state: 'recovered', outcome: 'paid_before_case_started' }],
    [{ invoice: { ...facts().invoice, status: 'void' as const } }, { state: 'cancelled', outcome: 'invoice_void' }],
    [{ subscription: { id: 'sub_1', status: 'canceled' } }, { state: 'cancelled', outcome: 'subscription_deleted' }],
    [{ subscription: { id: 'sub_1', status: 'incomplete_expired' } }, { state: 'cancelled', outcome: 'subscription_deleted' }],
    [{}, undefined],
  ])('settled before the case started: %j → %j', (over, expected) => {
    const r = new CaseRecord('in_1', 'cus_1', T0);
    r.learnFacts(facts(over));
    expect(r.settledBeforeStart()).toEqual(expected);
  });

  it.each([
    [
      { invoice: { ...facts().invoice, status: 'paid' as const } },
      { paid: { source: 'stripe', occurredAt: new Date(T0).toISOString() } },
    ],
    [{ invoice: { ...facts().invoice, status: 'void' as const } }, { cancel: { reason: 'invoice_voided', by: 'stripe' } }],
    [
      { invoice: { ...facts().invoice, status: 'uncollectible' as const } },
      { cancel: { reason: 'invoice_marked_uncollectible', by: 'stripe' } },
    ],
    [{ subscription: { id: 'sub_1', status: 'canceled' } }, { cancel: { reason: 'subscription_deleted', by: 'stripe' } }],
    [{ subscription: { id: 'sub_1', status: 'unpaid' } }, undefined],
    [{}, undefined],
  ])('what Stripe says before the end action, as the webhook would: %j → %j', (over, expected) => {
    expect(endingNewsInFacts(facts(over), T0)).toEqual(expected);
  });

  it('the card that failed is known declined; reported again it is not charged, new card data is', () => {
    const r = started();
    expect(r.isDeclinedCardReportedAgain({ source: 'stripe', paymentMethodId: 'pm_old', occurredAt: '' })).toBe(true);
    expect(r.isDeclinedCardReportedAgain({ source: 'stripe', paymentMethodId: 'pm_new', occurredAt: '' })).toBe(false);
    expect(r.isDeclinedCardReportedAgain({ source: 'api', occurredAt: '' })).toBe(false);
    expect(
      r.isDeclinedCardReportedAgain({ source: 'stripe', paymentMethodId: 'pm_old', cardDataChanged: true, occurredAt: '' }),
    ).toBe(false);
    // New data clears it: the same id reported again later is charged once more.
    expect(r.isDeclinedCardReportedAgain({ source: 'stripe', paymentMethodId: 'pm_old', occurredAt: '' })).toBe(false);
  });

  it('a declined charge marks its card, records the attempt, reclassifies and replans', () => {
    const r = started();
    const v = r.applyChargeResult('payment_method_updated', declined('pm_new', 'expired_card'), T0 + DAY, 'pm_new');
    expect(v).toEqual({ settled: false });
    // Replanned for a card that cannot pay: no retry of it is planned any more.
    const replanned = new CaseRecord('in_1', 'cus_1', T0);
    replanned.learnFacts(facts());
    replanned.classifyFirst(undefined, T0);
    replanned.replan(T0);
    expect(replanned.retryOrdinal({ key: 'none', at: 0, kind: 'retry' }).of).toBeGreaterThan(0);
    expect(r.retryOrdinal({ key: 'none', at: 0, kind: 'retry' }).of).toBe(0);
    expect(r.status().attempts).toEqual([
      {
        at: new Date(T0 + DAY).toISOString(),
        trigger: 'payment_method_updated',
        outcome: 'declined',
        declineCode: 'expired_card',
      },
    ]);
    expect(r.classification.category).toBe('payment_method');
    expect(r.isDeclinedCardReportedAgain({ source: 'stripe', paymentMethodId: 'pm_new', occurredAt: '' })).toBe(true);
    // Messages only now: no retry is planned any more.
    expect(r.status().nextAction?.kind).not.toBe('retry');
  });

  it.each<[RetryChargeResult, { settled: boolean; closedBy?: unknown }, string]>([
    [{ outcome: 'succeeded' }, { settled: true }, 'succeeded'],
    [{ outcome: 'already_paid' }, { settled: true }, 'skipped_already_paid'],
    [
      { outcome: 'invoice_closed', status: 'void' },
      { settled: false, closedBy: { reason: 'invoice_void', by: 'stripe' } },
      'skipped_invoice_closed',
    ],
    [
      { outcome: 'subscription_ended', status: 'canceled' },
      { settled: false, closedBy: { reason: 'subscription_deleted', by: 'stripe' } },
      'skipped_subscription_ended',
    ],
    [{ outcome: 'budget_exhausted', retryAt: '', card: {} }, { settled: false }, 'skipped_budget'],
    [{ outcome: 'card_blocked', reason: 'mac_03', card: {} }, { settled: false }, 'skipped_never_retry'],
  ])('charge answer %j → %j, attempt %s', (result, verdict, outcome) => {
    const r = started();
    expect(r.applyChargeResult('schedule', result, T0, undefined)).toEqual(verdict);
    expect(r.status().attempts.map((a) => a.outcome)).toEqual([outcome]);
  });

  it('a failure with a new decline reason from Stripe forgets which cards declined', () => {
    const r = started();
    const before = r.classification;
    expect(
      r.applyFailure(
        { invoiceId: 'in_1', customerId: 'cus_1', amountDue: 3100, currency: 'usd', declineCode: 'do_not_honor', occurredAt: '' },
        T0 + DAY,
      ),
    ).toEqual({
      needsDecline: false,
    });
    expect(r.amountDue).toBe(3100);
    expect(r.afterFailure(before)).toEqual({ replan: true });
    expect(r.isDeclinedCardReportedAgain({ source: 'stripe', paymentMethodId: 'pm_old', occurredAt: '' })).toBe(false);
  });

  it("Stripe's collection as the start read left it, and Stripe's own retry, are in the status with the fix", () => {
    const r = started(facts({ stripeCollection: 'paused_by_case' }));
    expect(r.status()).toMatchObject({ stripeCollection: 'paused_by_case' });
    expect(r.status()).not.toHaveProperty('stripeRetrying');
    const failure = { invoiceId: 'in_1', customerId: 'cus_1', amountDue: 2900, currency: 'usd', occurredAt: '' };
    // Our own charge echoed back, or the first attempt: nothing to say.
    r.applyFailure({ ...failure, attemptCount: 2 }, T0 + DAY);
    expect(r.status()).not.toHaveProperty('stripeRetrying');
    r.applyFailure(
      { ...failure, attemptCount: 3, byStripeSchedule: true, nextPaymentAttemptAt: '2026-12-09T00:00:00.000Z' },
      T0 + DAY,
    );
    expect(r.status().stripeRetrying).toEqual({
      attemptCount: 3,
      lastAt: new Date(T0 + DAY).toISOString(),
      nextAttemptAt: '2026-12-09T00:00:00.000Z',
      fix: STRIPE_RETRYING_FIX,
    });
    // A later failure of ours does not make it forget that Stripe retried.
    r.applyFailure(failure, T0 + 2 * DAY);
    expect(r.status().stripeRetrying?.attemptCount).toBe(3);
  });

  it("another saved card's decline, echoed back by Stripe's webhook, says nothing about the default card", () => {
    const r = started();
    const other = { paymentMethodId: 'pm_other', fingerprint: 'fp_other', brand: 'mastercard', last4: '4444' };
    r.applyOtherCardResult(
      other,
      { outcome: 'declined', decline: { code: 'card_declined', declineCode: 'lost_card', card: other } },
      T0 + DAY,
    );
    const before = r.classification;
    // invoice.payment_failed of that charge: no codes, so the case reads the invoice's last error,
    // which is now the other card's.
    const failure = { invoiceId: 'in_1', customerId: 'cus_1', amountDue: 2900, currency: 'usd', occurredAt: '' };
    expect(r.applyFailure(failure, T0 + DAY).needsDecline).toBe(true);
    r.applyDeclineRead({ code: 'card_declined', declineCode: 'lost_card', card: { ...other, paymentMethodId: 'pm_other' } });
    expect(r.classification).toEqual(before);
    expect(r.status().declineCategory).toBe('insufficient_funds');
    expect(r.afterFailure(before)).toEqual({ replan: false });
    // The same card under another id (the same fingerprint) is the same card.
    r.applyDeclineRead({
      code: 'card_declined',
      declineCode: 'lost_card',
      card: { paymentMethodId: 'pm_again', fingerprint: 'fp_other' },
    });
    expect(r.classification).toEqual(before);
    // A decline of the default card still counts.
    r.applyDeclineRead({ code: 'card_declined', declineCode: 'do_not_honor', card: { paymentMethodId: 'pm_old' } });
    expect(r.classification.reason).not.toBe(before.reason);
  });

  it('a failure without codes asks for the decline to be read from Stripe', () => {
    const r = started();
    expect(
      r.applyFailure({ invoiceId: 'in_1', customerId: 'cus_1', amountDue: 0, currency: 'usd', occurredAt: '' }, T0).needsDecline,
    ).toBe(true);
    expect(r.amountDue).toBe(2900); // no amount in the event: the known one stays
  });

  it('a replan keeps steps done and steps owed, and never moves the origin', () => {
    const r = started();
    r.markDone(r.nextStep()!); // the first email
    let step = r.nextStep()!;
    r.markDone(step); // the day-3 reminder
    const doneKey = step.key;
    r.replan(T0 + 4 * DAY);
    step = r.nextStep()!;
    expect(step.key).not.toBe(doneKey);
    expect(step.at).toBeGreaterThan(T0 + 3 * DAY);
    expect(r.endAt()).toBe(T0 + 14 * DAY);
  });

  it('email input from the record; no address is recorded instead', () => {
    const r = started();
    expect(r.emailInput('reminder', 'dunning-in_1/email:reminder@3d', T0)).toMatchObject({
      template: 'reminder',
      to: 'a@example.com',
      idempotencyKey: 'dunning-in_1/email:reminder@3d',
      // The links' issue time is the step's, so that every try of the activity sends one body.
      issuedAt: new Date(T0).toISOString(),
      amountDue: 2900,
      cardLast4: '4242',
      endAction: 'cancel_subscription',
      endsAt: new Date(T0 + 14 * DAY).toISOString(),
    });
    const noEmail = started(facts({ customer: { ...facts().customer, email: undefined } }));
    expect(noEmail.emailInput('reminder', 'k', T0)).toBeUndefined();
    expect(noEmail.status().emails).toEqual([
      { at: new Date(T0).toISOString(), template: 'reminder', error: 'customer has no email address' },
    ]);
  });

  it('the end: state, outcome and no next action', () => {
    const r = started();
    r.end('recovered', 'card_updated', T0 + DAY);
    expect(r.status()).toMatchObject({ state: 'recovered', outcome: 'card_updated', endedAt: new Date(T0 + DAY).toISOString() });
    expect(r.status().nextAction).toBeUndefined();
    expect(r.searchAttributes().find((p) => p.key.name === 'DunningNextActionAt')?.value).toBeNull();
  });

  it('a card added before the failure reached us is offered as a card update', () => {
    expect(started().cardAddedBeforeStart(T0)).toBeUndefined();
    const r = started(facts({ customer: { ...facts().customer, defaultPaymentMethodId: 'pm_newer' } }));
    expect(r.cardAddedBeforeStart(T0)).toEqual({
      source: 'stripe',
      paymentMethodId: 'pm_newer',
      occurredAt: new Date(T0).toISOString(),
    });
  });

  it("a subscription's own card is the one Stripe charges: the customer's other default is no card added", () => {
    // The failed card is the subscription's; the customer's default is an older, other card.
    const customer = { ...facts().customer, defaultPaymentMethodId: 'pm_customer_default' };
    expect(started(facts({ customer, effectivePaymentMethodId: 'pm_old' })).cardAddedBeforeStart(T0)).toBeUndefined();
    // The card Stripe charges now is another: offered as a card update.
    expect(started(facts({ customer, effectivePaymentMethodId: 'pm_newer' })).cardAddedBeforeStart(T0)).toMatchObject({
      paymentMethodId: 'pm_newer',
    });
    // Facts recorded before the effective card was read compare the customer's default, as they did.
    expect(started(facts({ customer })).cardAddedBeforeStart(T0)).toMatchObject({ paymentMethodId: 'pm_customer_default' });
  });

  it('uses the policy given (and the default otherwise)', () => {
    const r = new CaseRecord('in_1', 'cus_1', T0, { ...POLICY_1_0, endAfter: '10d', grace: '10d' });
    r.learnFacts(facts());
    r.classifyFirst(undefined, T0);
    r.replan(T0);
    expect(r.endAt()).toBe(T0 + 10 * DAY);
  });
});

describe('CaseRecord: an address Resend could not deliver to', () => {
  const bounce = {
    event: 'bounced' as const,
    address: 'A@Example.com',
    emailId: 'em_1',
    reason: 'no such mailbox',
    occurredAt: '2026-12-01T10:00:00.000Z',
  };

  it('is recorded in status, and emails to it are skipped and recorded, not sent', () => {
    const r = started();
    expect(r.status().emailUndeliverable).toBeUndefined();
    r.markEmailUndeliverable(bounce);
    expect(r.status().emailUndeliverable).toEqual({ ...bounce, address: 'a@example.com' });
    expect(r.emailInput('reminder', 'k', T0 + DAY)).toBeUndefined();
    expect(r.status().emails.at(-1)).toEqual({
      at: new Date(T0 + DAY).toISOString(),
      template: 'reminder',
      error: 'not sent: email undeliverable (bounced)',
    });
    expect(r.linkVerdict()).toEqual({ allowed: false, reason: 'email_undeliverable' });
    expect(r.linkOutcome(undefined)).toEqual({ outcome: 'not_possible', reason: 'email_undeliverable' });
  });

  it('keeps the first event for an address; another address (the customer changed it) is emailed', () => {
    const r = started();
    r.markEmailUndeliverable(bounce);
    r.markEmailUndeliverable({ ...bounce, event: 'complained', address: 'a@example.com' });
    expect(r.status().emailUndeliverable?.event).toBe('bounced');
    const moved = started(facts({ customer: { ...facts().customer, email: 'new@example.com' } }));
    moved.markEmailUndeliverable(bounce);
    expect(moved.emailInput('reminder', 'k', T0)).toMatchObject({ to: 'new@example.com' });
    expect(moved.linkVerdict()).toEqual({ allowed: true });
  });
});

describe('CaseInbox', () => {
  it('drops a duplicate delivery of one Stripe event, keeps the newest failure', () => {
    const inbox = new CaseInbox();
    const f = { invoiceId: 'in_1', customerId: 'cus_1', amountDue: 1, currency: 'usd', occurredAt: '' };
    inbox.paymentFailed({ ...f, eventId: 'evt_1' });
    inbox.paymentFailed({ ...f, eventId: 'evt_1' });
    inbox.paymentFailed({ ...f, eventId: 'evt_2', amountDue: 2 });
    expect(inbox.failures).toHaveLength(2);
    expect(inbox.hasNews()).toBe(true);
    expect(inbox.takeLatestFailure()?.eventId).toBe('evt_2');
    expect(inbox.failures).toEqual([]);
    expect(inbox.hasNews()).toBe(false);
  });

  it('reports of one card collapse into the latest; the first payment and the first cancellation win', () => {
    const inbox = new CaseInbox();
    inbox.paymentMethodUpdated({ source: 'stripe', paymentMethodId: 'pm_a', occurredAt: '1' });
    inbox.paymentMethodUpdated({ source: 'api', paymentMethodId: 'pm_a', occurredAt: '2' });
    expect(inbox.takeCardUpdate()).toMatchObject({ source: 'api', paymentMethodId: 'pm_a' });
    expect(inbox.takeCardUpdate()).toBeUndefined();
    inbox.paymentSucceeded({ source: 'stripe', occurredAt: '1' });
    inbox.paymentSucceeded({ source: 'api', occurredAt: '2' });
    inbox.cancel({ reason: 'a', by: 'x' });
    inbox.cancel({ reason: 'b', by: 'y' });
    expect([inbox.paidElsewhere?.source, inbox.cancellation?.reason, inbox.endingSignaled()]).toEqual(['stripe', 'a', true]);
  });
});

describe('CaseInbox: several cards reported before the case acts', () => {
  it('each distinct card in turn, first reported first; a re-report merges into its card', () => {
    const inbox = new CaseInbox();
    inbox.paymentMethodUpdated({ source: 'stripe', paymentMethodId: 'pm_new', occurredAt: '1' });
    // A late re-report of the card that failed (events arrive in any order) …
    inbox.paymentMethodUpdated({ source: 'stripe', paymentMethodId: 'pm_failed', occurredAt: '2' });
    inbox.paymentMethodUpdated({ source: 'stripe', paymentMethodId: 'pm_new', cardDataChanged: true, occurredAt: '3' });
    // … does not hide the new card.
    expect(inbox.takeCardUpdate()).toMatchObject({ paymentMethodId: 'pm_new', cardDataChanged: true });
    expect(inbox.hasNews()).toBe(true);
    expect(inbox.takeCardUpdate()?.paymentMethodId).toBe('pm_failed');
    expect(inbox.takeCardUpdate()).toBeUndefined();
  });

  it('a single card reported twice: its latest report', () => {
    const inbox = new CaseInbox();
    inbox.paymentMethodUpdated({ source: 'stripe', paymentMethodId: 'pm_a', occurredAt: '1' });
    inbox.paymentMethodUpdated({ source: 'stripe', paymentMethodId: 'pm_a', occurredAt: '2' });
    expect(inbox.takeCardUpdate()?.occurredAt).toBe('2');
    expect(inbox.takeCardUpdate()).toBeUndefined();
  });
});

describe("CaseRecord: facts that come after the case's end", () => {
  it('still plans the end action (after the first email), instead of a schedule with nothing left', () => {
    const r = new CaseRecord('in_1', 'cus_1', T0);
    r.learnFacts(facts());
    r.classifyFirst(undefined, T0 + 20 * DAY);
    r.replan(T0 + 20 * DAY);
    r.markDone(r.nextStep()!); // the first email, due at the start
    expect(r.nextStep()).toMatchObject({ kind: 'end_action', at: T0 + 14 * DAY });
  });
});

describe('CaseRecord: disputes and detached cards (issue #20)', () => {
  it("a detached card stops same-card retries only when it is the case's card", () => {
    const r = started();
    r.recordCardDetached({ paymentMethodId: 'pm_other', occurredAt: new Date(T0).toISOString() });
    expect(r.cardGone).toBeUndefined();
    expect(r.operatorRetryVerdict(false)).toEqual({ allowed: true });
    r.recordCardDetached({ paymentMethodId: 'pm_old', occurredAt: new Date(T0).toISOString() });
    expect(r.cardGone).toBe('pm_old');
    expect(r.operatorRetryVerdict(false)).toEqual({ allowed: false, reason: 'not_retryable' });
    r.recordCardDetachedSkip(T0 + DAY);
    expect(r.status().attempts.at(-1)).toMatchObject({ trigger: 'schedule', outcome: 'skipped_card_detached' });
  });

  it('a dispute: kept once, shown in the status, and every charge refused', () => {
    const r = started();
    const at = new Date(T0).toISOString();
    r.recordDispute({ disputeId: 'dp_1', reason: 'fraudulent', occurredAt: at });
    r.recordDispute({ disputeId: 'dp_2', occurredAt: at });
    expect(r.status().dispute).toEqual({ disputeId: 'dp_1', reason: 'fraudulent', at });
    expect(r.customerRetryVerdict(T0, false)).toEqual({ allowed: false, reason: 'not_retryable' });
    r.recordDisputedSkip('payment_method_updated', T0);
    expect(r.status().attempts.at(-1)).toMatchObject({ trigger: 'payment_method_updated', outcome: 'skipped_disputed' });
  });
});

describe('CaseRecord: a payment that settles later (a bank debit)', () => {
  const debit: RetryChargeResult = { outcome: 'processing', paymentIntentId: 'pi_1', card: { paymentMethodId: 'pm_bank' } };

  it('a charge answered processing is not a recovery: the case is processing, nothing is next, nothing may charge', () => {
    const r = started();
    r.markDone(r.nextStep()!);
    const verdict = r.applyChargeResult('payment_method_updated', debit, T0 + DAY, 'pm_bank');
    expect(verdict).toEqual({ settled: false });
    expect(r.isProcessing()).toBe(true);
    const s = r.status(T0 + DAY);
    expect(s).toMatchObject({
      state: 'processing',
      attempts: [{ trigger: 'payment_method_updated', outcome: 'processing' }],
      processing: {
        since: new Date(T0 + DAY).toISOString(),
        checkAt: new Date(T0 + 22 * DAY).toISOString(),
        paymentIntentId: 'pi_1',
      },
    });
    // No scheduled step runs while it settles (no retry, no reminder, no end action).
    expect(r.nextStep()).toBeUndefined();
    expect(s.nextAction).toBeUndefined();
    expect(r.searchAttributes().find((p) => p.key.name === 'DunningState')?.value).toBe('processing');
    // Neither the customer nor an operator can charge it again; no "please pay" email either.
    expect(r.customerRetryVerdict(T0 + DAY, false)).toEqual({ allowed: false, reason: 'processing' });
    expect(r.operatorRetryVerdict(false)).toEqual({ allowed: false, reason: 'processing' });
    expect(r.linkVerdict()).toEqual({ allowed: false, reason: 'processing' });
    expect(r.retryOutcome({ settled: false, result: debit })).toEqual({ outcome: 'processing' });
  });

  it('Stripe still says processing at the check: asked again a day later', () => {
    const r = started();
    r.applyChargeResult('schedule', debit, T0 + 5 * DAY, undefined);
    r.stillSettling(T0 + 26 * DAY);
    expect(r.settlementCheckAt()).toBe(T0 + 27 * DAY);
  });

  it('settled: the outcome names the step that made the debit', () => {
    const byCard = started();
    byCard.applyChargeResult('payment_method_updated', debit, T0 + DAY, 'pm_bank');
    expect(byCard.debitSettled()).toBe('card_updated');
    const bySchedule = started();
    bySchedule.applyChargeResult('schedule', debit, T0 + DAY, undefined);
    expect(bySchedule.debitSettled()).toBe('retry_succeeded');
  });

  it('returned by the bank: active again with its decline, the schedule moved on by the days spent processing', () => {
    const r = started();
    r.markDone(r.nextStep()!); // the first email
    const before = r.status(T0).nextAction!; // the day-3 reminder
    r.applyChargeResult('payment_method_updated', debit, T0 + DAY, 'pm_bank');
    const failedAt = T0 + 6 * DAY;
    r.debitFailed(failedAt, { code: 'insufficient_funds', card: { paymentMethodId: 'pm_bank' } });
    r.replan(failedAt);
    expect(r.isProcessing()).toBe(false);
    const s = r.status(failedAt);
    expect(s).toMatchObject({ state: 'active', declineCategory: 'insufficient_funds' });
    expect(s.processing).toBeUndefined();
    // Five days processing: the reminder due on day 3 now comes on day 8, not at once.
    expect(s.nextAction?.at).toBe(new Date(Date.parse(before.at) + 5 * DAY).toISOString());
    expect(r.endAt()).toBe(T0 + 5 * DAY + 14 * DAY);
    // The bank account that was returned is not debited again for a mere re-report.
    expect(r.isDeclinedCardReportedAgain({ source: 'stripe', paymentMethodId: 'pm_bank', occurredAt: '' })).toBe(true);
  });
});
