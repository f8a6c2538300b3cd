/**
 * How the activities count (activities/metrics.ts, caseEvents.ts): each case once from its app
 * events, recovered by how and at which step (domain/recoveryStep.ts), provider failures by class,
 * emails by result.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { countCaseEvent } from '../../activities/caseEvents';
import {
  amountRecovered,
  casesCancelled,
  casesOpened,
  casesRecovered,
  countingEmail,
  countingErrors,
  emails,
  providerErrors,
} from '../../activities/metrics';
import { recoveryStep } from '../../domain/recoveryStep';
import type { AppEventInput } from '../../domain/providerTypes';
import type { AttemptRecord, EmailRecord } from '../../domain/types';

const value = async (counter: { get(): Promise<{ values: Array<{ labels: object; value: number }> }> }, labels: object) =>
  (await counter.get()).values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;

const at = '2026-01-01T00:00:00.000Z';
const attempt = (trigger: AttemptRecord['trigger']): AttemptRecord => ({ at, trigger, outcome: 'declined' });
const email = (template: string, sent = true): EmailRecord => ({ at, template, ...(sent ? { messageId: 'm' } : { error: 'x' }) });

describe('recoveryStep', () => {
  it('numbers scheduled retries, and the emails a card update, a retry or a payment came after', () => {
    const attempts = [attempt('schedule'), attempt('payment_method_updated'), attempt('schedule')];
    const mails = [email('payment_failed'), email('reminder'), email('reminder', false), email('payment_recovered')];
    expect(recoveryStep('retry_succeeded', attempts, mails)).toEqual({ how: 'scheduled_retry', step: 'retry_2' });
    expect(recoveryStep('card_updated', attempts, mails)).toEqual({ how: 'card_update', step: 'after_email_2' });
    expect(recoveryStep('customer_retry', [], mails.slice(0, 1))).toEqual({ how: 'customer_retry', step: 'after_email_1' });
    expect(recoveryStep('paid_stripe', [], [])).toEqual({ how: 'paid_elsewhere', step: 'after_email_0' });
  });
});

describe('countCaseEvent', () => {
  const event = (type: AppEventInput['type'], data: Record<string, unknown>): AppEventInput => ({
    type,
    id: `dunning-in_1/${type}`,
    occurredAt: at,
    data: { invoiceId: 'in_1', amountDue: 1234, currency: 'chf', declineCategory: 'temporary', ...data },
  });
  it('counts a case opened, recovered with its amount by how and step, cancelled; other events not', async () => {
    const labels = { currency: 'chf', decline_category: 'temporary' };
    countCaseEvent(event('dunning.started', {}));
    countCaseEvent(event('dunning.recovered', { how: 'card_updated', recovery: { how: 'card_update', step: 'after_email_1' } }));
    countCaseEvent(event('dunning.cancelled', {}));
    countCaseEvent(event('access.warning', {}));
    expect(await value(casesOpened, labels)).toBe(1);
    const byHow = { ...labels, how: 'card_update', step: 'after_email_1' };
    expect(await value(casesRecovered, byHow)).toBe(1);
    expect(await value(amountRecovered, byHow)).toBe(1234);
    expect(await value(casesCancelled, labels)).toBe(1);
  });
});

describe('provider calls', () => {
  it('counts a failure by provider, class and type, and rethrows it unchanged', async () => {
    const refused = ApplicationFailure.nonRetryable('bad request', 'StripeInvalidRequest');
    await expect(countingErrors('stripe', () => Promise.reject(refused))).rejects.toBe(refused);
    const outage = ApplicationFailure.retryable('503', 'StripeTransient');
    await expect(countingErrors('stripe', () => Promise.reject(outage))).rejects.toBe(outage);
    expect(await value(providerErrors, { provider: 'stripe', class: 'refused', type: 'StripeInvalidRequest' })).toBe(1);
    expect(await value(providerErrors, { provider: 'stripe', class: 'wait', type: 'StripeTransient' })).toBe(1);
  });

  it('counts emails sent (by the template sent), retrying and refused', async () => {
    await countingEmail('payment_failed', async () => ({ template: 'payment_failed_card', messageId: 'm' }));
    const retry = ApplicationFailure.retryable('429', 'EmailRateLimited');
    await expect(countingEmail('reminder', () => Promise.reject(retry))).rejects.toBe(retry);
    const bad = ApplicationFailure.nonRetryable('bad address', 'EmailInvalidRecipient');
    await expect(countingEmail('reminder', () => Promise.reject(bad))).rejects.toBe(bad);
    expect(await value(emails, { template: 'payment_failed_card', result: 'sent' })).toBe(1);
    expect(await value(emails, { template: 'reminder', result: 'retrying' })).toBe(1);
    expect(await value(emails, { template: 'reminder', result: 'refused' })).toBe(1);
  });
});
