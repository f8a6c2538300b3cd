/**
 * The network retry budget of one card as a pure sliding window, kept by a per-card workflow so
 * that every case retrying the same card shares one budget.
 *
 * The limits come from the card networks' rules file (policies/network-rules.json, see
 * domain/networkRules.ts) with each reservation: `reserveUnderLimits`. A reservation without
 * limits (a caller that loads no rules file) is decided by `reserve` with Visa's constant below.
 *
 * Visa's Excessive Reattempts rule (Visa Core Rules, 18 April 2026, ID# 0030640, §7.3.6.3,
 * Table 7-2, as restated by Checkout.com, "When can I retry a declined transaction?"): since
 * 19 May 2025 at most 20 reattempts of a declined transaction in 30 days (categories 2-4; it was
 * 15 from April 2021), counted separately for customer-initiated (CIT) and merchant-initiated (MIT)
 * transactions; each further one draws a fee (Stripe blocks some of them itself, see
 * https://support.stripe.com/questions/payment-blocked-due-to-excessive-retries). Pure and
 * deterministic: the caller passes the time.
 */

import { whenLabel } from './presentation';
import type { AttemptLimit } from './networkRules';

/** Reattempts per counter (customer-initiated, merchant-initiated) in 30 days: reservations without limits. */
export const VISA_MAX_REATTEMPTS = 20;

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
  /** Absent: merchant-initiated (the default counter). */
  initiator?: Initiator;
  /**
   * The charge's amount (minor units) and currency, for limits counted per amount or currency.
   * Absent (a reservation without limits, a decline that named none): such an entry counts
   * against every amount and currency (it might have been any).
   */
  amount?: number;
  currency?: string;
}

const initiatorOf = (e: LedgerEntry): Initiator => e.initiator ?? 'merchant';

export interface LedgerState {
  /** Sorted by `at`. */
  entries: LedgerEntry[];
  /** Set when an issuer said never to retry this card: no reattempt until `until`, in any case. */
  blocked?: { reason: string; at: number; until: number };
  /**
   * Set when an issuer named a wait before the next attempt (Mastercard MAC 24-30): no reattempt
   * until `until`, in any case; unlike a block, the case only skips the attempt, and the card is
   * free after it. (Requests without the rules file's limits do not read it.)
   * `heardBy`: the case that heard the wait (its charges' key prefix, `<case>/<step>`), which keeps
   * its own wait, timed from the decline by its own clock: the ledger's, started a moment later
   * when the signal is handled, would refuse that case's retry planned at the wait's very end.
   */
  waiting?: { reason: string; until: number; heardBy?: string };
  /**
   * How long entries are kept, when a limit's window is longer than 30 days (an edited rules
   * file); absent: 30 days.
   */
  keepMs?: number;
}

/** How long the ledger keeps an entry: the longest window it has been asked to count in. */
export const keepMsOf = (state: LedgerState): number => state.keepMs ?? BUDGET_WINDOW_MS;

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
  const kept: LedgerState = state.blocked && state.blocked.until > now ? { entries, blocked: state.blocked } : { entries };
  if (state.waiting && state.waiting.until > now) kept.waiting = state.waiting;
  if (state.keepMs !== undefined) kept.keepMs = state.keepMs;
  return kept;
}

/** The issuer named a wait: every other case is refused until it ends (the longest wait named wins). */
export function wait(state: LedgerState, reason: string, at: number, durationMs: number, heardBy?: string): LedgerState {
  const until = at + durationMs;
  if (state.waiting && state.waiting.until >= until) return state;
  return { ...state, waiting: heardBy === undefined ? { reason, until } : { reason, until, heardBy } };
}

/** The case a charge's idempotency key belongs to (`<case>/<step>`). */
export const caseOfChargeKey = (key: string): string => key.slice(0, Math.max(0, key.lastIndexOf('/'))) || key;

/** The issuer said never to retry this card: every case is refused until the block ends. */
export function block(state: LedgerState, reason: string, at: number, durationMs: number = BLOCK_MS): LedgerState {
  const until = Math.max(at + durationMs, state.blocked?.until ?? 0);
  return { ...state, blocked: { reason, at: state.blocked?.at ?? at, until } };
}

/** The next moment pruning changes the ledger (an entry leaves the window, a block or a wait ends); none when empty. */
export function nextExpiry(state: LedgerState, windowMs: number = BUDGET_WINDOW_MS): number | undefined {
  const times = [
    ...state.entries.map((e) => e.at + windowMs),
    ...(state.blocked ? [state.blocked.until] : []),
    ...(state.waiting ? [state.waiting.until] : []),
  ];
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

/**
 * A decline the card got outside our charges (Stripe's own scheduled retry): counted like a granted
 * reattempt, since the networks count it whoever made it, but never refused: it has happened.
 * Idempotent by key (a retried activity, an event delivered twice).
 */
export function recordDecline(state: LedgerState, attempt: Omit<Attempt, 'initiator'>): LedgerState {
  if (state.entries.some((e) => e.key === attempt.key)) return state;
  const entry: LedgerEntry = { key: attempt.key, at: attempt.at };
  if (attempt.amount !== undefined) entry.amount = attempt.amount;
  if (attempt.currency !== undefined) entry.currency = attempt.currency.toLowerCase();
  return { ...state, entries: [...state.entries, entry].sort((a, b) => a.at - b.at) };
}

/** One attempt asked of the ledger, with what its limits may count apart. */
export interface Attempt {
  /** Idempotency key of the charge. */
  key: string;
  at: number;
  initiator: Initiator;
  /** Minor units; unknown: counted against every amount. */
  amount?: number;
  currency?: string;
}

export interface LimitedReserveResult extends ReserveResult {
  /** The limit that refused the attempt, or the one with the least room left after granting it. */
  rule?: string;
  /** Attempts that limit counts in its window (this one included when granted), and its maximum. */
  used: number;
  limit: number;
}

/** Whether an earlier entry counts in the same counter as `a` (unknown values count everywhere). */
function sameCounter(e: LedgerEntry, a: Attempt, per: AttemptLimit['per']): boolean {
  return per.every((k) => {
    if (k === 'initiator') return initiatorOf(e) === a.initiator;
    if (k === 'amount') return e.amount === undefined || a.amount === undefined || e.amount === a.amount;
    return e.currency === undefined || a.currency === undefined || e.currency.toLowerCase() === a.currency.toLowerCase();
  });
}

/**
 * Asks for one attempt on the card under the rules file's limits (every limit must have room).
 * Visa's limit counts reattempts; Mastercard's count declines, and whether an attempt declines is
 * known only after it: every granted attempt is counted as a potential decline (the conservative
 * reading; an approved one ends its case anyway). The renewal's own first decline is Stripe's
 * attempt, not one of ours, and is not in the ledger: a limit that counts it says so
 * (`outsideLedger`), and has that much less room; `used` counts it. Refused: `retryAt` is when
 * every limit that refused has room again.
 */
export function reserveUnderLimits(state: LedgerState, attempt: Attempt, limits: readonly AttemptLimit[]): LimitedReserveResult {
  const keepMs = Math.max(keepMsOf(state), ...limits.map((l) => l.windowMs));
  const live = prune(state, attempt.at, keepMsOf(state));
  if (keepMs > BUDGET_WINDOW_MS) live.keepMs = keepMs;
  const first = limits[0];
  const none = { rule: first?.rule, used: 0, limit: first?.max ?? 0 };
  if (state.entries.some((e) => e.key === attempt.key)) {
    return { state: live, granted: true, duplicate: true, ...none };
  }
  if (live.blocked) {
    return { state: live, granted: false, duplicate: false, blockedReason: live.blocked.reason, ...none };
  }
  if (live.waiting && live.waiting.heardBy !== caseOfChargeKey(attempt.key)) {
    // prune kept it: it ends after `attempt.at`.
    return { state: live, granted: false, duplicate: false, retryAt: live.waiting.until, ...none, rule: live.waiting.reason };
  }
  const counts = limits.map((l) => {
    const counted = live.entries.filter((e) => attempt.at - e.at < l.windowMs && sameCounter(e, attempt, l.per));
    const outside = l.outsideLedger ?? 0;
    return { l, counted, outside, room: l.max - outside };
  });
  const refusing = counts.filter(({ counted, room }) => counted.length >= room);
  if (refusing.length > 0) {
    // A place opens in a counter once its (n - room + 1)-th oldest entry leaves the window.
    const opens = refusing.map(({ l, counted, outside, room }) => {
      const sorted = [...counted].sort((a, b) => a.at - b.at);
      const oldest = room > 0 ? sorted[sorted.length - room] : undefined;
      return { l, used: counted.length + outside, at: oldest === undefined ? undefined : oldest.at + l.windowMs };
    });
    const never = opens.find((o) => o.at === undefined);
    const last = never ?? opens.reduce((a, b) => ((b.at as number) > (a.at as number) ? b : a));
    const result: LimitedReserveResult = {
      state: live,
      granted: false,
      duplicate: false,
      rule: last.l.rule,
      used: last.used,
      limit: last.l.max,
    };
    if (last.at !== undefined) result.retryAt = last.at;
    return result;
  }
  const entry: LedgerEntry = { key: attempt.key, at: attempt.at };
  if (attempt.initiator === 'customer') entry.initiator = 'customer';
  if (attempt.amount !== undefined) entry.amount = attempt.amount;
  if (attempt.currency !== undefined) entry.currency = attempt.currency.toLowerCase();
  const entries = [...live.entries, entry].sort((a, b) => a.at - b.at);
  const tightest = counts.reduce<(typeof counts)[number] | undefined>(
    (a, b) => (a === undefined || b.room - b.counted.length < a.room - a.counted.length ? b : a),
    undefined,
  );
  return {
    state: { ...live, entries },
    granted: true,
    duplicate: false,
    rule: tightest?.l.rule,
    used: (tightest ? tightest.counted.length + tightest.outside : 0) + 1,
    limit: tightest?.l.max ?? 0,
  };
}

/** The ledger's timer as the Web UI lists it: what the wait is for (`at`: from nextExpiry). */
export function ledgerWaitSummary(state: LedgerState, at: number): string {
  const when = whenLabel(at, 'UTC');
  const days = Math.round(keepMsOf(state) / 86_400_000);
  if (state.blocked?.until === at) return `card blocked until ${when}`;
  if (state.waiting?.until === at) return `issuer's wait ends ${when} (${state.waiting.reason})`;
  return `a reattempt leaves the ${days}-day window (${when})`;
}

/** With nothing in the window the ledger ends after an hour without news (its next run starts fresh). */
export const LEDGER_IDLE_SUMMARY = 'nothing in the window: end after an hour without news';
