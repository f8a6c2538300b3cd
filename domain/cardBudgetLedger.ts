/**
 * The network retry budget of one card as a pure sliding window, kept by a per-card workflow so
 * that every case retrying the same card shares one budget.
 *
 * Visa's Excessive Reattempts rule (Visa Core Rules, 18 April 2026, ID# 0030640, §7.3.6.3,
 * Table 7-2, as restated by Checkout.com, "When can I retry a declined transaction?"): since
 * 19 May 2025 at most 20 reattempts of a declined transaction in 30 days (categories 2-4; it was
 * 15 from April 2021), counted separately for customer-initiated (CIT) and merchant-initiated (MIT)
 * transactions; each further one draws a fee (Stripe blocks some of them itself, see
 * https://support.stripe.com/questions/payment-blocked-due-to-excessive-retries). Pure and
 * deterministic: the caller passes the time.
 */

import { whenLabel } from './caseNarrative';

/** Reattempts per counter (customer-initiated, merchant-initiated) in 30 days. */
export const VISA_MAX_REATTEMPTS = 20;
/** The limit before 19 May 2025 (one counter): ledgers recorded under it keep it on replay. */
export const VISA_MAX_REATTEMPTS_BEFORE_2025 = 15;

/** Who starts a charge: the merchant (our schedule, a card update) or the customer (their own retry). */
export type Initiator = 'merchant' | 'customer';
export const BUDGET_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * How long a card stays blocked after a "never retry" answer (Visa category 1, Mastercard MAC
 * 03/21, `do_not_try_again`). The networks mean "never"; a month outlasts every case that could
 * still be charging the card, and the issuer's answer about a card a month later is news.
 */
export const BLOCK_MS = BUDGET_WINDOW_MS;

export interface LedgerEntry {
  /** Idempotency key of the attempt. */
  key: string;
  at: number;
  /** Absent in ledgers kept before the counters were split: merchant-initiated. */
  initiator?: Initiator;
}

const initiatorOf = (e: LedgerEntry): Initiator => e.initiator ?? 'merchant';

export interface LedgerState {
  /** Sorted by `at`. */
  entries: LedgerEntry[];
  /** Set when an issuer said never to retry this card: no reattempt until `until`, in any case. */
  blocked?: { reason: string; at: number; until: number };
}

export interface ReserveResult {
  state: LedgerState;
  granted: boolean;
  /** When refused: when enough entries have left the window for one more attempt. */
  retryAt?: number;
  /** The key was already granted (a retried activity): granted again, nothing consumed. */
  duplicate: boolean;
  /** Refused because the card is blocked: the issuer's reason. */
  blockedReason?: string;
}

export const emptyLedger = (): LedgerState => ({ entries: [] });

/** Drops entries that left the window: an entry at `t` counts while now - t < windowMs. */
export function prune(state: LedgerState, now: number, windowMs: number = BUDGET_WINDOW_MS): LedgerState {
  const entries = state.entries.filter((e) => now - e.at < windowMs);
  return state.blocked && state.blocked.until > now ? { entries, blocked: state.blocked } : { entries };
}

/** The issuer said never to retry this card: every case is refused until the block ends. */
export function block(state: LedgerState, reason: string, at: number, durationMs: number = BLOCK_MS): LedgerState {
  const until = Math.max(at + durationMs, state.blocked?.until ?? 0);
  return { ...state, blocked: { reason, at: state.blocked?.at ?? at, until } };
}

/** The next moment pruning changes the ledger (an entry leaves the window, a block ends); none when empty. */
export function nextExpiry(state: LedgerState, windowMs: number = BUDGET_WINDOW_MS): number | undefined {
  const times = [...state.entries.map((e) => e.at + windowMs), ...(state.blocked ? [state.blocked.until] : [])];
  return times.length ? Math.min(...times) : undefined;
}

/** Asks for one attempt on the card at `at`. */
export function reserve(
  state: LedgerState,
  key: string,
  at: number,
  limit: number = VISA_MAX_REATTEMPTS,
  windowMs: number = BUDGET_WINDOW_MS,
  initiator: Initiator = 'merchant',
): ReserveResult {
  const live = prune(state, at, windowMs);
  // Checked against the unpruned state: a key granted once stays granted, even if the activity
  // is retried after its entry left the window.
  if (state.entries.some((e) => e.key === key)) {
    return { state: live, granted: true, duplicate: true };
  }
  if (live.blocked) {
    return { state: live, granted: false, duplicate: false, blockedReason: live.blocked.reason };
  }
  const counted = live.entries.filter((e) => initiatorOf(e) === initiator);
  if (counted.length < limit) {
    const entry: LedgerEntry = initiator === 'merchant' ? { key, at } : { key, at, initiator };
    const entries = [...live.entries, entry].sort((a, b) => a.at - b.at);
    return { state: { ...live, entries }, granted: true, duplicate: false };
  }
  // Refused: a place opens once the (n - limit + 1)-th oldest entry of this counter leaves the
  // window (with n equal to the limit, that is the oldest one).
  const sorted = [...counted].sort((a, b) => a.at - b.at);
  const blocking = sorted[sorted.length - Math.max(limit, 1)];
  const result: ReserveResult = { state: live, granted: false, duplicate: false };
  if (blocking !== undefined && limit > 0) result.retryAt = blocking.at + windowMs;
  return result;
}

/** The ledger's timer as the Web UI lists it: what the wait is for (`at`: from nextExpiry). */
export function ledgerWaitSummary(state: LedgerState, at: number): string {
  const when = whenLabel(at, 'UTC');
  return state.blocked?.until === at ? `card blocked until ${when}` : `a reattempt leaves the 30-day window (${when})`;
}

/** With nothing in the window the ledger ends after an hour without news (its next run starts fresh). */
export const LEDGER_IDLE_SUMMARY = 'nothing in the window: end after an hour without news';
