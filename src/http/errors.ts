/** The contract's error shape: `{ "error": { "code", "message" } }`. */
import { status } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';
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

// What a busy or unreachable cluster answers; anything else (INVALID_ARGUMENT, PERMISSION_DENIED, …)
// gives the same answer on every try, so it is ours to fix (500), not the caller's to repeat (503).
const TEMPORAL_RETRY_LATER: ReadonlySet<number> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
]);

/**
 * A Temporal call that failed because the cluster is down or slow: the caller should retry. The
 * client wraps the gRPC error (ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, a deadline
 * from `withDeadline`), so the whole cause chain is looked at; the depth bound guards against a
 * cause that points back at its error.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (isGrpcServiceError(e) && TEMPORAL_RETRY_LATER.has(e.code)) return true;
  }
  return false;
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
