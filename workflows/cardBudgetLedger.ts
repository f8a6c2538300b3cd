/**
 * The network retry budget of one card as a pure sliding window, kept by a per-card workflow so
 * that every case retrying the same card shares one budget.
 *
 * Visa's Excessive Reattempts rule: at most 15 reattempts of a declined transaction in 30 days;
 * each further one draws a fee (Stripe blocks some of them itself, see
 * https://support.stripe.com/questions/payment-blocked-due-to-excessive-retries). Pure and
 * deterministic: the caller passes the time.
 */

export const VISA_MAX_REATTEMPTS = 15;
export const BUDGET_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

export interface LedgerEntry {
  /** Idempotency key of the attempt. */
  key: string;
  at: number;
}

export interface LedgerState {
  /** Sorted by `at`. */
  entries: LedgerEntry[];
}

export interface ReserveResult {
  state: LedgerState;
  granted: boolean;
  /** When refused: when enough entries have left the window for one more attempt. */
  retryAt?: number;
  /** The key was already granted (a retried activity): granted again, nothing consumed. */
  duplicate: boolean;
}

export const emptyLedger = (): LedgerState => ({ entries: [] });

/** Drops entries that left the window: an entry at `t` counts while now - t < windowMs. */
export function prune(state: LedgerState, now: number, windowMs: number = BUDGET_WINDOW_MS): LedgerState {
  return { entries: state.entries.filter((e) => now - e.at < windowMs) };
}

/** Asks for one attempt on the card at `at`. */
export function reserve(
  state: LedgerState,
  key: string,
  at: number,
  limit: number = VISA_MAX_REATTEMPTS,
  windowMs: number = BUDGET_WINDOW_MS,
): ReserveResult {
  const live = prune(state, at, windowMs);
  // Checked against the unpruned state: a key granted once stays granted, even if the activity
  // is retried after its entry left the window.
  if (state.entries.some((e) => e.key === key)) {
    return { state: live, granted: true, duplicate: true };
  }
  if (live.entries.length < limit) {
    const entries = [...live.entries, { key, at }].sort((a, b) => a.at - b.at);
    return { state: { entries }, granted: true, duplicate: false };
  }
  // Refused: a place opens once the (n - limit + 1)-th oldest entry leaves the window (with n
  // equal to the limit, that is the oldest one).
  const sorted = [...live.entries].sort((a, b) => a.at - b.at);
  const blocking = sorted[sorted.length - Math.max(limit, 1)];
  const result: ReserveResult = { state: live, granted: false, duplicate: false };
  if (blocking !== undefined && limit > 0) result.retryAt = blocking.at + windowMs;
  return result;
}
