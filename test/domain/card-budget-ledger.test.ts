import { describe, expect, it } from 'vitest';
import {
  block,
  BLOCK_MS,
  BUDGET_WINDOW_MS,
  emptyLedger,
  nextExpiry,
  type LedgerState,
  prune,
  recordDecline,
  reserve,
  reserveUnderLimits,
  VISA_MAX_REATTEMPTS,
} from '../../domain/cardBudgetLedger';

const D = 86_400_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

/** Reserves keys k0..k(n-1), one a day from T0. */
function filled(n: number, limit?: number): LedgerState {
  let s = emptyLedger();
  for (let i = 0; i < n; i++) {
    const r = reserve(s, `k${i}`, T0 + i * D, limit);
    expect(r.granted).toBe(true);
    s = r.state;
  }
  return s;
}

describe('constants', () => {
  it('Visa since 19 May 2025: 20 reattempts in 30 days per counter', () => {
    expect(VISA_MAX_REATTEMPTS).toBe(20);
    expect(BUDGET_WINDOW_MS).toBe(30 * D);
  });
});

describe('reserve', () => {
  it('grants up to the limit and records each attempt', () => {
    const s = filled(15);
    expect(s.entries).toHaveLength(15);
    expect(s.entries[0]).toEqual({ key: 'k0', at: T0 });
  });

  it('refuses one over the limit within 30 days and says when the oldest leaves the window', () => {
    const s = filled(15, 15);
    const r = reserve(s, 'k15', T0 + 15 * D, 15);
    expect(r).toEqual({ state: s, granted: false, duplicate: false, retryAt: T0 + 30 * D });
  });

  it('grants again exactly when the oldest entry leaves the window', () => {
    const s = filled(15, 15);
    expect(reserve(s, 'k15', T0 + 30 * D - 1, 15).granted).toBe(false);
    const r = reserve(s, 'k15', T0 + 30 * D, 15);
    expect(r.granted).toBe(true);
    expect(r.state.entries.map((e) => e.key)).toEqual([...Array.from({ length: 14 }, (_, i) => `k${i + 1}`), 'k15']);
  });

  it('customer- and merchant-initiated attempts have counters of their own (Visa, 19 May 2025)', () => {
    const merchantFull = filled(VISA_MAX_REATTEMPTS);
    expect(reserve(merchantFull, 'mit', T0 + 20 * D).granted).toBe(false);
    const cit = reserve(merchantFull, 'cit', T0 + 20 * D, VISA_MAX_REATTEMPTS, BUDGET_WINDOW_MS, 'customer');
    expect(cit.granted).toBe(true);
    expect(cit.state.entries.at(-1)).toEqual({ key: 'cit', at: T0 + 20 * D, initiator: 'customer' });
    // A ledger full of the customer's own retries leaves the merchant's counter untouched.
    let s = emptyLedger();
    for (let i = 0; i < VISA_MAX_REATTEMPTS; i++)
      s = reserve(s, `c${i}`, T0 + i, VISA_MAX_REATTEMPTS, BUDGET_WINDOW_MS, 'customer').state;
    expect(reserve(s, 'c-over', T0 + D, VISA_MAX_REATTEMPTS, BUDGET_WINDOW_MS, 'customer')).toMatchObject({
      granted: false,
      retryAt: T0 + 30 * D,
    });
    expect(reserve(s, 'm0', T0 + D).granted).toBe(true);
  });

  it('a repeated key (retried activity) is granted without consuming budget', () => {
    const s = filled(3);
    const r = reserve(s, 'k1', T0 + 5 * D);
    expect(r).toEqual({ state: s, granted: true, duplicate: true });
  });

  it('a repeated key is granted even when the budget is used up', () => {
    const s = filled(15);
    expect(reserve(s, 'k14', T0 + 20 * D)).toMatchObject({ granted: true, duplicate: true });
  });

  it('a repeated key whose entry already left the window is still a duplicate', () => {
    const s = filled(1);
    const r = reserve(s, 'k0', T0 + 40 * D);
    expect(r).toEqual({ state: { entries: [] }, granted: true, duplicate: true });
  });

  it('custom limit and window', () => {
    let s = emptyLedger();
    s = reserve(s, 'a', 1000, 2, 100).state;
    s = reserve(s, 'b', 1050, 2, 100).state;
    expect(reserve(s, 'c', 1060, 2, 100)).toMatchObject({ granted: false, retryAt: 1100 });
    expect(reserve(s, 'c', 1100, 2, 100)).toMatchObject({ granted: true });
  });

  it('when the ledger holds more than the limit (limit lowered), retryAt waits for enough entries to leave', () => {
    const s = filled(5);
    // 5 live entries, limit 3: 3 must leave before one more fits, so the 3rd oldest (k2) decides.
    expect(reserve(s, 'x', T0 + 5 * D, 3)).toMatchObject({ granted: false, retryAt: T0 + 2 * D + 30 * D });
  });

  it('limit 0 never grants and names no time', () => {
    const r = reserve(emptyLedger(), 'a', T0, 0);
    expect(r).toEqual({ state: { entries: [] }, granted: false, duplicate: false });
  });

  it('keeps entries sorted when an attempt is recorded out of order', () => {
    let s = reserve(emptyLedger(), 'late', T0 + 2 * D).state;
    s = reserve(s, 'early', T0 + D).state;
    expect(s.entries.map((e) => e.key)).toEqual(['early', 'late']);
  });

  it('does not mutate its input', () => {
    const s = filled(2);
    const copy = JSON.parse(JSON.stringify(s)) as LedgerState;
    reserve(s, 'new', T0 + 40 * D);
    expect(s).toEqual(copy);
  });
});

describe('prune', () => {
  it.each<[string, number, string[]]>([
    ['nothing expired', T0 + 29 * D, ['k0', 'k1', 'k2']],
    ['the first entry is exactly 30 days old', T0 + 30 * D, ['k1', 'k2']],
    ['all expired', T0 + 40 * D, []],
    ['before every entry (clock behind)', T0 - D, ['k0', 'k1', 'k2']],
  ])('%s', (_name, now, keys) => {
    expect(prune(filled(3), now).entries.map((e) => e.key)).toEqual(keys);
  });

  it('custom window', () => {
    expect(prune(filled(3), T0 + 2 * D, D).entries.map((e) => e.key)).toEqual(['k2']);
  });
});

describe('blocked cards', () => {
  it('refuses every new attempt while blocked, grants retried keys, and unblocks after the block', () => {
    let state = reserve({ entries: [] }, 'a', 1_000).state;
    state = block(state, 'mac_03_do_not_try_again', 2_000);
    const refused = reserve(state, 'b', 3_000);
    expect(refused).toMatchObject({ granted: false, blockedReason: 'mac_03_do_not_try_again' });
    expect(refused.state.entries.map((e) => e.key)).toEqual(['a']);
    expect(reserve(state, 'a', 3_000)).toMatchObject({ granted: true, duplicate: true });
    expect(nextExpiry(state)).toBe(Math.min(1_000 + BLOCK_MS, 2_000 + BLOCK_MS));
    const later = prune(state, 2_000 + BLOCK_MS);
    expect(later.blocked).toBeUndefined();
    expect(reserve(later, 'c', 2_000 + BLOCK_MS)).toMatchObject({ granted: true });
  });

  it('a second block extends, never shortens, the first', () => {
    const first = block({ entries: [] }, 'r1', 0, 100);
    expect(block(first, 'r2', 10, 50).blocked).toEqual({ reason: 'r2', at: 0, until: 100 });
    expect(block(first, 'r2', 10, 500).blocked).toEqual({ reason: 'r2', at: 0, until: 510 });
  });
});

describe("Stripe's own attempts (recordDecline)", () => {
  const limits = [{ rule: 'test-3-per-day', max: 3, windowMs: D, per: ['initiator' as const] }];
  const ours = (s: LedgerState, key: string, at: number) =>
    reserveUnderLimits(s, { key, at, initiator: 'merchant', amount: 2500, currency: 'usd' }, limits);

  it("counts against the networks' limits like ours, once per key, and is never refused", () => {
    let s = recordDecline(emptyLedger(), { key: 'stripe:in_1/attempt_2', at: T0, amount: 2500, currency: 'USD' });
    s = recordDecline(s, { key: 'stripe:in_1/attempt_2', at: T0 + 1000 });
    expect(s.entries).toEqual([{ key: 'stripe:in_1/attempt_2', at: T0, amount: 2500, currency: 'usd' }]);
    s = recordDecline(s, { key: 'stripe:in_1/attempt_3', at: T0 + 2000 });
    const first = ours(s, 'case/retry_1', T0 + 3000);
    expect(first).toMatchObject({ granted: true, used: 3, limit: 3 });
    // Two of the three places went to Stripe's retries: our second retry waits for the first to leave.
    const second = ours(first.state, 'case/retry_2', T0 + 4000);
    expect(second).toMatchObject({ granted: false, retryAt: T0 + D });
    // Stripe's attempt has happened: it is counted even with the counter full.
    expect(recordDecline(first.state, { key: 'stripe:in_1/attempt_4', at: T0 + 5000 }).entries).toHaveLength(4);
  });
});
