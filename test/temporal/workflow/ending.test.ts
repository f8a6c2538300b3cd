/**
 * The ways a case ends without the money: exhausted (end action applied in the sandbox), cancelled,
 * and cases that a do-not-retry advice (Mastercard MAC 03) turns into messages only. The real
 * default policy runs its 14 days in a second or two of wall time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelDunningSignal, paymentFailedSignal } from '../../../domain/messages';
import { POLICY_1_0 } from '../../../domain/policy';
import { parsePolicy } from '../../../src/policyFile';
import { DAY, HOUR, iso, minute, startHarness, tag, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const firstEmail = async (c: { status(): Promise<import('../../../domain/types').DunningStatus> }) =>
  until(async () => {
    const s = await c.status();
    return s.emails.length >= 1 ? s : undefined;
  }, 'the first email');

describe('exhausted', () => {
  it('default policy: payday-aware retries at least 12 h apart, reminders, final notice, then the subscription is canceled', async () => {
    const t0 = await h.advanceToDayOfMonth(10, 12);
    const y = new Date(t0).getUTCFullYear();
    const m = new Date(t0).getUTCMonth();
    const c = await h.startCase({ record: 'exhausted-default', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const first = await firstEmail(c);
    const start = Date.parse(first.startedAt);
    expect(first.declineCategory).toBe('insufficient_funds');

    // Just after the first retry (moved to payday, the 15th at 09:00 UTC): declined. The day-5
    // retry (the 15th at noon: the next payday is after the end) is too close to it and dropped.
    await h.advanceTo(Date.UTC(y, m, 15, 9, 30));
    const afterFirstRetry = await c.status();
    expect(afterFirstRetry.attempts).toEqual([
      { at: expect.any(String), trigger: 'schedule', outcome: 'declined', declineCode: 'insufficient_funds' },
    ]);
    expect(minute(afterFirstRetry.attempts[0]!.at)).toBe(minute(Date.UTC(y, m, 15, 9)));
    expect(afterFirstRetry.nextAction).toEqual({ kind: 'email', at: iso(start + 7 * DAY) });
    expect(afterFirstRetry.state).toBe('active');

    // Day 13: every retry declined, the final notice is out, the end action is next.
    await h.advanceTo(start + 13 * DAY);
    const day13 = await c.status();
    expect(day13.attempts.map((a) => [minute(a.at), a.outcome])).toEqual([
      [minute(Date.UTC(y, m, 15, 9)), 'declined'],
      [minute(start + 8 * DAY), 'declined'],
      [minute(start + 12 * DAY), 'declined'],
    ]);
    expect(day13.emails.map((e) => [e.template, minute(e.at)])).toEqual([
      ['payment_failed.insufficient_funds', minute(start)],
      ['reminder', minute(start + 3 * DAY)],
      ['reminder', minute(start + 7 * DAY)],
      ['final_notice', minute(start + 12 * DAY)],
    ]);
    expect(day13.nextAction).toEqual({ kind: 'end_action', at: iso(start + 14 * DAY) });
    expect((await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId)).status).not.toBe('canceled');

    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
    const end = await c.status();
    expect(end.state).toBe('exhausted');
    expect(minute(end.endedAt!)).toBe(minute(start + 14 * DAY));
    expect(end.nextAction).toBeUndefined();
    expect(end.emails.map((e) => e.template)).toEqual([
      'payment_failed.insufficient_funds',
      'reminder',
      'reminder',
      'final_notice',
      'subscription_ended',
    ]);
    expect(c.sentTemplates()).toEqual([
      tag('payment_failed.insufficient_funds'),
      'reminder',
      'reminder',
      'final_notice',
      'subscription_ended',
    ]);
    expect((await c.charges()).map((x) => x.outcome)).toEqual(['failed', 'failed', 'failed']);
    const sub = await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId);
    expect(sub.status).toBe('canceled');
    expect((await h.stripe.invoices.retrieve(c.scenario.invoiceId)).status).toBe('open');

    const history = await c.handle.fetchHistory();
    console.log(`[history] exhausted after 14 days under the default policy: ${history.events?.length} events`);
    // Far from the 51,200-event limit (and from continue-as-new territory): one case needs none.
    expect(history.events!.length).toBeLessThan(500);
  });

  it('a policy ending in mark_uncollectible: the invoice is marked, the subscription stays', async () => {
    const parsed = parsePolicy({ ...POLICY_1_0, endAction: 'mark_uncollectible' });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const c = await h.startCase({
      record: 'exhausted-mark-uncollectible',
      decline: 'pm_card_chargeDeclined',
      policy: parsed.policy,
    });
    const first = await firstEmail(c);
    expect(first.declineCategory).toBe('unknown');
    expect(first.emails[0]!.template).toBe('payment_failed.generic');

    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'mark_uncollectible' });
    const end = await c.status();
    // The cautious schedule of `unknown`: two retries (day 4 and day 9, at 09:00 UTC or later).
    expect(end.attempts.map((a) => [a.trigger, a.outcome, a.declineCode])).toEqual([
      ['schedule', 'declined', 'generic_decline'],
      ['schedule', 'declined', 'generic_decline'],
    ]);
    expect(end.emails.map((e) => e.template)).toEqual([
      'payment_failed.generic',
      'reminder',
      'reminder',
      'final_notice',
      'subscription_ended',
    ]);
    expect((await h.stripe.invoices.retrieve(c.scenario.invoiceId)).status).toBe('uncollectible');
    expect((await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId)).status).not.toBe('canceled');
  });
});

describe('cancelled', () => {
  it('cancelDunning ends the case at once; nothing is sent afterwards', async () => {
    const c = await h.startCase({ record: 'cancelled', decline: 'pm_card_chargeDeclinedProcessingError' });
    const first = await firstEmail(c);
    const start = Date.parse(first.startedAt);
    await h.advanceTo(start + 4 * DAY);
    const before = await c.status();
    expect(before.state).toBe('active');
    expect(before.attempts.length).toBeGreaterThanOrEqual(1); // the day-3 retry ran
    const sentBefore = c.sent().length;

    await c.handle.signal(cancelDunningSignal, { reason: 'operator_decision', by: 'ops@acme.test' });
    expect(await c.result()).toEqual({ state: 'cancelled', outcome: 'operator_decision' });
    const end = await c.status();
    expect(end).toMatchObject({ state: 'cancelled', outcome: 'operator_decision' });
    expect(minute(end.endedAt!)).toBe(minute(start + 4 * DAY));
    expect(end.emails).toEqual(before.emails);
    expect(end.attempts).toEqual(before.attempts);
    expect(end.nextAction).toBeUndefined();

    // Time goes on well past the case's end: no email, no charge.
    const charges = (await c.charges()).length;
    await h.advanceBy(15 * DAY);
    expect(c.sent()).toHaveLength(sentBefore);
    expect(await c.charges()).toHaveLength(charges);
    expect((await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId)).status).not.toBe('canceled');
  });
});

describe('Mastercard MAC 03 (do not try again)', () => {
  it('arriving mid-case in a paymentFailed signal stops every retry', async () => {
    const c = await h.startCase({
      record: 'mac03-signal',
      decline: { brand: 'mastercard', declineCode: 'insufficient_funds', networkDeclineCode: '51' },
    });
    const first = await firstEmail(c);
    const start = Date.parse(first.startedAt);
    expect(first.declineCategory).toBe('insufficient_funds');
    expect(first.nextAction?.kind).toBe('email');

    await h.advanceTo(start + DAY);
    await c.handle.signal(paymentFailedSignal, {
      ...c.firstFailure,
      eventId: 'evt_mac03_late',
      code: 'card_declined',
      declineCode: 'do_not_honor',
      networkAdviceCode: '03',
      cardBrand: 'mastercard',
      occurredAt: iso(await h.now()),
    });
    const reclassified = await until(async () => {
      const s = await c.status();
      return s.declineCategory === 'never_retry' ? s : undefined;
    }, 'reclassification');
    // Messages only from now on: the next step is the day-2 reminder, and no retry is planned.
    expect(reclassified.nextAction).toEqual({ kind: 'email', at: iso(start + 2 * DAY) });

    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
    const end = await c.status();
    expect(end.attempts).toEqual([]);
    expect(await c.charges()).toEqual([]);
    expect(end.emails.map((e) => [e.template, minute(e.at)])).toEqual([
      ['payment_failed.insufficient_funds', minute(start)],
      ['reminder', minute(start + 2 * DAY)],
      ['reminder', minute(start + 5 * DAY)],
      ['reminder', minute(start + 9 * DAY)],
      ['final_notice', minute(start + 12 * DAY)],
      ['subscription_ended', minute(start + 14 * DAY)],
    ]);
  });

  it('from an attempt Stripe made itself (the webhook carries no codes): read from the PaymentIntent, retries stop', async () => {
    const c = await h.startCase({ record: 'mac03-stripe-attempt', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const first = await firstEmail(c);
    const start = Date.parse(first.startedAt);
    expect(first.declineCategory).toBe('insufficient_funds');

    // Stripe retries on its own (Smart Retries left on) and the issuer now says never again.
    await h.advanceTo(start + DAY);
    h.sandbox.setPaymentMethodBehaviour(c.scenario.paymentMethodId, {
      outcome: 'decline',
      declineCode: 'do_not_honor',
      adviceCode: 'do_not_try_again',
    });
    await expect(h.stripe.invoices.pay(c.scenario.invoiceId, { off_session: true })).rejects.toMatchObject({
      type: 'StripeCardError',
    });
    // What the webhook sends for it: invoice facts, no decline codes.
    await c.handle.signal(paymentFailedSignal, {
      ...c.firstFailure,
      eventId: 'evt_stripe_retry',
      occurredAt: iso(await h.now()),
    });
    const reclassified = await until(async () => {
      const s = await c.status();
      return s.declineCategory === 'never_retry' ? s : undefined;
    }, 'reclassification from the PaymentIntent');
    expect(reclassified.nextAction?.kind).not.toBe('retry');

    await h.advanceTo(start + 13 * DAY);
    const day13 = await c.status();
    expect(day13.attempts).toEqual([]);
    expect(await c.charges()).toHaveLength(1); // the test's own stand-in for Stripe's attempt
    await c.handle.signal(cancelDunningSignal, { reason: 'test_over', by: 'test' });
    expect((await c.result()).state).toBe('cancelled');
  });

  it('returned by a retry stops the retries that would follow it', async () => {
    const c = await h.startCase({
      record: 'mac03-retry',
      decline: { brand: 'mastercard', declineCode: 'insufficient_funds', networkDeclineCode: '51' },
    });
    const first = await firstEmail(c);
    const start = Date.parse(first.startedAt);
    // The issuer now answers "do not try again" to any further attempt.
    h.sandbox.setPaymentMethodBehaviour(c.scenario.paymentMethodId, {
      outcome: 'decline',
      declineCode: 'do_not_honor',
      networkAdviceCode: '03',
    });
    const afterRetry = await (async () => {
      await h.advanceTo(start + 2 * DAY);
      const s = await c.status();
      expect(s.attempts).toEqual([]);
      const retryAt = s.nextAction?.kind === 'retry' ? Date.parse(s.nextAction.at) : Date.parse((await nextRetry(c)).at);
      await h.advanceTo(retryAt + HOUR);
      return c.status();
    })();
    expect(afterRetry.attempts).toEqual([
      { at: expect.any(String), trigger: 'schedule', outcome: 'declined', declineCode: 'do_not_honor' },
    ]);
    expect(afterRetry.declineCategory).toBe('never_retry');
    expect(afterRetry.nextAction?.kind).not.toBe('retry');

    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
    const end = await c.status();
    expect(end.attempts).toHaveLength(1);
    expect((await c.charges()).map((x) => x.outcome)).toEqual(['failed']);
    expect(end.emails.at(-2)!.template).toBe('final_notice');
    expect(end.emails.at(-1)!.template).toBe('subscription_ended');
  });
});

/** The next retry the case plans, skipping past emails that come first (time skips meanwhile). */
async function nextRetry(c: { status(): Promise<import('../../../domain/types').DunningStatus> }) {
  for (let i = 0; i < 10; i++) {
    const s = await c.status();
    if (s.nextAction?.kind === 'retry') return s.nextAction;
    if (!s.nextAction) break;
    await h.advanceTo(Date.parse(s.nextAction.at) + 60_000);
  }
  throw new Error('no retry planned');
}
