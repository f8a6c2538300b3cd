/**
 * What Stripe and Resend tell a running case besides a payment (issue #20): Stripe's own retry
 * schedule charging beside the case, a dispute, a card detached, an address that bounced. Each
 * scenario is recorded (RECORD_HISTORIES) so that the replay test keeps one history of its path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelDunningSignal,
  disputeOpenedSignal,
  emailUndeliverableSignal,
  paymentFailedSignal,
  paymentMethodDetachedSignal,
} from '../../../domain/messages';
import { cardBudgetWorkflowId, ledgerQuery } from '../../../domain/cardBudgetMessages';
import {
  quarantineDetailsQuery,
  resolveQuarantineSignal,
  workflowIdForQuarantine,
  type QuarantinedEvent,
} from '../../../domain/quarantineMessages';
import type { DunningStatus } from '../../../domain/types';
import { quarantinedStripeEvent } from '../../../workflows/quarantine';
import { DAY, iso, startHarness, until, type Case, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const firstEmail = (c: Case): Promise<DunningStatus> =>
  until(async () => {
    const s = await c.status();
    return s.emails.length >= 1 ? s : undefined;
  }, 'the first email');

describe('news from the providers while a case runs', () => {
  it("Stripe's own retry schedule charged the invoice: recorded with the fix, the case goes on", async () => {
    const c = await h.startCase({ record: 'stripe-own-retry', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const start = Date.parse((await firstEmail(c)).startedAt);
    await h.advanceTo(start + DAY);
    await c.handle.signal(paymentFailedSignal, {
      ...c.firstFailure,
      eventId: 'evt_stripe_schedule',
      attemptCount: 2,
      byStripeSchedule: true,
      occurredAt: iso(await h.now()),
    });
    const seen = await until(async () => (await c.status()).stripeRetrying, "Stripe's retry recorded");
    expect(seen.attemptCount).toBe(2);
    expect((await c.handle.describe()).memo?.stripeRetrying).toBe(2);
    expect((await c.status()).state).toBe('active');
    // Stripe's attempt counts in the card's ledger like one of ours.
    const fingerprint = (await h.stripe.paymentMethods.retrieve(c.scenario.paymentMethodId)).card?.fingerprint;
    const ledger = h.env.client.workflow.getHandle(cardBudgetWorkflowId(h.taskQueue, fingerprint!));
    await until(
      async () => ((await ledger.query(ledgerQuery)).entries.some((e) => e.key.startsWith('stripe:')) ? true : undefined),
      "Stripe's attempt in the card's ledger",
    );
    // This run of the ledger: the later cases of this file charge the same test card in runs of their own.
    const { runId } = await ledger.describe();
    h.record('card-ledger-stripe-decline', h.env.client.workflow.getHandle(ledger.workflowId, runId));
    await c.handle.signal(cancelDunningSignal, { reason: 'test_over', by: 'test' });
    expect((await c.result()).state).toBe('cancelled');
  });

  it('a Stripe event the edge refused is kept, quarantined, until an operator decides', async () => {
    const event: QuarantinedEvent = {
      eventId: 'evt_bad_amount',
      type: 'invoice.payment_failed',
      field: 'data.object.amount_due',
      reason: 'expected a number',
      receivedAt: iso(await h.now()),
      rawBody: '{}',
      rawBodyEncoding: 'utf8',
    };
    const q = await h.env.client.workflow.start(quarantinedStripeEvent, {
      workflowId: workflowIdForQuarantine(event.eventId),
      taskQueue: h.taskQueue,
      args: [event],
    });
    h.record('quarantined-stripe-event', q);
    expect(await q.query(quarantineDetailsQuery)).toEqual(event);
    await q.signal(resolveQuarantineSignal, { action: 'discarded', by: 'operator' });
    expect(await q.result()).toMatchObject({ action: 'discarded', by: 'operator' });
  });

  it('a dispute: the scheduled retry is skipped, not charged', async () => {
    const c = await h.startCase({ record: 'dispute-opened', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const start = Date.parse((await firstEmail(c)).startedAt);
    await c.handle.signal(disputeOpenedSignal, { disputeId: 'dp_1', reason: 'fraudulent', occurredAt: iso(start) });
    await until(async () => (await c.status()).dispute, 'the dispute recorded');
    await h.advanceTo(start + 13 * DAY);
    const s = await c.status();
    expect(s.attempts.length).toBeGreaterThan(0);
    expect(s.attempts.every((a) => a.outcome === 'skipped_disputed')).toBe(true);
    expect(await c.charges()).toEqual([]);
    await c.handle.signal(cancelDunningSignal, { reason: 'test_over', by: 'test' });
    expect((await c.result()).state).toBe('cancelled');
  });

  it("the case's card detached: the scheduled retry waits for a new card", async () => {
    const c = await h.startCase({ record: 'card-detached', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const start = Date.parse((await firstEmail(c)).startedAt);
    await c.handle.signal(paymentMethodDetachedSignal, { paymentMethodId: c.scenario.paymentMethodId, occurredAt: iso(start) });
    await h.advanceTo(start + 13 * DAY);
    const s = await c.status();
    expect(s.attempts.length).toBeGreaterThan(0);
    expect(s.attempts.every((a) => a.outcome === 'skipped_card_detached')).toBe(true);
    expect(await c.charges()).toEqual([]);
    await c.handle.signal(cancelDunningSignal, { reason: 'test_over', by: 'test' });
    expect((await c.result()).state).toBe('cancelled');
  });

  it('the address bounced: no further email goes to it, each one recorded as not sent', async () => {
    const c = await h.startCase({ record: 'email-undeliverable', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const first = await firstEmail(c);
    const start = Date.parse(first.startedAt);
    const sentBefore = c.sent().length;
    await c.handle.signal(emailUndeliverableSignal, {
      event: 'bounced',
      address: c.sent()[0]!.to[0]!.toLowerCase(),
      occurredAt: iso(start),
    });
    await until(async () => (await c.status()).emailUndeliverable, 'the bounce recorded');
    await h.advanceTo(start + 13 * DAY);
    const s = await c.status();
    const later = s.emails.slice(1);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((e) => e.error?.startsWith('not sent: email undeliverable'))).toBe(true);
    expect(c.sent()).toHaveLength(sentBefore);
    await c.handle.signal(cancelDunningSignal, { reason: 'test_over', by: 'test' });
    expect((await c.result()).state).toBe('cancelled');
  });
});
