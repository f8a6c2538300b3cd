/**
 * How a recovered case came back, and at which step: what "amount recovered by step" is grouped
 * by. Bounded values (a handful of kinds, steps numbered by the policy's retries and emails), so
 * that they can label metrics. Pure: the workflow computes it from its record when it recovers.
 */
import type { AttemptRecord, EmailRecord } from './types';

export type RecoveryHow = 'scheduled_retry' | 'card_update' | 'customer_retry' | 'paid_elsewhere' | 'other_card' | 'other';

export interface RecoveryStep {
  how: RecoveryHow;
  /** `retry_<n>`: the n-th scheduled retry; `after_email_<n>`: after the n-th email the customer got. */
  step: string;
}

/** `outcome`: the recovered case's outcome (`retry_succeeded`, `card_updated`, `customer_retry`, `paid_<source>`). */
export function recoveryStep(outcome: string, attempts: readonly AttemptRecord[], emails: readonly EmailRecord[]): RecoveryStep {
  if (outcome === 'retry_succeeded') {
    return { how: 'scheduled_retry', step: `retry_${attempts.filter((a) => a.trigger === 'schedule').length}` };
  }
  // Another saved card (domain/otherCards.ts): numbered by the other cards charged.
  if (outcome === 'other_card') {
    return { how: 'other_card', step: `other_card_${attempts.filter((a) => a.trigger === 'other_card').length}` };
  }
  // The confirmation is sent before the case says it recovered: it is not what brought it back.
  const sent = emails.filter((e) => e.messageId && e.template !== 'payment_recovered').length;
  const how: RecoveryHow =
    outcome === 'card_updated'
      ? 'card_update'
      : outcome === 'customer_retry'
        ? 'customer_retry'
        : outcome.startsWith('paid_')
          ? 'paid_elsewhere'
          : 'other';
  return { how, step: `after_email_${sent}` };
}
