/**
 * Reminders before a card expires (issue #24, part 3), with time skipped, the real activities and
 * the sandboxes: the scan starts one reminder per due card; a reminder waits out the card's
 * expiry, reading the card again every `recheckEvery`, or ends when the card is updated; a card
 * the account updater refreshed gets no email. Records each path's history for the replay test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CARD_EXPIRY_REMINDER_WORKFLOW_TYPE,
  CARD_EXPIRY_SCAN_WORKFLOW_TYPE,
  cardExpiryReminderWorkflowId,
  type CardExpiryReminderInput,
} from '../../../domain/cardExpiry';
import type { ScanOutcome } from '../../../workflows/cardExpiry';
import { startHarness, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const today = new Date();
const thisMonth = { month: today.getUTCMonth() + 1, year: today.getUTCFullYear() };
/** A month after the test server's clock (the first test skipped it to the end of this month). */
const nextMonthOfClock = async () => {
  const d = new Date(await h.now());
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  return { month: m.getUTCMonth() + 1, year: m.getUTCFullYear() };
};
const subscription = (name: string, cardExpires = thisMonth) =>
  h.sandbox.createActiveSubscriptionScenario({
    email: `${name}@example.com`,
    name,
    amount: 1500,
    currency: 'usd',
    cardExpires,
    renewsInDays: 40,
    webhooks: false,
  });
const reminderOf = (
  s: { customerId: string; subscriptionId: string; paymentMethodId: string; renewsAt: number },
  exp = thisMonth,
): CardExpiryReminderInput => ({
  customerId: s.customerId,
  subscriptionId: s.subscriptionId,
  card: { paymentMethodId: s.paymentMethodId, expMonth: exp.month, expYear: exp.year, brand: 'visa', last4: '4242' },
  renewsAt: s.renewsAt * 1000,
  recheckEvery: '7d',
});
const emailsTo = (to: string) => h.outbox.messages().filter((m) => [m.to].flat().includes(to));

describe('card expiry reminders, time skipped', () => {
  it('a scan starts one reminder, which waits out the card’s expiry', async () => {
    const s = await subscription('expiring');
    const scan = await h.env.client.workflow.execute(CARD_EXPIRY_SCAN_WORKFLOW_TYPE, {
      taskQueue: h.taskQueue,
      workflowId: `card-expiry-scan-${h.taskQueue}`,
      args: [{ daysBefore: 60, recheckEvery: '7d' }],
    });
    expect(scan as ScanOutcome).toEqual({ subscriptions: 1, due: 1, started: 1, alreadyReminded: 0 });
    h.record('card-expiry-scan', h.env.client.workflow.getHandle(`card-expiry-scan-${h.taskQueue}`));
    const reminder = h.env.client.workflow.getHandle(cardExpiryReminderWorkflowId(reminderOf(s).card));
    expect(await reminder.result()).toBe('reminded_expired');
    expect(emailsTo('expiring@example.com')).toHaveLength(1);
    h.record('card-expiry-reminded-expired', reminder);
  }, 60_000);

  it('a card updated after the reminder ends it as updated', async () => {
    const exp = await nextMonthOfClock();
    const s = await subscription('updated', exp);
    const input = reminderOf(s, exp);
    const reminder = await h.env.client.workflow.start(CARD_EXPIRY_REMINDER_WORKFLOW_TYPE, {
      taskQueue: h.taskQueue,
      workflowId: cardExpiryReminderWorkflowId(input.card),
      args: [input],
    });
    await until(async () => emailsTo('updated@example.com').length === 1, 'the reminder email');
    h.sandbox.automaticallyUpdateCard(s.paymentMethodId);
    expect(await reminder.result()).toBe('reminded_card_updated');
    h.record('card-expiry-reminded-card-updated', reminder);
  }, 60_000);

  it('a card the account updater refreshed gets no email', async () => {
    const exp = await nextMonthOfClock();
    const s = await subscription('refreshed', exp);
    h.sandbox.automaticallyUpdateCard(s.paymentMethodId);
    const input = reminderOf(s, exp);
    const reminder = await h.env.client.workflow.start(CARD_EXPIRY_REMINDER_WORKFLOW_TYPE, {
      taskQueue: h.taskQueue,
      workflowId: cardExpiryReminderWorkflowId(input.card),
      args: [input],
    });
    expect(await reminder.result()).toBe('skipped_refreshed');
    expect(emailsTo('refreshed@example.com')).toHaveLength(0);
    h.record('card-expiry-skipped-refreshed', reminder);
  }, 60_000);
});
