/**
 * Stripe's own retries (Smart Retries or a custom schedule) beside a case's: how they are told
 * apart from ours, and what the operator is told to do about them. Defined once, for the status,
 * the logs, the Web UI and the dashboard.
 */
import type { PaymentFailedSignal, StripeRetrying } from './types';

/**
 * What to do when Stripe still retries an invoice a case owns. A case turns the invoice's
 * `auto_advance` off when it starts; Stripe still retrying means that did not happen (a key
 * without write access to invoices, a refusal, a case started before this) or the events are late.
 */
export const STRIPE_RETRYING_FIX =
  "Turn off Stripe's Smart Retries (or the custom retry schedule) in the Stripe Dashboard, " +
  'Billing → Revenue recovery → Retries, and give the service a key that may update invoices: ' +
  "each case turns the invoice's auto_advance off when it starts.";

/**
 * An `invoice.payment_failed` from Stripe's retry schedule: no API request behind it
 * (`request.id` null) and not the renewal's first attempt (`attempt_count` above 1).
 * `next_payment_attempt` cannot tell: Stripe sets it on the first failure already, and clears it
 * on its last attempt.
 */
export function isStripeScheduledAttempt(e: { requestId: string | null | undefined; attemptCount: number }): boolean {
  return e.requestId === null && e.attemptCount > 1;
}

/** What a case records of Stripe's attempt, from the signal that brought it. */
export function stripeRetryingFrom(s: PaymentFailedSignal, now: number): StripeRetrying | undefined {
  if (!s.byStripeSchedule) return undefined;
  return {
    attemptCount: s.attemptCount ?? 0,
    lastAt: new Date(now).toISOString(),
    ...(s.nextPaymentAttemptAt ? { nextAttemptAt: s.nextPaymentAttemptAt } : {}),
    fix: STRIPE_RETRYING_FIX,
  };
}

/** The ledger's name for Stripe's attempt: one per `attempt_count`, so an event delivered twice counts once. */
export function stripeAttemptKey(invoiceId: string, attemptCount: number | undefined): string {
  return `stripe:${invoiceId}/attempt_${attemptCount ?? 0}`;
}

/** One line for people: the Web UI's details, the CLI and the logs. */
export function stripeRetryingText(r: StripeRetrying): string {
  const next = r.nextAttemptAt ? `, its next attempt at ${r.nextAttemptAt}` : ', that was its last scheduled attempt';
  return `Stripe is still retrying this invoice on its own (attempt ${r.attemptCount}${next}). ${r.fix}`;
}
