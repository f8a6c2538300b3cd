/**
 * Stripe errors as Temporal sees them. A card decline is not here: it is a result. What is left
 * is either worth retrying (network, 5xx, 429, lock timeouts) or never going to succeed (a bad
 * request, a wrong key), which must fail fast and show on the case instead of retrying for a day.
 */
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { StripeFailureType } from '../../domain/providerFailures';

export function toActivityFailure(err: unknown, what: string): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  const detail = `${what}: ${err.message} (${err.type}${err.code ? `/${err.code}` : ''}${err.requestId ? `, request ${err.requestId}` : ''})`;
  if (err instanceof Stripe.errors.StripeAuthenticationError) {
    return ApplicationFailure.nonRetryable(detail, StripeFailureType.Authentication);
  }
  if (err instanceof Stripe.errors.StripePermissionError) {
    return ApplicationFailure.nonRetryable(detail, StripeFailureType.Permission);
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code !== 'lock_timeout') {
    const notFound = err.statusCode === 404 || err.code === 'resource_missing';
    return ApplicationFailure.nonRetryable(detail, notFound ? StripeFailureType.NotFound : StripeFailureType.InvalidRequest);
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) {
    // The same key with different parameters: a bug on our side, not something time will fix.
    return ApplicationFailure.nonRetryable(detail, StripeFailureType.Idempotency);
  }
  return ApplicationFailure.retryable(detail, StripeFailureType.Transient);
}

export async function callStripe<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err, what);
  }
}
