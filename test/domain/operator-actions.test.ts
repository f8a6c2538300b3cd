/**
 * The operator's actions on a case, in the pure layer: when the case lets an operator retry the
 * card now or send a fresh link email (CaseRecord), how the requests wait in the inbox
 * (CaseInbox), and what the Web UI says of the charge (caseNarrative).
 */
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../domain/providerTypes';
import { CaseInbox } from '../../domain/caseInbox';
import { CaseRecord } from '../../domain/caseRecord';
import { chargeSummary } from '../../domain/caseNarrative';

const T0 = Date.UTC(2026, 0, 10, 12);
const HOUR = 3_600_000;

const facts = (over: { declineCode?: string; code?: string; email?: string | null; timeZone?: string } = {}): CaseFacts => ({
  invoice: {
    id: 'in_1',
    status: 'open',
    customerId: 'cus_1',
    amountDue: 2900,
    amountRemaining: 2900,
    currency: 'usd',
    subscriptionId: 'sub_1',
  },
  customer: {
    id: 'cus_1',
    email: over.email === null ? undefined : (over.email ?? 'a@example.com'),
    preferredLocales: ['en'],
    defaultPaymentMethodId: 'pm_old',
    timeZone: over.timeZone,
  },
  lastDecline: {
    code: over.code ?? 'card_declined',
    declineCode: over.declineCode ?? 'insufficient_funds',
    card: { paymentMethodId: 'pm_old', brand: 'visa', last4: '4242' },
  },
  subscription: { id: 'sub_1', status: 'past_due' },
});

const started = (f: CaseFacts = facts()): CaseRecord => {
  const r = new CaseRecord('in_1', 'cus_1', T0);
  r.learnFacts(f);
  r.classifyFirst(undefined, T0);
  r.replan(T0);
  return r;
};

describe("CaseRecord: an operator's retry now", () => {
  it('is possible whenever the customer may retry, and within the customer’s cooldown too', () => {
    const r = started();
    expect(r.operatorRetryVerdict(false)).toEqual({ allowed: true });
    r.startCustomerRetry(T0);
    expect(r.customerRetryVerdict(T0 + HOUR, false)).toMatchObject({ allowed: false, reason: 'cooldown' });
    expect(r.operatorRetryVerdict(false)).toEqual({ allowed: true });
  });

  it('is refused for a hard decline, a blocked card, while busy, before the plan and once the case is over', () => {
    expect(started(facts({ code: 'expired_card', declineCode: 'expired_card' })).operatorRetryVerdict(false)).toEqual({
      allowed: false,
      reason: 'not_retryable',
    });
    const blocked = started();
    blocked.applyChargeResult('schedule', { outcome: 'card_blocked', reason: 'do_not_try_again', card: {} }, T0, undefined);
    expect(blocked.operatorRetryVerdict(false)).toEqual({ allowed: false, reason: 'card_blocked' });
    const busy = started();
    expect(busy.operatorRetryVerdict(true)).toEqual({ allowed: false, reason: 'busy' });
    busy.chargeStarted();
    expect(busy.operatorRetryVerdict(false)).toEqual({ allowed: false, reason: 'busy' });
    expect(new CaseRecord('in_1', 'cus_1', T0).operatorRetryVerdict(false)).toEqual({ allowed: false, reason: 'busy' });
    const over = started();
    over.end('recovered', 'paid_stripe', T0 + HOUR);
    expect(over.operatorRetryVerdict(false)).toEqual({ allowed: false, reason: 'case_over' });
  });
});

describe('CaseRecord: a fresh link email', () => {
  it('is possible for an open case that knows the customer’s address', () => {
    expect(started().linkVerdict()).toEqual({ allowed: true });
    expect(new CaseRecord('in_1', 'cus_1', T0).linkVerdict()).toEqual({ allowed: false, reason: 'busy' });
    expect(started(facts({ email: null })).linkVerdict()).toEqual({ allowed: false, reason: 'no_email_address' });
    const over = started();
    over.end('cancelled', 'operator', T0);
    expect(over.linkVerdict()).toEqual({ allowed: false, reason: 'case_over' });
  });

  it('answers with the email as status.emails records it', () => {
    const r = started();
    const sent = r.recordEmail(T0, { template: 'reminder', messageId: 'msg_1' });
    expect(r.linkOutcome(sent)).toEqual({
      outcome: 'sent',
      at: new Date(T0).toISOString(),
      template: 'reminder',
      messageId: 'msg_1',
    });
    const failed = r.recordEmail(T0, { template: 'reminder', error: 'EmailInvalidRecipient: bad address' });
    expect(r.linkOutcome(failed)).toEqual({
      outcome: 'failed',
      at: new Date(T0).toISOString(),
      template: 'reminder',
      error: 'EmailInvalidRecipient: bad address',
    });
    expect(r.linkOutcome(undefined)).toEqual({ outcome: 'not_possible', reason: 'no_email_address' });
    expect(r.status().emails.slice(-2)).toEqual([sent, failed]);
  });

  it('status carries the case’s time zone once its facts are known', () => {
    expect(new CaseRecord('in_1', 'cus_1', T0).status().timeZone).toBeUndefined();
    expect(started().status().timeZone).toBe('UTC');
    expect(started(facts({ timeZone: 'Asia/Ho_Chi_Minh' })).status().timeZone).toBe('Asia/Ho_Chi_Minh');
  });
});

describe('CaseInbox: operator requests', () => {
  it('a retry now waits with its initiator; a link request waits apart; both are news; both are settled at the end', () => {
    const inbox = new CaseInbox();
    expect(inbox.hasNews()).toBe(false);
    const retry = inbox.requestRetry({ requestId: 'op-1', by: 'ops' }, 'merchant');
    const link = inbox.requestLink({ requestId: 'link-1' });
    expect(inbox.hasNews()).toBe(true);
    expect(inbox.retryPending()).toBe(true);
    expect(inbox.takeRetry()).toBe(retry);
    expect(retry.initiator).toBe('merchant');
    expect(inbox.requestRetry({ requestId: 'c-1' }).initiator).toBe('customer');
    expect(inbox.takeLink()).toBe(link);
    expect(inbox.takeLink()).toBeUndefined();
    const waiting = inbox.requestLink({ requestId: 'link-2' });
    inbox.settleLinks({ outcome: 'not_possible', reason: 'case_over' });
    expect(waiting.outcome).toEqual({ outcome: 'not_possible', reason: 'case_over' });
    expect(inbox.takeLink()).toBeUndefined();
  });
});

describe('caseNarrative: the charge of an operator’s retry', () => {
  it('names the card and who asked (no operator name: summaries carry no personal data)', () => {
    expect(chargeSummary({ brand: 'visa', last4: '4242' }, { kind: 'operator_retry' })).toBe(
      "charge Visa •••• 4242 (an operator's retry now)",
    );
  });
});
