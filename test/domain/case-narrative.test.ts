import { describe, expect, it } from 'vitest';
import { STRIPE_RETRYING_FIX } from '../../domain/stripeRetries';
import {
  appEventSummary,
  blockedWaitSummary,
  caseCurrentDetails,
  caseStaticDetails,
  caseSummary,
  chargeSummary,
  emailSummary,
  endActionSummary,
  factsReadSummary,
  moneyLabel,
  settlementWaitSummary,
  stepLabel,
  stepWaitSummary,
  type CaseNow,
} from '../../domain/caseNarrative';
import { whenLabel } from '../../domain/presentation';
import { ledgerWaitSummary } from '../../domain/cardBudgetLedger';
import { caseTimeZone, stepOffsetLabel, type PlannedStep } from '../../domain/schedule';
import { emailPriorityKey, ROUTINE_EMAIL_PRIORITY, URGENT_EMAIL_PRIORITY } from '../../domain/taskQueues';

const DEC_1_9AM_NEW_YORK = Date.parse('2026-12-01T14:00:00Z');
const step = (key: string, kind: PlannedStep['kind'], template?: string): PlannedStep => ({
  key,
  kind,
  at: DEC_1_9AM_NEW_YORK,
  template,
});

describe('the static summary and details, set when the webhook opens the case', () => {
  const opening = { amountDue: 2900, currency: 'usd', invoiceId: 'in_1Abc', customerId: 'cus_9Xyz' };

  it('reads `$29.00 USD · in_… · cus_…`', () => {
    expect(caseSummary(opening)).toBe('$29.00 USD · in_1Abc · cus_9Xyz');
  });

  it('writes amounts in the currency’s own minor units, with its code', () => {
    expect(moneyLabel(50_000, 'vnd')).toBe('₫50,000 VND');
    expect(moneyLabel(1999, 'EUR')).toBe('€19.99 EUR');
    expect(moneyLabel(1999, 'x!')).toBe('19.99 X!');
    expect(moneyLabel(1999, 'chf')).toBe('CHF\u00a019.99'); // Intl's no-break space
  });

  it('details name the invoice, customer and subscription: ids only, never an email or a name', () => {
    const details = caseStaticDetails({ ...opening, subscriptionId: 'sub_1', invoiceNumber: 'ABC-0001' });
    expect(details.split('\n')[0]).toBe(
      'Dunning case for Stripe invoice `in_1Abc` (number ABC-0001) of customer `cus_9Xyz`, subscription `sub_1`: $29.00 USD due.',
    );
    expect(details).not.toContain('@');
  });
});

describe('timers', () => {
  it('a step: `wait for the day-3 retry (Dec 1, 09:00 America/New_York)`', () => {
    expect(stepWaitSummary(step('retry@3d', 'retry'), 'America/New_York', 'cancel_subscription')).toBe(
      'wait for the day-3 retry (Dec 1, 09:00 America/New_York)',
    );
    expect(stepWaitSummary(step('email:reminder@7d', 'email', 'reminder'), 'UTC', undefined)).toBe(
      'wait for the day-7 reminder (Dec 1, 14:00 UTC)',
    );
  });

  it.each<[PlannedStep, string]>([
    [step('retry@1d12h', 'retry'), '+1d12h retry'],
    [step('email:payment_failed@0', 'email', 'payment_failed'), 'day-0 payment failed'],
    [step('final_notice@12d', 'final_notice'), 'day-12 final notice'],
    [step('restrict_access', 'restrict_access'), 'end of the grace period'],
    [step('end_action', 'end_action'), 'end action (mark the invoice uncollectible)'],
  ])('%o reads %s', (s, label) => {
    expect(stepLabel(s, 'mark_uncollectible')).toBe(label);
  });

  it('the step offset comes from the key the schedule built, so it survives a re-plan', () => {
    expect(stepOffsetLabel({ key: 'email:reminder@7d' })).toBe('7d');
    expect(stepOffsetLabel({ key: 'end_action' })).toBeUndefined();
  });

  it("the case's zone: the customer's, else the policy's, else UTC", () => {
    expect(caseTimeZone('America/New_York', 'Europe/Paris')).toBe('America/New_York');
    expect(caseTimeZone('Not/AZone', 'Europe/Paris')).toBe('Europe/Paris');
    expect(caseTimeZone(undefined, 'Nope')).toBe('UTC');
    expect(whenLabel(DEC_1_9AM_NEW_YORK, 'Not/AZone')).toBe('Dec 1, 14:00 UTC');
  });

  it('a wait on a provider: `Stripe unavailable: try again at …`', () => {
    const blocked = {
      provider: 'stripe' as const,
      since: '2026-12-01T13:58:00Z',
      reason: 'StripeTransient: boom',
      retryAt: '2026-12-01T14:00:00Z',
    };
    expect(blockedWaitSummary(blocked, 'America/New_York')).toBe(
      'Stripe unavailable: try again at Dec 1, 09:00 America/New_York',
    );
    expect(blockedWaitSummary({ ...blocked, provider: 'resend' }, 'UTC')).toBe(
      'Resend unavailable: try again at Dec 1, 14:00 UTC',
    );
  });

  it("a card's ledger: what its wait is for", () => {
    const at = Date.parse('2026-12-31T00:00:00Z');
    expect(ledgerWaitSummary({ entries: [{ key: 'k', at: at - 1 }] }, at)).toBe(
      'a reattempt leaves the 30-day window (Dec 31, 00:00 UTC)',
    );
    expect(ledgerWaitSummary({ entries: [], blocked: { reason: 'mac_03', at: 0, until: at } }, at)).toBe(
      'card blocked until Dec 31, 00:00 UTC',
    );
    expect(ledgerWaitSummary({ entries: [], waiting: { reason: 'mastercard_mac_24_30_wait', until: at } }, at)).toBe(
      "issuer's wait ends Dec 31, 00:00 UTC (mastercard_mac_24_30_wait)",
    );
  });
});

describe('activities', () => {
  it('emails: `email: reminder (vi)`', () => {
    expect(emailSummary('reminder', 'vi')).toBe('email: reminder (vi)');
  });

  it('charges: the card and why', () => {
    const visa = { brand: 'visa', last4: '4242' };
    expect(chargeSummary(visa, { kind: 'retry', n: 2, of: 4 })).toBe('charge Visa •••• 4242 (retry 2 of 4)');
    expect(chargeSummary(undefined, { kind: 'retry', n: 1, of: 3 })).toBe('charge the card on file (retry 1 of 3)');
    expect(chargeSummary({ last4: '0005' }, { kind: 'customer_retry', n: 1 })).toBe(
      "charge card •••• 0005 (customer's own retry 1)",
    );
    expect(chargeSummary(visa, { kind: 'card_update', n: 1, paymentMethodId: 'pm_new' })).toBe(
      'charge the new card pm_new (card update 1)',
    );
  });

  it('Stripe reads, the end action and app events', () => {
    expect(factsReadSummary('in_1', 'start')).toBe('Stripe: read invoice in_1, its customer and decline');
    expect(factsReadSummary('in_1', 'before_end')).toBe('Stripe: is invoice in_1 still open before the end action?');
    expect(endActionSummary('cancel_subscription')).toBe('Stripe: cancel the subscription (end action)');
    expect(appEventSummary('dunning.recovered')).toBe('app event: dunning.recovered');
  });
});

describe('email priority: the first email and confirmations before reminders', () => {
  it.each(['payment_failed', 'payment_failed.generic', 'payment_recovered', 'new_card_declined', 'subscription_ended'])(
    '%s is urgent',
    (t) => expect(emailPriorityKey(t)).toBe(URGENT_EMAIL_PRIORITY),
  );
  it.each(['reminder', 'final_notice'])('%s is routine', (t) => expect(emailPriorityKey(t)).toBe(ROUTINE_EMAIL_PRIORITY));
  it('lower goes first', () => expect(URGENT_EMAIL_PRIORITY).toBeLessThan(ROUTINE_EMAIL_PRIORITY));
});

describe('current details', () => {
  const active: CaseNow = {
    state: 'active',
    classification: { category: 'insufficient_funds', reason: 'insufficient_funds', retryable: true },
    card: { brand: 'visa', last4: '4242' },
    next: step('retry@3d', 'retry'),
    endAction: 'cancel_subscription',
    timeZone: 'America/New_York',
    attempts: 0,
    emails: 1,
  };

  it('the decline, the next step and why, and what acts at once', () => {
    expect(caseCurrentDetails(active).split('\n')).toEqual([
      '**Decline:** insufficient funds (insufficient_funds) on Visa •••• 4242',
      '**Next:** day-3 retry at Dec 1, 09:00 America/New_York: retried on a payday, when funds are likely back',
      '**Meanwhile:** a new card, a payment elsewhere or a cancellation acts at once',
      '**So far:** 0 charge attempts, 1 email',
    ]);
  });

  it('before the decline is read, and while blocked on a provider', () => {
    const details = caseCurrentDetails({
      ...active,
      classification: undefined,
      next: undefined,
      blockedOn: {
        provider: 'stripe',
        since: '2026-12-01T13:00:00Z',
        reason: 'StripeTransient: down',
        retryAt: '2026-12-01T14:00:00Z',
      },
    });
    expect(details).toContain('**Decline:** not read from Stripe yet');
    expect(details).toContain(
      '**Blocked:** Stripe unavailable since Dec 1, 08:00 America/New_York (StripeTransient: down); trying again at Dec 1, 09:00 America/New_York',
    );
  });

  it("Stripe's own retry is said in plain words, with the fix", () => {
    const details = caseCurrentDetails({
      ...active,
      stripeRetrying: { attemptCount: 4, lastAt: '2026-12-01T13:00:00Z', fix: STRIPE_RETRYING_FIX },
    });
    expect(details).toContain(
      `**Stripe retries too:** Stripe is still retrying this invoice on its own (attempt 4, that was its last scheduled attempt). ${STRIPE_RETRYING_FIX}`,
    );
  });

  it('a pause Stripe refused is said too, while the case is open', () => {
    const refused = caseCurrentDetails({ ...active, stripeCollection: 'pause_refused' });
    expect(refused).toContain(
      `**Stripe may retry too:** Stripe refused to turn its own retries off on this invoice. ${STRIPE_RETRYING_FIX}`,
    );
    expect(caseCurrentDetails({ ...active, stripeCollection: 'paused_by_case' })).not.toContain('Stripe may retry');
  });

  it('an undeliverable address: no more email goes to it', () => {
    const details = caseCurrentDetails({ ...active, emailUndeliverable: { event: 'bounced', reason: 'no such mailbox' } });
    expect(details).toContain("**Email undeliverable:** bounced (no such mailbox): no more email goes to the customer's address");
  });

  it('a hard decline says the card is not charged again', () => {
    const details = caseCurrentDetails({
      ...active,
      classification: { category: 'payment_method', reason: 'expired_card', retryable: false },
      next: step('final_notice@12d', 'final_notice'),
    });
    expect(details).toContain(
      '**Decline:** payment method (expired_card) on Visa •••• 4242: the same card is not charged again; a new card is needed',
    );
    expect(details).toContain(
      'final notice at Dec 1, 09:00 America/New_York: last notice before the end action (cancel the subscription)',
    );
  });

  it('an ended case says how it ended, and nothing about a next step', () => {
    const details = caseCurrentDetails({
      ...active,
      state: 'recovered',
      outcome: 'card_updated',
      endedAt: DEC_1_9AM_NEW_YORK,
      attempts: 1,
    });
    expect(details.split('\n')[0]).toBe('**Ended:** recovered (card_updated) on Dec 1, 09:00 America/New_York');
    expect(details).not.toContain('**Next:**');
    expect(details).toContain('**So far:** 1 charge attempt, 1 email');
  });

  it('a bank debit settling: processing, nothing charged, when Stripe is asked; not "ended"', () => {
    const details = caseCurrentDetails({
      ...active,
      state: 'processing',
      next: undefined,
      settlementCheckAt: DEC_1_9AM_NEW_YORK,
      attempts: 1,
    });
    expect(details.split('\n')[0]).toBe(
      '**Processing:** a bank debit is settling: nothing is charged and no reminder is sent until the bank answers; Stripe is asked at Dec 1, 09:00 America/New_York',
    );
    expect(details).not.toContain('**Ended:**');
    expect(details).not.toContain('**Next:**');
    expect(settlementWaitSummary(DEC_1_9AM_NEW_YORK, 'America/New_York')).toBe(
      'wait for the bank debit to settle (invoice.paid or invoice.payment_failed); ask Stripe at Dec 1, 09:00 America/New_York',
    );
    expect(factsReadSummary('in_1', 'settlement')).toBe('Stripe: has the bank debit of invoice in_1 settled?');
  });
});
