/**
 * The failure types our Stripe and email activities throw, and what each means for a case. Defined
 * here, in workflow-safe code, because the activities throw them and the workflow reads them.
 *
 * The rule (docs/architecture.md, "What can go wrong"): a provider's answer never fails a case. Every answer
 * falls in one of three classes:
 * - `wait`: the provider is unavailable (5xx, 429, network, timeouts) or refuses our credentials
 *   (an operator must fix the key): the case records that it is blocked and tries again later;
 * - `not_found`: the object is gone (an invoice Stripe does not know): the step cannot happen;
 * - `refused`: this request will never succeed (a 400, an idempotency conflict, a bad address):
 *   recorded on the case, which goes on.
 */
import type { Provider } from './types';

export const StripeFailureType = {
  Transient: 'StripeTransient',
  InvalidRequest: 'StripeInvalidRequest',
  NotFound: 'StripeNotFound',
  Idempotency: 'StripeIdempotency',
  Authentication: 'StripeAuthentication',
  Permission: 'StripePermission',
} as const;

/** Failure types the email activity throws (activities/email/resend-failure.ts maps Resend's errors). */
export const EmailFailureType = {
  RateLimited: 'EmailRateLimited',
  ProviderUnavailable: 'EmailProviderUnavailable',
  IdempotencyInProgress: 'EmailIdempotencyInProgress',
  /** The monthly quota (an operator's plan): refused, recorded on the case. */
  QuotaExceeded: 'EmailQuotaExceeded',
  /** The daily quota: the case waits for it to reset (see `waitForProviderMs`). */
  DailyQuotaExceeded: 'EmailDailyQuotaExceeded',
  AuthFailed: 'EmailAuthentication',
  InvalidRecipient: 'EmailInvalidRecipient',
  InvalidSender: 'EmailInvalidSender',
  InvalidRequest: 'EmailInvalidRequest',
  IdempotencyConflict: 'EmailIdempotencyConflict',
  ProviderMisconfigured: 'EmailProviderMisconfigured',
  Rejected: 'EmailRejected',
} as const;
export type EmailFailureType = (typeof EmailFailureType)[keyof typeof EmailFailureType];

export type FailureClass = 'wait' | 'not_found' | 'refused';

/** Refusals an operator fixes (keys, permissions, the provider's base URL): the case waits for them. */
const WAIT_FOR_OPERATOR = new Set<string>([
  StripeFailureType.Authentication,
  StripeFailureType.Permission,
  EmailFailureType.AuthFailed,
  EmailFailureType.ProviderMisconfigured,
]);

/**
 * Refusals that time alone lifts: the case waits, as for an outage. A type of its own (not
 * `EmailQuotaExceeded`, which cases once recorded as refused) so that their histories replay as they ran.
 */
const WAIT_FOR_TIME = new Set<string>([EmailFailureType.DailyQuotaExceeded]);

/**
 * The class of a failed activity: `nonRetryable` is what the activity said (or undefined for a
 * timeout or a failure that is not an application failure, which Temporal retried until the
 * activity's schedule-to-close timeout: the provider did not answer in time).
 */
export function classifyFailure(type: string | undefined, nonRetryable: boolean | undefined): FailureClass {
  if (!nonRetryable || type === undefined) return 'wait';
  if (WAIT_FOR_OPERATOR.has(type) || WAIT_FOR_TIME.has(type)) return 'wait';
  if (type === StripeFailureType.NotFound) return 'not_found';
  return 'refused';
}

export const providerOfFailure = (type: string | undefined, fallback: Provider): Provider =>
  type?.startsWith('Email') ? 'resend' : type?.startsWith('Stripe') ? 'stripe' : fallback;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * How long a blocked case waits before it calls again, after its `failures`-th failure in a row:
 * 1, 2, 4 … minutes, at most an hour. A daily quota that said when it resets (Retry-After, in the
 * failure's details as `retryAfterMs`) is waited out to that moment instead, at most a day.
 */
export function waitForProviderMs(failures: number, type?: string, details?: readonly unknown[]): number {
  const backoff = Math.min(60 * MINUTE_MS, MINUTE_MS * 2 ** Math.max(0, failures - 1));
  if (type !== EmailFailureType.DailyQuotaExceeded) return backoff;
  const retryAfterMs = (details?.[0] as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs)) return backoff;
  return Math.min(DAY_MS, Math.max(1_000, retryAfterMs));
}
