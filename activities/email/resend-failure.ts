/**
 * Turns a Resend SDK error into the Temporal failure the activity throws, deciding whether
 * Temporal retries it.
 *
 * What the SDK gives us (resend-node 6, dist/index.cjs `fetchRequest`): it never throws for HTTP
 * or network trouble; it resolves `{ data: null, error, headers }` where
 * - `error` is Resend's JSON body `{ statusCode, name, message }` as sent;
 * - a non-JSON error body (a proxy's HTML 502) becomes `name: 'application_error'` with the HTTP status;
 * - a network failure becomes `name: 'application_error', statusCode: null` and `headers: null`;
 * - `headers` is the response's headers as a lower-cased plain object, so `retry-after` and
 *   `ratelimit-reset` are readable. That is how `nextRetryDelay` honours Resend's Retry-After.
 *
 * Names and statuses: https://resend.com/docs/api-reference/errors.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { ErrorResponse } from 'resend';
import { EmailFailureType } from '../../domain/providerFailures';

export { EmailFailureType };

/** Resend's window is one second; with no Retry-After, waiting a full window is enough and cheap. */
export const FALLBACK_RATE_LIMIT_DELAY_MS = 1_000;

export interface ResendFailureDetails {
  name: string;
  statusCode: number | null;
  retryAfterMs?: number;
}

/** `Retry-After` is delta-seconds or an HTTP date (RFC 9110 §10.2.3); Resend sends seconds. */
export function parseRetryAfterMs(headers: Record<string, string> | null | undefined, now = Date.now()): number | undefined {
  const raw = headers?.['retry-after'] ?? headers?.['ratelimit-reset'];
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function toEmailFailure(error: ErrorResponse, headers: Record<string, string> | null): ApplicationFailure {
  const name = String(error.name);
  const status = error.statusCode ?? null;
  const retryAfterMs = parseRetryAfterMs(headers);
  const details: ResendFailureDetails = { name, statusCode: status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  const message = `Resend ${status ?? 'network'} ${name}: ${error.message}`;
  const fail = (type: EmailFailureType, nonRetryable: boolean, extra: { nextRetryDelay?: number; benign?: boolean } = {}) =>
    ApplicationFailure.create({
      message,
      type,
      nonRetryable,
      details: [details],
      ...(extra.nextRetryDelay !== undefined ? { nextRetryDelay: extra.nextRetryDelay } : {}),
      // Being throttled is expected under load: keep it out of the worker's error logs and metrics.
      ...(extra.benign ? { category: ApplicationFailureCategory.BENIGN } : {}),
    });

  switch (name) {
    // Quota is per day or month: retrying within an activity's schedule cannot succeed, and would
    // only burn more of it. The daily one resets: the case waits for it (Retry-After, when given,
    // says when) and sends the email then. The monthly one needs a bigger plan: recorded as refused.
    case 'daily_quota_exceeded':
      return fail(EmailFailureType.DailyQuotaExceeded, true);
    case 'monthly_quota_exceeded':
      return fail(EmailFailureType.QuotaExceeded, true);
    case 'rate_limit_exceeded':
      return fail(EmailFailureType.RateLimited, false, {
        nextRetryDelay: retryAfterMs ?? FALLBACK_RATE_LIMIT_DELAY_MS,
        benign: true,
      });
    // Docs: "safe to retry this request later"; the first attempt's answer will then be replayed.
    case 'concurrent_idempotent_requests':
      return fail(EmailFailureType.IdempotencyInProgress, false, {
        nextRetryDelay: retryAfterMs ?? FALLBACK_RATE_LIMIT_DELAY_MS,
      });
    case 'missing_api_key':
    case 'invalid_api_key':
    case 'restricted_api_key':
      return fail(EmailFailureType.AuthFailed, true);
    case 'invalid_from_address':
      return fail(EmailFailureType.InvalidSender, true);
    case 'invalid_to_address':
      return fail(EmailFailureType.InvalidRecipient, true);
    case 'invalid_idempotent_request':
      return fail(EmailFailureType.IdempotencyConflict, true);
    case 'not_found':
    case 'method_not_allowed':
      // Sending is never a 404 unless the base URL is wrong.
      return fail(EmailFailureType.ProviderMisconfigured, true);
    case 'validation_error':
      if (status === 403) return fail(EmailFailureType.InvalidSender, true); // unverified domain / testing-only sender
      if (/`(to|cc|bcc)`/.test(error.message)) return fail(EmailFailureType.InvalidRecipient, true);
      if (/`from`/.test(error.message)) return fail(EmailFailureType.InvalidSender, true);
      if (status !== null && status >= 500) break;
      return fail(EmailFailureType.InvalidRequest, true);
    case 'missing_required_field':
    case 'invalid_parameter':
    case 'invalid_attachment':
    case 'invalid_idempotency_key':
      return fail(EmailFailureType.InvalidRequest, true);
  }

  // By status, for names we do not know (and application_error / internal_server_error):
  if (status === 429)
    return fail(EmailFailureType.RateLimited, false, {
      nextRetryDelay: retryAfterMs ?? FALLBACK_RATE_LIMIT_DELAY_MS,
      benign: true,
    });
  if (status === null || status >= 500 || status === 408) return fail(EmailFailureType.ProviderUnavailable, false);
  if (status === 401 || status === 403) return fail(EmailFailureType.AuthFailed, true);
  return fail(EmailFailureType.Rejected, true);
}
