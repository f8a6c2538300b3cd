/**
 * Signals that arrive at awkward moments. Two test-only devices (test/temporal/workflow/harness.ts):
 * a hook inside the retryCharge activity, to deliver a signal while a charge is in flight, and
 * stopping the workflow worker, so that a timer firing and a signal land in one workflow task.
 * The worker keeps no workflow cache (every task replays the history from the start), which also
 * exercises replay on every step.
 */
import type { History } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelDunningSignal,
  paymentFailedSignal,
  paymentMethodUpdatedSignal,
  paymentSucceededSignal,
} from '../../../domain/messages';
import type { DunningStatus } from '../../../domain/types';
import { DAY, HOUR, iso, startHarness, tag, until, type Case, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workerOptions: { maxCachedWorkflows: 0 } });
});
afterAll(async () => {
  await h?.close();
});

const firstEmail = (c: Case) =>
  until(async () => {
    const s = await c.status();
    return s.emails.length >= 1 ? s : undefined;
  }, 'the first email');

type HistoryEvent = NonNullable<History['events']>[number];
const EventType = {
  WorkflowTaskScheduled: 5,
  WorkflowTaskStarted: 6,
  TimerFired: 18,
  Signaled: 26,
} as const;

/** Events between one WorkflowTaskStarted and the previous one: what one activation saw. */
function activations(events: HistoryEvent[]): HistoryEvent[][] {
  const out: HistoryEvent[][] = [];
  let current: HistoryEvent[] = [];
  for (const e of events) {
    if (Number(e.eventType) === EventType.WorkflowTaskStarted) {
      out.push(current);
      current = [];
    } else current.push(e);
  }
  return out;
}

describe('signal races', () => {
  // First in the file: while its worker is stopped, no other workflow (a card's ledger left by an
  // earlier test) may have a timer due, or its pending task would hold the test server's clock.
  it('a card update arriving in the same workflow task as the retry timer: one charge, one recovery', async () => {
    const t0 = await h.advanceToDayOfMonth(5, 6);
    const c = await h.startCase({ record: 'race-update-at-timer', decline: 'pm_card_chargeDeclinedProcessingError' });
    const first = await firstEmail(c);
    const start = Date.parse(first.startedAt);
    await h.advanceTo(start + 3 * DAY + HOUR); // the day-3 reminder is out
    const before = await c.status();
    expect(before.nextAction?.kind).toBe('retry');
    const retryAt = Date.parse(before.nextAction!.at);
    expect(retryAt).toBe(Date.UTC(new Date(t0).getUTCFullYear(), new Date(t0).getUTCMonth(), 8, 9));

    // No worker: the timer fires and the signal arrives; the next worker sees both in one task.
    const firedCount = async () =>
      ((await c.handle.fetchHistory()).events ?? []).filter((e) => Number(e.eventType) === EventType.TimerFired).length;
    // Counted before time moves: under load the timer can fire before a later count would run.
    const firedBefore = await firedCount();
    await h.stopWorkflowWorker();
    let paymentMethodId: string;
    const skipping = h.advanceTo(retryAt + HOUR);
    try {
      // The retry timer fires (time moves to it and stops there: the workflow task it creates is pending).
      await until(async () => ((await firedCount()) > firedBefore ? true : undefined), 'the retry timer to fire');
      ({ paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_visa'));
      await c.handle.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId, occurredAt: iso(retryAt) });
    } finally {
      // Whatever happened, the other tests of this file need a worker.
      await h.startWorkflowWorker();
    }
    await skipping;

    expect(await c.result()).toEqual({ state: 'recovered', outcome: expect.stringMatching(/^(card_updated|retry_succeeded)$/) });
    const end = await c.status();
    expect(end.attempts).toHaveLength(1);
    expect(end.attempts[0]!.outcome).toBe('succeeded');
    expect((await c.charges()).map((x) => [x.paymentMethodId, x.outcome])).toEqual([[paymentMethodId, 'succeeded']]);
    expect(end.emails.map((e) => e.template)).toEqual(['payment_failed.generic', 'reminder', 'payment_recovered']);
    expect(c.sentTemplates()).toEqual([tag('payment_failed.generic'), 'reminder', 'payment_recovered']);

    // The race did happen: one activation saw the timer and the signal together.
    const together = activations((await c.handle.fetchHistory()).events ?? []).filter(
      (a) =>
        a.some((e) => Number(e.eventType) === EventType.TimerFired) && a.some((e) => Number(e.eventType) === EventType.Signaled),
    );
    expect(together).toHaveLength(1);
  });

  it('a card update landing while a scheduled retry is charging: exactly one extra charge, no duplicate email', async () => {
    // 06:00 UTC: the day-3 reminder goes at 06:00, the (temporary-decline) retry at 09:00.
    const t0 = await h.advanceToDayOfMonth(5, 6);
    const c = await h.startCase({ record: 'race-update-during-retry', decline: 'pm_card_chargeDeclinedProcessingError' });
    await firstEmail(c);
    let newCard: string | undefined;
    h.hooks.beforeRetryCharge = async (input) => {
      if (!input.idempotencyKey.includes('/retry@')) return;
      h.hooks.beforeRetryCharge = undefined;
      // The customer adds a card on the billing page (not made default) while we charge the old one.
      newCard = (await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_visa', { makeDefault: false }))
        .paymentMethodId;
      await c.handle.signal(paymentMethodUpdatedSignal, {
        source: 'api',
        paymentMethodId: newCard,
        occurredAt: iso(await h.now()),
      });
    };
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    expect(newCard).toBeDefined();
    const end = await c.status();
    expect(end.attempts.map((a) => [a.trigger, a.outcome])).toEqual([
      ['schedule', 'declined'],
      ['payment_method_updated', 'succeeded'],
    ]);
    expect(Date.parse(end.attempts[0]!.at)).toBeGreaterThanOrEqual(
      Date.UTC(new Date(t0).getUTCFullYear(), new Date(t0).getUTCMonth(), 8, 9),
    );
    const charges = await c.charges();
    expect(charges.map((x) => [x.paymentMethodId, x.outcome])).toEqual([
      [c.scenario.paymentMethodId, 'failed'],
      [newCard, 'succeeded'],
    ]);
    expect(end.emails.map((e) => e.template)).toEqual(['payment_failed.generic', 'reminder', 'payment_recovered']);
    expect(c.sentTemplates()).toEqual([tag('payment_failed.generic'), 'reminder', 'payment_recovered']);

    // The signal did land during the charge: between the activity's scheduling and its completion.
    const events = (await c.handle.fetchHistory()).events ?? [];
    const scheduled = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'retryCharge');
    const completed = events.findIndex(
      (e, i) =>
        i > scheduled &&
        e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === String(events[scheduled]!.eventId),
    );
    const signaled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'paymentMethodUpdated');
    expect(scheduled).toBeGreaterThan(0);
    expect(signaled).toBeGreaterThan(scheduled);
    expect(signaled).toBeLessThan(completed);
  });

  it('the same new card reported twice while its charge runs is charged once, and declined once', async () => {
    const c = await h.startCase({ record: 'race-duplicate-card-update', decline: 'pm_card_chargeDeclinedProcessingError' });
    await firstEmail(c);
    await h.advanceBy(DAY);
    // Stripe reports a new card twice (payment_method.attached, then customer.updated); the second
    // report arrives while the first one's charge is in flight. The new card declines too.
    const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_chargeDeclined');
    h.hooks.beforeRetryCharge = async (input) => {
      if (!input.idempotencyKey.endsWith('/retry:card_update_1')) return;
      h.hooks.beforeRetryCharge = undefined;
      await c.handle.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId, occurredAt: iso(await h.now()) });
    };
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId, occurredAt: iso(await h.now()) });
    const after = await until(async () => {
      const s = await c.status();
      return s.emails.some((e) => e.template === 'new_card_declined') ? s : undefined;
    }, 'the new-card-declined email');
    // Let anything that would follow happen (a second charge, a second email), then look.
    await new Promise((r) => setTimeout(r, 1500));
    const settled = await c.status();
    expect(settled.attempts).toEqual(after.attempts);
    expect(settled.attempts.map((a) => [a.trigger, a.outcome, a.declineCode])).toEqual([
      ['payment_method_updated', 'declined', 'generic_decline'],
    ]);
    expect(settled.emails.map((e) => e.template)).toEqual(['payment_failed.generic', 'new_card_declined']);
    expect((await c.charges()).map((x) => [x.paymentMethodId, x.outcome])).toEqual([[paymentMethodId, 'failed']]);
    // The case goes on: the next retry is still planned.
    expect(settled.state).toBe('active');
    expect(settled.nextAction).toBeDefined();
    await c.handle.signal(cancelDunningSignal, { reason: 'test_over', by: 'test' });
    expect(await c.result()).toEqual({ state: 'cancelled', outcome: 'test_over' });
    expect(c.sentTemplates()).toEqual([tag('payment_failed.generic'), 'new_card_declined']);
  });

  it('a duplicate paymentFailed (same Stripe event id) is ignored; a new event is not', async () => {
    const c = await h.startCase({ record: 'race-duplicate-payment-failed', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const first = await firstEmail(c);
    expect(first.declineCategory).toBe('insufficient_funds');
    // The webhook's redelivery of the same event, twice; then the same event id with other facts
    // (which only a duplicate-by-id filter can ignore).
    await c.handle.signal(paymentFailedSignal, c.firstFailure);
    await c.handle.signal(paymentFailedSignal, c.firstFailure);
    await c.handle.signal(paymentFailedSignal, {
      ...c.firstFailure,
      networkAdviceCode: '03',
      declineCode: 'do_not_honor',
      amountDue: 1,
    });
    await h.advanceBy(HOUR);
    const same = await c.status();
    expect(same).toEqual(first);

    // A genuinely new failure event with a do-not-try-again advice does change the case.
    await c.handle.signal(paymentFailedSignal, {
      ...c.firstFailure,
      eventId: 'evt_new_failure',
      networkAdviceCode: '03',
      declineCode: 'do_not_honor',
    });
    const changed = await until(async () => {
      const s = await c.status();
      return s.declineCategory === 'never_retry' ? s : undefined;
    }, 'the new failure to be taken');
    expect(changed.emails).toEqual(first.emails);
    await c.handle.signal(cancelDunningSignal, { reason: 'test_over', by: 'test' });
    expect(await c.result()).toEqual({ state: 'cancelled', outcome: 'test_over' });
  });

  it('paymentSucceeded and cancelDunning in the same workflow task end the case once, as recovered', async () => {
    const c = await h.startCase({ record: 'race-paid-and-cancelled', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    await firstEmail(c);
    await h.advanceBy(DAY);
    await h.stopWorkflowWorker();
    // The subscription is cancelled by the app and, at the same moment, the invoice is paid.
    await c.handle.signal(cancelDunningSignal, { reason: 'subscription_deleted', by: 'stripe' });
    await c.handle.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: iso(await h.now()) });
    await h.startWorkflowWorker();
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_stripe' });
    const end: DunningStatus = await c.status();
    expect(end.state).toBe('recovered');
    expect(end.attempts.map((a) => a.outcome)).toEqual(['skipped_already_paid']);
    expect(end.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds', 'payment_recovered']);
    expect(c.sentTemplates()).toEqual([tag('payment_failed.insufficient_funds'), 'payment_recovered']);
    expect(await c.charges()).toEqual([]);
    const events = (await c.handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowExecutionCompletedEventAttributes)).toHaveLength(1);
    const together = activations(events).filter((a) => a.filter((e) => Number(e.eventType) === EventType.Signaled).length === 2);
    expect(together).toHaveLength(1);
  });
});
