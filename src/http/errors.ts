/** The contract's error shape: `{ "error": { "code", "message" } }`. */
import type { Response } from 'express';
import Stripe from 'stripe';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** A Temporal call that failed because the cluster is down or slow: the caller should retry. */
export function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { code?: number; name?: string; message?: string; cause?: unknown } | undefined;
  if (!e) return false;
  // gRPC UNAVAILABLE (14), DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8)
  if (e.code === 14 || e.code === 4 || e.code === 8) return true;
  if (e.name === 'ServiceError' || e.name === 'ConnectionError') return true;
  if (/UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|deadline/i.test(e.message ?? '')) return true;
  return e.cause !== undefined && e.cause !== err ? isTemporalUnavailable(e.cause) : false;
}

/**
 * A Stripe call that failed for a reason that passes (network, Stripe's 5xx, rate limit): the
 * caller should retry. A refused request or a bad key is not: trying again gives the same answer.
 */
export function isStripeUnavailable(err: unknown): boolean {
  return (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError
  );
}
