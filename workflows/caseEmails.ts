/**
 * The case's emails to the customer: the schedule's, an operator's fresh link, and what Resend
 * says it could not deliver.
 */
import { upsertMemo } from '@temporalio/workflow';
import type { PendingLink } from '../domain/caseInbox';
import { emailSummary } from '../domain/caseNarrative';
import { emailPriorityKey } from '../domain/taskQueues';
import type { EmailRecord, EmailUndeliverableSignal } from '../domain/types';
import { emailActivities } from './caseActivities';
import type { CaseContext } from './caseContext';

export interface CaseEmails {
  /**
   * `ending`: the case's last email (recovered, subscription ended), sent whatever is signaled
   * meanwhile. Returns the email as recorded in `status.emails` (undefined: no address, recorded too).
   */
  send(key: string, template: string, opts?: { ending?: boolean }): Promise<EmailRecord | undefined>;
  /** An operator's fresh link email, taken from the inbox: a reminder with links signed now. */
  resendLink(link: PendingLink): Promise<void>;
  /**
   * Resend could not deliver to the customer's address: recorded (`status.emailUndeliverable`,
   * the Web UI's details) and in the memo, where the dashboard reads it from visibility. The case's
   * later emails to that address are skipped and recorded (CaseRecord.emailInput).
   */
  undeliverable(s: EmailUndeliverableSignal): void;
}

export function caseEmails(ctx: CaseContext): CaseEmails {
  const { record, keyPrefix } = ctx;
  const email = emailActivities();

  const send: CaseEmails['send'] = async (key, template, opts = {}) => {
    const at = Date.now();
    const input = record.emailInput(template, `${keyPrefix}/${key}`, at);
    if (!input) return undefined;
    // The first email and confirmations go before reminders in a backlog (domain/taskQueues.ts).
    const options = {
      summary: emailSummary(template, record.emailLocale()),
      priority: { priorityKey: emailPriorityKey(template) },
    };
    const sent = await ctx.call(
      'resend',
      () => email.sendDunningEmail.executeWithOptions(options, [input]),
      opts.ending ? { stop: () => false } : {},
    );
    // A refused email (quota, bad address) must not stop the case: it is recorded and visible.
    if (sent.kind === 'answered')
      return record.recordEmail(at, { template: sent.value.template, messageId: sent.value.messageId });
    if (sent.kind === 'interrupted')
      return record.recordEmail(at, { template, error: 'not sent: the case ended while the email provider was unavailable' });
    return record.recordEmail(at, { template, error: sent.error });
  };

  return {
    send,
    async resendLink(link) {
      const verdict = record.linkVerdict();
      if (!verdict.allowed) {
        link.outcome = { outcome: 'not_possible', reason: verdict.reason };
        return;
      }
      const sent = await send(`email:link_${link.request.requestId}`, 'reminder');
      link.outcome = record.linkOutcome(sent);
      ctx.publish();
    },
    undeliverable(s) {
      const before = record.emailUndeliverable;
      record.markEmailUndeliverable(s);
      if (record.emailUndeliverable && record.emailUndeliverable !== before) {
        upsertMemo({ emailUndeliverable: record.emailUndeliverable.event });
      }
      ctx.describe();
    },
  };
}
