/**
 * The ways a case is won back, under the real default policy, with time skipped: a scheduled
 * retry on payday, a card update, a payment made elsewhere, and a hard decline that only a new
 * card can fix. Real activities against the Stripe sandbox and the Resend outbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentMethodUpdatedSignal, paymentSucceededSignal } from '../../../domain/messages';
import { DAY, HOUR, iso, minute, startHarness, tag, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('recovered', () => {
  it('by the scheduled retry on payday, once the money is there', async () => {
    // The 10th, noon UTC: day 3 is the 13th, so the first retry moves to the 15th (a payday), 09:00.
    const t0 = await h.advanceToDayOfMonth(10, 12);
    const c = await h.startCase({ record: 'recovered-scheduled-retry', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const first = await until(async () => {
      const s = await c.status();
      return s.emails.length === 1 ? s : undefined;
    }, 'the first email');
    expect(first).toMatchObject({
      state: 'active',
      invoiceId: c.scenario.invoiceId,
      customerId: c.scenario.customerId,
      subscriptionId: c.scenario.subscriptionId,
      amountDue: 2900,
      currency: 'usd',
      declineCategory: 'insufficient_funds',
      attempts: [],
    });
    expect(minute(first.startedAt)).toBe(minute(t0));
    expect(first.emails[0]).toMatchObject({ template: 'payment_failed.insufficient_funds', messageId: expect.any(String) });
    // The reminder at day 3 comes before the retry, which waits for payday.
    const start = Date.parse(first.startedAt);
    expect(first.nextAction).toEqual({ kind: 'email', at: iso(start + 3 * DAY) });

    // Day 2: nothing has happened yet; then the customer's salary arrives.
    await h.advanceTo(t0 + 2 * DAY);
    const day2 = await c.status();
    expect(day2.attempts).toEqual([]);
    expect(day2.emails).toHaveLength(1);
    expect(await c.charges()).toEqual([]);
    h.sandbox.setPaymentMethodBehaviour(c.scenario.paymentMethodId, { outcome: 'succeed' });

    // Day 3 + 1 h: the reminder went out, the retry is next, on the 15th at 09:00 UTC.
    await h.advanceTo(t0 + 3 * DAY + HOUR);
    const payday = Date.UTC(new Date(t0).getUTCFullYear(), new Date(t0).getUTCMonth(), 15, 9);
    const day3 = await c.status();
    expect(day3.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds', 'reminder']);
    expect(day3.nextAction).toEqual({ kind: 'retry', at: iso(payday) });
    expect(day3.attempts).toEqual([]);

    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'retry_succeeded' });
    const end = await c.status();
    expect(end).toMatchObject({ state: 'recovered', outcome: 'retry_succeeded' });
    expect(minute(end.endedAt!)).toBe(minute(payday));
    expect(end.nextAction).toBeUndefined();
    expect(end.attempts).toEqual([{ at: expect.any(String), trigger: 'schedule', outcome: 'succeeded' }]);
    expect(minute(end.attempts[0]!.at)).toBe(minute(payday));
    expect(end.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds', 'reminder', 'payment_recovered']);
    expect(c.sentTemplates()).toEqual(['payment_failed_insufficient_funds', 'reminder', 'payment_recovered']);
    expect((await c.charges()).map((x) => x.outcome)).toEqual(['succeeded']);
    expect((await h.stripe.invoices.retrieve(c.scenario.invoiceId)).status).toBe('paid');
  });

  it('by a card update: the new card is charged at once', async () => {
    const c = await h.startCase({ record: 'recovered-card-update', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    await until(async () => ((await c.status()).emails.length === 1 ? true : undefined), 'the first email');
    await h.advanceBy(DAY);
    const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_visa');
    const signalledAt = await h.now();
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'api', paymentMethodId, occurredAt: iso(signalledAt) });

    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    const end = await c.status();
    expect(end.attempts).toEqual([{ at: expect.any(String), trigger: 'payment_method_updated', outcome: 'succeeded' }]);
    // At once: no timer lies between the signal and the charge.
    expect(Date.parse(end.attempts[0]!.at) - signalledAt).toBeLessThan(60_000);
    expect(end.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds', 'payment_recovered']);
    expect(c.sentTemplates()).toEqual(['payment_failed_insufficient_funds', 'payment_recovered']);
    const charges = await c.charges();
    expect(charges.map((x) => [x.paymentMethodId, x.outcome])).toEqual([[paymentMethodId, 'succeeded']]);
    expect((await h.stripe.invoices.retrieve(c.scenario.invoiceId)).status).toBe('paid');
  });

  it('paid elsewhere: ends recovered without charging', async () => {
    const c = await h.startCase({ record: 'recovered-paid-elsewhere', decline: 'pm_card_chargeDeclinedProcessingError' });
    const first = await until(async () => {
      const s = await c.status();
      return s.emails.length === 1 ? s : undefined;
    }, 'the first email');
    expect(first.declineCategory).toBe('temporary');
    expect(first.emails[0]!.template).toBe('payment_failed.generic');
    await h.advanceBy(DAY + 5 * HOUR);
    // The customer paid on the hosted page; Stripe's invoice.paid becomes paymentSucceeded.
    await h.stripe.invoices.pay(c.scenario.invoiceId, { paid_out_of_band: true });
    await c.handle.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: iso(await h.now()) });

    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_stripe' });
    const end = await c.status();
    expect(end.attempts).toEqual([{ at: expect.any(String), trigger: 'stripe', outcome: 'skipped_already_paid' }]);
    expect(end.emails.map((e) => e.template)).toEqual(['payment_failed.generic', 'payment_recovered']);
    expect(await c.charges()).toEqual([]);
  });

  it('hard decline (expired card): messages only for 14 days, never a retry; a new card recovers it', async () => {
    const c = await h.startCase({ record: 'recovered-hard-decline-card-update', decline: 'pm_card_chargeDeclinedExpiredCard' });
    const first = await until(async () => {
      const s = await c.status();
      return s.emails.length === 1 ? s : undefined;
    }, 'the first email');
    const t0 = Date.parse(first.startedAt);
    expect(first.declineCategory).toBe('payment_method');
    expect(first.emails[0]!.template).toBe('payment_failed.card_invalid');
    expect(first.nextAction).toEqual({ kind: 'email', at: iso(t0 + 2 * DAY) });

    // Through the whole case but its last hours: reminders, the final notice, and no charge at all.
    await h.advanceTo(t0 + 12 * DAY + HOUR);
    const late = await c.status();
    expect(late.state).toBe('active');
    expect(late.attempts).toEqual([]);
    expect(late.emails.map((e) => [e.template, minute(e.at)])).toEqual([
      ['payment_failed.card_invalid', minute(t0)],
      ['reminder', minute(t0 + 2 * DAY)],
      ['reminder', minute(t0 + 5 * DAY)],
      ['reminder', minute(t0 + 9 * DAY)],
      ['final_notice', minute(t0 + 12 * DAY)],
    ]);
    expect(late.nextAction).toEqual({ kind: 'end_action', at: iso(t0 + 14 * DAY) });
    expect(await c.charges()).toEqual([]);

    await h.advanceTo(t0 + 13 * DAY);
    const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_visa');
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId, occurredAt: iso(await h.now()) });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    const end = await c.status();
    expect(end.attempts).toEqual([{ at: expect.any(String), trigger: 'payment_method_updated', outcome: 'succeeded' }]);
    expect(end.emails.at(-1)!.template).toBe('payment_recovered');
    expect(c.sentTemplates()).toEqual([
      tag('payment_failed.card_invalid'),
      'reminder',
      'reminder',
      'reminder',
      'final_notice',
      'payment_recovered',
    ]);
    expect((await c.charges()).map((x) => [x.paymentMethodId, x.outcome])).toEqual([[paymentMethodId, 'succeeded']]);
    const sub = await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId);
    expect(sub.status).not.toBe('canceled');
  });
});
