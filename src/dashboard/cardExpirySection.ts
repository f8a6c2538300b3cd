/**
 * The dashboard's section on the reminders before a card expires (workflows/cardExpiry.ts): how
 * many reminders went out this month, how many of those cards were updated before any renewal
 * failed, and how many reminders the account updater made unnecessary. Read from visibility (the
 * reminder workflows of this task queue, by type, open or closed this month) and each one's memo
 * (`cardExpiry`: `reminded` while it waits, then its outcome), like the cases: nothing is counted
 * in the API's memory. No search attribute of its own (the dev server's Keyword slots are nearly
 * all taken), hence a list, not `count` queries, bounded like the cases' list.
 */
import type { Client } from '@temporalio/client';
import escapeHtml from 'escape-html';
import { CARD_EXPIRY_MEMO, CARD_EXPIRY_REMINDER_WORKFLOW_TYPE } from '../../domain/cardExpiry';
import { listRows, quote } from '../temporal/visibilityRows';

export interface ReminderTally {
  /** Emails sent (the reminders that are waiting, and those that ended after their email). */
  sent: number;
  /** Of those, the card was replaced or refreshed before it expired: updated before a failure. */
  cardUpdated: number;
  /** Of those, still waiting for the card's expiry. */
  waiting: number;
  /** No email: the account updater (or the customer) had already updated the card. */
  skippedUpdated: number;
  /** No email for another reason (no renewal, no address, Stripe unreadable, email refused). */
  skippedOther: number;
  /** More reminders than read: the tally covers the first `limit`. */
  truncated: boolean;
}

/** Pure: the tally of the reminders' memo values. */
export function tallyReminders(states: ReadonlyArray<unknown>, truncated = false): ReminderTally {
  const t: ReminderTally = { sent: 0, cardUpdated: 0, waiting: 0, skippedUpdated: 0, skippedOther: 0, truncated };
  for (const s of states) {
    if (typeof s !== 'string') continue; // started, not yet at its email
    if (s === 'reminded' || s.startsWith('reminded_')) t.sent += 1;
    if (s === 'reminded') t.waiting += 1;
    else if (s === 'reminded_card_updated') t.cardUpdated += 1;
    else if (s === 'skipped_refreshed' || s === 'skipped_replaced') t.skippedUpdated += 1;
    else if (!s.startsWith('reminded_')) t.skippedOther += 1;
  }
  return t;
}

export async function readReminderTally(
  client: Client,
  o: { taskQueue: string; since: Date; limit?: number; deadlineMs?: number },
): Promise<ReminderTally> {
  const limit = o.limit ?? 5000;
  const query = [
    `WorkflowType = ${quote(CARD_EXPIRY_REMINDER_WORKFLOW_TYPE)}`,
    `TaskQueue = ${quote(o.taskQueue)}`,
    `(ExecutionStatus = 'Running' OR CloseTime >= ${quote(o.since.toISOString())})`,
  ].join(' AND ');
  const states: unknown[] = [];
  let truncated = false;
  await client.withDeadline(Date.now() + (o.deadlineMs ?? 10_000), async () => {
    for await (const wf of listRows(client, { query, list: 'card_expiry' })) {
      if (states.length >= limit) {
        truncated = true;
        break;
      }
      states.push(wf.memo?.[CARD_EXPIRY_MEMO]);
    }
  });
  return tallyReminders(states, truncated);
}

const e = (s: unknown) => escapeHtml(String(s ?? ''));
const figure = (name: string, value: number) => `<span data-figure="${e(name)}">${e(value)}</span>`;

/** The section; nothing when no reminder ran this month (the policy has them off, most likely). */
export function cardExpirySection(t: ReminderTally | undefined, month: string): string {
  if (!t || t.sent + t.skippedUpdated + t.skippedOther === 0) return '';
  return `<section><h2>Card expiry reminders in ${e(month)}</h2><table><tbody>
<tr><td>reminders sent</td><td class="num">${figure('expiry-reminders-sent', t.sent)}</td></tr>
<tr><td>cards updated before a failure (after a reminder)</td><td class="num">${figure('expiry-cards-updated', t.cardUpdated)}</td></tr>
<tr><td>reminders waiting for the card's expiry</td><td class="num">${figure('expiry-reminders-waiting', t.waiting)}</td></tr>
<tr><td>no reminder needed: the card was already updated (account updater)</td><td class="num">${figure('expiry-skipped-updated', t.skippedUpdated)}</td></tr>
<tr><td>no reminder for another reason</td><td class="num">${figure('expiry-skipped-other', t.skippedOther)}</td></tr>
</tbody></table>${t.truncated ? '<p class="warn">More reminders than the dashboard reads at once: the first 5,000 are counted.</p>' : ''}</section>`;
}
