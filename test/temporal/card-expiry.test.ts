/**
 * Reminders before a card expires (issue #24, part 3), end to end on the real dev server: the
 * Temporal Schedule made at start triggers a scan, which starts one reminder per due card; the
 * reminder emails the customer (in the outbox) with the signed update link; a second scan sends
 * nothing again; a card the network's account updater refreshed gets no email; a card refreshed
 * after the reminder ends it as "updated before a failure". The histories are recorded with time
 * skipped (test/temporal/workflow/card-expiry.test.ts): this stack's payloads are encrypted.
 */
import { WorkflowNotFoundError, type ScheduleHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCardExpiryReminder } from '../../activities/cardExpiryStart';
import { verifyLinkToken } from '../../activities/links/updateLinkToken';
import {
  CARD_EXPIRY_MEMO,
  CARD_EXPIRY_REMINDER_WORKFLOW_TYPE,
  cardExpiryReminderWorkflowId,
  type ExpiringCard,
} from '../../domain/cardExpiry';
import { ensureCardExpirySchedule } from '../../src/temporal/cardExpirySchedule';
import type { ScanOutcome } from '../../workflows/cardExpiry';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
let schedule: ScheduleHandle;
const scheduleId = `card-expiry-scan-test-${Math.random().toString(36).slice(2, 8)}`;
const policy = { daysBefore: 60, recheckEvery: '1s' };

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await schedule?.delete().catch(() => undefined);
  await stack?.close();
});

const today = new Date();
const thisMonth = { month: today.getUTCMonth() + 1, year: today.getUTCFullYear() };
const customer = (name: string, o: { cardExpires: { month: number; year: number }; subscriptionCard?: boolean; vi?: boolean }) =>
  stack.sandbox.createActiveSubscriptionScenario({
    email: `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@example.com`,
    name,
    amount: 2900,
    currency: 'usd',
    // After the end of this month whatever today is: a card expiring this month fails this renewal.
    renewsInDays: 40,
    cardExpires: o.cardExpires,
    ...(o.subscriptionCard ? { subscriptionCard: true } : {}),
    ...(o.vi ? { preferredLocales: ['vi'] } : {}),
  });

/** The scans the schedule has started, oldest first, once `n` of them have finished. */
async function scans(n: number): Promise<ScanOutcome[]> {
  return eventually(
    async () => {
      const actions = (await schedule.describe()).info.recentActions;
      if (actions.length < n) return undefined;
      return Promise.all(
        actions.map((a) => stack.client.workflow.getHandle(a.action.workflow.workflowId).result() as Promise<ScanOutcome>),
      );
    },
    30_000,
    `${n} scans`,
  );
}

const memoOf = async (workflowId: string) =>
  (await stack.client.workflow.getHandle(workflowId).describe()).memo?.[CARD_EXPIRY_MEMO];
const emailsTo = (to: string) => stack.outbox.messages().filter((m) => [m.to].flat().includes(to));
const emailOf = async (customerId: string) => ((await stack.stripe.customers.retrieve(customerId)) as { email: string }).email;

describe('the card expiry scan and its reminders', () => {
  it('reminds once per card and expiry, skips a refreshed card, and sees the card updated', async () => {
    const expiring = await customer('Jane', { cardExpires: thisMonth });
    await customer('Later', { cardExpires: { month: 12, year: thisMonth.year + 2 } });
    const refreshed = await customer('Lan', { cardExpires: thisMonth, subscriptionCard: true, vi: true });
    // The network's account updater was quicker than the scan.
    stack.sandbox.automaticallyUpdateCard(refreshed.paymentMethodId);
    const expiringCard: ExpiringCard = {
      paymentMethodId: expiring.paymentMethodId,
      expMonth: thisMonth.month,
      expYear: thisMonth.year,
    };
    const reminderId = cardExpiryReminderWorkflowId(expiringCard);

    // As at start-up: created, then found as it is.
    expect(await ensureCardExpirySchedule(stack.client, { taskQueue: stack.taskQueue, policy, scheduleId })).toBe('created');
    expect(await ensureCardExpirySchedule(stack.client, { taskQueue: stack.taskQueue, policy, scheduleId })).toBe('unchanged');
    schedule = stack.client.schedule.getHandle(scheduleId);
    const described = await schedule.describe();
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.spec.intervals?.[0]?.every).toBe(86_400_000);

    await schedule.trigger();
    const [first] = await scans(1);
    expect(first).toEqual({ subscriptions: 3, due: 1, started: 1, alreadyReminded: 0 });

    // The email, in the customer's language, with the update link signed for the customer.
    const to = await emailOf(expiring.customerId);
    const sent = await eventually(() => (emailsTo(to).length > 0 ? emailsTo(to) : undefined), 20_000, 'the reminder');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe('Your card for your Acme subscription expires soon');
    expect(sent[0]!.idempotency?.key).toBe(reminderId);
    const link = /\/billing\/update\/([A-Za-z0-9_.-]+)/.exec(sent[0]!.text ?? '')![1]!;
    expect(verifyLinkToken(stack.linkSecret, link, Math.floor(Date.now() / 1000), ['update'])).toMatchObject({
      ok: true,
      claims: { customerId: expiring.customerId, purpose: 'update', locale: 'en' },
    });
    await eventually(async () => ((await memoOf(reminderId)) === 'reminded' ? true : undefined), 20_000, 'memo reminded');
    expect((await stack.client.workflow.getHandle(reminderId).describe()).type).toBe(CARD_EXPIRY_REMINDER_WORKFLOW_TYPE);

    // A second scan while the reminder waits: the id is taken, nothing is sent again.
    await schedule.trigger();
    const [, second] = await scans(2);
    expect(second).toEqual({ subscriptions: 3, due: 1, started: 0, alreadyReminded: 1 });
    expect(emailsTo(to)).toHaveLength(1);

    // The refreshed card got no reminder from the scan; one started with its old expiry (a scan
    // that ran just before the refresh) reads the card again and sends nothing.
    const refreshedCard = { paymentMethodId: refreshed.paymentMethodId, expMonth: thisMonth.month, expYear: thisMonth.year };
    const refreshedId = cardExpiryReminderWorkflowId(refreshedCard);
    await expect(stack.client.workflow.getHandle(refreshedId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(
      await startCardExpiryReminder(stack.client, stack.taskQueue, {
        customerId: refreshed.customerId,
        subscriptionId: refreshed.subscriptionId,
        card: refreshedCard,
        renewsAt: refreshed.renewsAt * 1000,
        recheckEvery: '1s',
      }),
    ).toBe(true);
    expect(await stack.client.workflow.getHandle(refreshedId).result()).toBe('skipped_refreshed');
    expect(await memoOf(refreshedId)).toBe('skipped_refreshed');
    expect(emailsTo(await emailOf(refreshed.customerId))).toHaveLength(0);

    // The customer's card is refreshed after the reminder: the reminder ends, counted as updated.
    stack.sandbox.automaticallyUpdateCard(expiring.paymentMethodId);
    expect(await stack.client.workflow.getHandle(reminderId).result()).toBe('reminded_card_updated');
    expect(await memoOf(reminderId)).toBe('reminded_card_updated');

    // Searchable by type and status, as the Web UI and the dashboard search.
    const query = `WorkflowType = '${CARD_EXPIRY_REMINDER_WORKFLOW_TYPE}' AND TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Completed'`;
    await eventually(
      async () => ((await stack.client.workflow.count(query)).count === 2 ? true : undefined),
      20_000,
      'two completed reminders in visibility',
    );
    // The dashboard: one reminder sent, its card updated before a failure, one made unneeded.
    const page = await (await stack.api('/dashboard')).text();
    expect(page).toContain('<span data-figure="expiry-reminders-sent">1</span>');
    expect(page).toContain('<span data-figure="expiry-cards-updated">1</span>');
    expect(page).toContain('<span data-figure="expiry-skipped-updated">1</span>');
  }, 90_000);

  it('the policy is the switch, CARD_EXPIRY_SCAN_EVERY the interval; a pause outlives a restart', async () => {
    const id = `${scheduleId}-off`;
    expect(await ensureCardExpirySchedule(stack.client, { taskQueue: stack.taskQueue, policy, scheduleId: id })).toBe('created');
    const handle = stack.client.schedule.getHandle(id);
    await handle.pause('operator');
    expect(
      await ensureCardExpirySchedule(stack.client, {
        taskQueue: stack.taskQueue,
        policy: { daysBefore: 14 },
        every: '12h',
        scheduleId: id,
      }),
    ).toBe('updated');
    const d = await handle.describe();
    expect(d.spec.intervals?.[0]?.every).toBe(12 * 3_600_000);
    expect(d.action.args).toEqual([{ daysBefore: 14 }]);
    expect(d.state.paused).toBe(true);
    expect(await ensureCardExpirySchedule(stack.client, { taskQueue: stack.taskQueue, scheduleId: id })).toBe('deleted');
    expect(await ensureCardExpirySchedule(stack.client, { taskQueue: stack.taskQueue, scheduleId: id })).toBe('off');
  });
});
