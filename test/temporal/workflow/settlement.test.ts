/**
 * A payment that settles later (a bank debit, ACH or SEPA) under the default policy, with time
 * skipped: `invoices.pay` answers 200 while the invoice stays open and its PaymentIntent
 * processing, so the case waits in `processing` for the bank's answer, charging nothing meanwhile.
 * Real activities against the Stripe sandbox, whose bank account settles when told to.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentFailedSignal, paymentMethodUpdatedSignal, paymentSucceededSignal } from '../../../domain/messages';
import { POLICY_1_0 } from '../../../domain/policy';
import type { DunningStatus } from '../../../domain/types';
import { DunningClient } from '../../../src/dunningClient';
import { mapStripeEvent } from '../../../src/http/stripeEvents';
import { DAY, HOUR, iso, minute, startHarness, until, type Case, type Harness } from './harness';

let h: Harness;
let cases: DunningClient;
beforeAll(async () => {
  h = await startHarness();
  cases = new DunningClient(h.env.client, h.taskQueue, POLICY_1_0);
});
afterAll(async () => {
  await h?.close();
});

/**
 * A declined renewal whose customer then gives a bank account: the case debits it, which stays
 * processing. `record`: the history's name in test/histories/ (RECORD_HISTORIES, see harness.ts).
 */
async function debitUnderWay(
  record: string,
): Promise<{ c: Case; first: DunningStatus; processing: DunningStatus; bankAccount: string }> {
  const c = await h.startCase({ record, decline: 'pm_card_chargeDeclinedInsufficientFunds' });
  const first = await until(async () => {
    const s = await c.status();
    return s.emails.length === 1 ? s : undefined;
  }, 'the first email');
  await h.advanceBy(DAY);
  const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_usBankAccount_success');
  await c.handle.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId, occurredAt: iso(await h.now()) });
  const processing = await until(async () => {
    const s = await c.status();
    return s.state === 'processing' ? s : undefined;
  }, 'the case processing');
  return { c, first, processing, bankAccount: paymentMethodId };
}

/** Stripe's invoice.payment_failed for the invoice, newest, as the webhook maps it to the signal. */
function lastFailureSignal(invoiceId: string) {
  const event = h.sandbox
    .events()
    .filter((e) => e.event.type === 'invoice.payment_failed' && (e.event.data.object as { id: string }).id === invoiceId)
    .at(-1)!;
  const action = mapStripeEvent(event.event as unknown as Stripe.Event);
  if (action.kind !== 'payment_failed') throw new Error(`unexpected mapping: ${action.kind}`);
  return action.signal;
}

describe('a bank debit that settles later', () => {
  it('is not a recovery: the case is processing and nothing charges or reminds; invoice.paid ends it recovered', async () => {
    const { c, first, processing, bankAccount } = await debitUnderWay('bank-debit-settled');
    const since = Date.parse(processing.processing!.since);
    expect(processing).toMatchObject({
      state: 'processing',
      attempts: [{ trigger: 'payment_method_updated', outcome: 'processing' }],
      customerRetry: { allowed: false, reason: 'processing' },
    });
    expect(processing.processing!.checkAt).toBe(iso(since + 21 * DAY));
    expect(processing.nextAction).toBeUndefined();
    // The debit was accepted, not declined: no "new card declined" email.
    expect(processing.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds']);
    expect((await h.stripe.invoices.retrieve(c.scenario.invoiceId)).status).toBe('open');

    // Nobody can charge it meanwhile: not the customer, not an operator.
    expect(await cases.requestRetry(c.scenario.invoiceId, 'req-1')).toEqual({
      kind: 'refused',
      refusal: { allowed: false, reason: 'processing' },
    });
    expect(await cases.retryNow(c.scenario.invoiceId, { requestId: 'op-1' })).toMatchObject({
      kind: 'refused',
      refusal: { reason: 'processing' },
    });

    // Ten days pass (the day-3 reminder, the payday retry, the day-7 reminder were due): nothing.
    await h.advanceTo(since + 10 * DAY);
    const later = await c.status();
    expect(later.state).toBe('processing');
    expect(later.attempts).toHaveLength(1);
    expect(later.emails).toHaveLength(1);
    expect(h.sandbox.charges().filter((x) => x.invoiceId === c.scenario.invoiceId && x.source === 'api')).toEqual([
      expect.objectContaining({ paymentMethodId: bankAccount, outcome: 'processing' }),
    ]);

    // The bank pays: Stripe's invoice.paid becomes paymentSucceeded. The debit of the card update won it back.
    h.sandbox.settleDebit(c.scenario.invoiceId, { outcome: 'succeed' });
    await c.handle.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: iso(await h.now()) });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    const end = await c.status();
    expect(end.processing).toBeUndefined();
    expect(end.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds', 'payment_recovered']);
    expect(first.startedAt).toBe(end.startedAt);
  });

  it('returned days later (invoice.payment_failed): dunning goes on, the schedule moved on by the days it processed', async () => {
    const { c, first, processing, bankAccount } = await debitUnderWay('bank-debit-returned');
    const since = Date.parse(processing.processing!.since);
    const t0 = Date.parse(first.startedAt);
    expect(first.nextAction).toEqual({ kind: 'email', at: iso(t0 + 3 * DAY) });

    // A failure from before the debit, delivered late: Stripe still says processing, so the case waits on.
    await h.advanceBy(2 * DAY);
    let reads = 0;
    h.hooks.beforeLoadCaseFacts = async () => void (reads += 1);
    await c.handle.signal(paymentFailedSignal, { ...c.firstFailure, eventId: 'evt_redelivered_late' });
    await until(async () => reads === 1, 'Stripe read for the late failure');
    h.hooks.beforeLoadCaseFacts = undefined;
    await h.advanceBy(HOUR);
    expect(await c.status()).toMatchObject({ state: 'processing', attempts: [{ outcome: 'processing' }] });

    // Day 5 of processing: the bank returns the debit (ACH R01), Stripe sends invoice.payment_failed.
    await h.advanceTo(since + 5 * DAY);
    h.sandbox.settleDebit(c.scenario.invoiceId, { outcome: 'fail', code: 'insufficient_funds' });
    const failedAt = await h.now();
    await c.handle.signal(paymentFailedSignal, lastFailureSignal(c.scenario.invoiceId));
    const active = await until(async () => {
      const s = await c.status();
      return s.state === 'active' ? s : undefined;
    }, 'the case active again');
    expect(active.processing).toBeUndefined();
    expect(active.declineCategory).toBe('insufficient_funds');
    expect(active.customerRetry).toMatchObject({ allowed: true });
    // The reminder due on day 3 comes five days later, not all at once.
    expect(minute(active.nextAction!.at)).toBe(minute(t0 + 3 * DAY + (failedAt - since)));
    expect(active.emails).toHaveLength(1);

    // The same bank account reported again is not debited again.
    await c.handle.signal(paymentMethodUpdatedSignal, {
      source: 'stripe',
      paymentMethodId: bankAccount,
      occurredAt: iso(failedAt),
    });
    await h.advanceBy(HOUR);
    expect((await c.status()).attempts.map((a) => a.outcome)).toEqual(['processing']);
    await c.handle.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: iso(await h.now()) });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_stripe' });
  });

  it('no webhook comes: past the wait Stripe is asked, again daily while it still says processing', async () => {
    const { c, processing } = await debitUnderWay('bank-debit-webhook-lost');
    const since = Date.parse(processing.processing!.since);

    // Day 21: Stripe still says processing: the case asks again a day later.
    await h.advanceTo(since + 21 * DAY + HOUR);
    const still = await c.status();
    expect(still.state).toBe('processing');
    expect(minute(still.processing!.checkAt)).toBe(minute(since + 22 * DAY));

    // The bank paid, and its invoice.paid was lost: the next check finds the invoice paid.
    h.sandbox.settleDebit(c.scenario.invoiceId, { outcome: 'succeed' });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    const end = await c.status();
    expect(minute(end.endedAt!)).toBe(minute(since + 22 * DAY));
  });

  it('a debit made elsewhere is settling when the end comes: no end action until the bank answers; returned, the end comes later', async () => {
    const c = await h.startCase({ record: 'bank-debit-before-end', decline: 'pm_card_chargeDeclinedExpiredCard' });
    const first = await until(async () => {
      const s = await c.status();
      return s.emails.length === 1 ? s : undefined;
    }, 'the first email');
    const t0 = Date.parse(first.startedAt);

    // Day 13: the customer pays by bank debit outside the case (as on the hosted page); nothing tells the case.
    await h.advanceTo(t0 + 13 * DAY);
    const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_usBankAccount_success', {
      makeDefault: false,
    });
    expect((await h.stripe.invoices.pay(c.scenario.invoiceId, { payment_method: paymentMethodId })).status).toBe('open');

    // Day 14: before the end action the case reads Stripe, finds the debit settling, and waits.
    await h.advanceTo(t0 + 14 * DAY + HOUR);
    const waiting = await c.status();
    expect(waiting.state).toBe('processing');
    expect(waiting.emails.map((e) => e.template)).not.toContain('subscription_ended');
    expect((await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId)).status).not.toBe('canceled');
    const since = Date.parse(waiting.processing!.since);
    expect(minute(since)).toBe(minute(t0 + 14 * DAY));

    // Returned three days later: the end action, due again and moved on by the days it processed,
    // comes now.
    await h.advanceTo(since + 3 * DAY);
    h.sandbox.settleDebit(c.scenario.invoiceId, { outcome: 'fail', code: 'account_closed' });
    const failedAt = await h.now();
    await c.handle.signal(paymentFailedSignal, lastFailureSignal(c.scenario.invoiceId));
    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
    const end = await c.status();
    expect(minute(end.endedAt!)).toBe(minute(failedAt));
    expect(end.emails.at(-1)?.template).toBe('subscription_ended');
    expect((await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId)).status).toBe('canceled');
  });
});
