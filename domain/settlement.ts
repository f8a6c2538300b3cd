/**
 * A payment that settles later (a bank debit: ACH, SEPA) is not a recovery until the bank says so.
 * While it is under way the case is `processing`: nothing charges, no reminder goes out, and the
 * case waits for Stripe's invoice.paid or invoice.payment_failed. Pure: imported by the workflow.
 */
import type { AttemptTrigger } from './types';

const DAY = 24 * 3_600_000;

/**
 * How long the case waits for the bank's answer before it asks Stripe itself (a webhook lost or
 * late). SEPA Direct Debit can take up to 14 business days to confirm success or failure (ACH up
 * to 4, Bacs 3): 14 business days are about 20 calendar days around holidays, hence 21.
 */
export const SETTLEMENT_WAIT_MS = 21 * DAY;

/** Stripe still says processing after the wait: it is asked again daily. */
export const SETTLEMENT_RECHECK_MS = DAY;

/**
 * The outcome of a case whose debit settled: the step that made the debit, named as a charge that
 * succeeded at once would be (so dashboards and metrics group it with its kind).
 */
export const SETTLED_OUTCOME: Record<AttemptTrigger, string> = {
  schedule: 'retry_succeeded',
  payment_method_updated: 'card_updated',
  customer_retry: 'customer_retry',
  operator_retry: 'operator_retry',
  stripe: 'paid_stripe',
  other_card: 'other_card',
};
