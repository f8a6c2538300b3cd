/**
 * Calling a provider from a case so that its answer never fails the case.
 *
 * Each activity attempt is bounded in minutes (its schedule-to-close timeout): the workflow cannot
 * see the server's activity retries, so a longer outage comes back here as a failure. Then the
 * case records that it is blocked (`status.blockedOn`, search attribute `DunningBlockedOn`), waits
 * on a durable timer that backs off from a minute to an hour, and calls again, for as long as it
 * takes. Signals that end the case (paid elsewhere, cancelled) cut the wait short.
 */
import { ActivityFailure, ApplicationFailure, condition } from '@temporalio/workflow';
import { classifyFailure, providerOfFailure, waitForProviderMs } from '../domain/providerFailures';
import type { BlockedOn, Provider } from '../domain/types';

export type CallResult<T> =
  | { kind: 'answered'; value: T }
  /** The provider said no for good (`not_found`: the object is gone); `error` says what it said. */
  | { kind: 'refused' | 'not_found'; error: string }
  /** `stop()` became true while the case waited for the provider. */
  | { kind: 'interrupted' };

export interface BlockedTracker {
  /** Set while blocked, undefined once the provider answers (or the wait is cut short). */
  set(blocked: BlockedOn | undefined): void;
  /** The summary of the wait's timer in the history ('Stripe unavailable: try again at …'). */
  waitSummary(blocked: BlockedOn): string;
}

/**
 * Calls until the provider answers or refuses for good. `firstError`: the failure of a call the
 * caller already made (so that the happy path is a plain activity call).
 */
export async function callProvider<T>(
  provider: Provider,
  call: () => Promise<T>,
  blocked: BlockedTracker,
  stop: () => boolean = () => false,
  firstError?: { error: unknown },
  /** A refusal is waited out like an outage: for calls the case cannot go on without. */
  waitOnRefusal = false,
): Promise<CallResult<T>> {
  let since: number | undefined;
  let failed = firstError;
  for (let failures = 1; ; failures++) {
    if (!failed) {
      try {
        const value = await call();
        if (since !== undefined) blocked.set(undefined);
        return { kind: 'answered', value };
      } catch (error) {
        failed = { error };
      }
    }
    const err = failed.error;
    failed = undefined;
    // Anything but an activity's failure is a bug in our workflow code: let it fail the workflow
    // task (Temporal retries the task once a fix is deployed), never the case.
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
    const verdict = classifyFailure(cause?.type ?? undefined, cause?.nonRetryable ?? undefined);
    const error = failureText(err);
    if (verdict === 'not_found' || (verdict === 'refused' && !waitOnRefusal)) {
      if (since !== undefined) blocked.set(undefined);
      return { kind: verdict, error };
    }
    since ??= Date.now();
    const waitMs = waitForProviderMs(failures, cause?.type ?? undefined, cause?.details ?? undefined);
    const blockedOn: BlockedOn = {
      provider: providerOfFailure(cause?.type ?? undefined, provider),
      since: new Date(since).toISOString(),
      reason: error,
      retryAt: new Date(Date.now() + waitMs).toISOString(),
    };
    blocked.set(blockedOn);
    if (await condition(stop, waitMs, { summary: blocked.waitSummary(blockedOn) })) {
      blocked.set(undefined);
      return { kind: 'interrupted' };
    }
  }
}

/** What a failed activity said, for the case's record: `Type: message`, or the timeout. */
export function failureText(err: unknown): string {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
    if (cause) return `${cause.name}: ${cause.message}${cause.cause instanceof Error ? ` (${cause.cause.message})` : ''}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
