/**
 * The card ledger's decision under the rules file, rule by rule: which limits bind a card of each
 * brand, Visa's 20 reattempts in 30 days (per initiator, amount and currency), Mastercard's 10 in
 * 24 hours and 35 per amount in 30 days (the renewal's own decline counted), never-retry answers,
 * waits an issuer named (MAC 24-30), and an edited file whose lower limit refuses sooner. Pure: no Temporal here (test/temporal/workflow/network-rules.test.ts runs the
 * ledger workflow).
 */
import { describe, expect, it } from 'vitest';
import {
  block,
  BUDGET_WINDOW_MS,
  emptyLedger,
  keepMsOf,
  nextExpiry,
  prune,
  reserveUnderLimits,
  type Attempt,
  type LedgerState,
} from '../../domain/cardBudgetLedger';
import {
  attemptLimitsFor,
  attemptLimitsProblem,
  blockWindowMs,
  neverRetryRuleFor,
  waitAfterDecline,
  type AttemptLimit,
  type NetworkRules,
} from '../../domain/networkRules';
import { MASTERCARD_MAC_CATEGORIES, MASTERCARD_MAC_RETRY_AFTER_MS, VISA_CATEGORY_1_CODES } from '../../domain/declines';
import { loadNetworkRules, parseNetworkRules } from '../../src/networkRulesFile';
import { blockOnSignal } from '../../domain/cardBudgetDecisions';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const rules = loadNetworkRules();
const VISA = attemptLimitsFor(rules, 'visa');
const MC = attemptLimitsFor(rules, 'mastercard');

const attempt = (key: string, at: number, o: Partial<Attempt> = {}): Attempt => ({
  key,
  at,
  initiator: 'merchant',
  amount: 2900,
  currency: 'usd',
  ...o,
});

/** Grants `n` attempts `every` ms apart from `from`, failing the test on a refusal. */
function granted(
  limits: readonly AttemptLimit[],
  n: number,
  every: number,
  o: Partial<Attempt> = {},
  from = T0,
  s = emptyLedger(),
) {
  for (let i = 0; i < n; i++) {
    const r = reserveUnderLimits(s, attempt(`${o.initiator ?? 'm'}-${o.amount ?? 2900}-${i}`, from + i * every, o), limits);
    expect(r.granted, `attempt ${i + 1}`).toBe(true);
    s = r.state;
  }
  return s;
}

/** The shipped rules with one rule's fields changed: an edited file. */
const edited = (id: string, change: Record<string, unknown>): NetworkRules => {
  const parsed = parseNetworkRules({ ...rules, rules: rules.rules.map((r) => (r.id === id ? { ...r, ...change } : r)) });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.rules;
};

describe('the limits that bind a card', () => {
  it('Visa: one limit, 20 reattempts in 30 days counted per amount, currency and initiator', () => {
    expect(VISA).toEqual([
      { rule: 'visa_reattempts_20_in_30_days', max: 20, windowMs: 30 * D, per: ['amount', 'currency', 'initiator'] },
    ]);
  });

  it("Mastercard: 10 in 24 hours per card, 35 in 30 days per card and amount, each counting the renewal's own decline", () => {
    expect(MC).toEqual([
      { rule: 'mastercard_10_declines_in_24h', max: 10, windowMs: D, per: [], outsideLedger: 1 },
      { rule: 'mastercard_35_declines_in_30_days', max: 35, windowMs: 30 * D, per: ['amount'], outsideLedger: 1 },
    ]);
    expect(attemptLimitsFor(rules, 'MasterCard')).toEqual(MC);
  });

  it('an unknown brand, or one the file has no rules for, gets every network limit (the strictest reading)', () => {
    for (const brand of [undefined, 'unknown', 'amex', '']) expect(attemptLimitsFor(rules, brand)).toEqual([...VISA, ...MC]);
  });

  it("never-retry answers: Visa category 1, Mastercard MAC 03/21 (as '3' too), each for its own brand", () => {
    expect(neverRetryRuleFor(rules, 'visa', { networkDeclineCode: '43' })?.id).toBe('visa_category_1_never');
    expect(neverRetryRuleFor(rules, 'visa', { networkDeclineCode: 'r0' })?.id).toBe('visa_category_1_never');
    expect(neverRetryRuleFor(rules, 'visa', { networkDeclineCode: '51' })).toBeUndefined();
    expect(neverRetryRuleFor(rules, 'mastercard', { networkAdviceCode: '3' })?.id).toBe('mastercard_mac_03_21_never');
    expect(neverRetryRuleFor(rules, 'mastercard', { networkAdviceCode: '21' })?.id).toBe('mastercard_mac_03_21_never');
    expect(neverRetryRuleFor(rules, 'mastercard', { networkAdviceCode: '24' })).toBeUndefined();
    // Visa's category-1 codes mean something else on a Mastercard; an unknown brand gets both readings.
    expect(neverRetryRuleFor(rules, 'mastercard', { networkDeclineCode: '43' })).toBeUndefined();
    expect(neverRetryRuleFor(rules, undefined, { networkDeclineCode: '43' })?.id).toBe('visa_category_1_never');
    expect(neverRetryRuleFor(rules, undefined, { networkAdviceCode: '03' })?.id).toBe('mastercard_mac_03_21_never');
    expect(neverRetryRuleFor(rules, 'visa', {})).toBeUndefined();
  });

  it('a never-retry rule blocks for its window, or for the ledger default when it says never', () => {
    const visa1 = neverRetryRuleFor(rules, 'visa', { networkDeclineCode: '04' })!;
    const mac03 = neverRetryRuleFor(rules, 'mastercard', { networkAdviceCode: '03' })!;
    expect(blockWindowMs(visa1)).toBeUndefined();
    expect(blockWindowMs(mac03)).toBe(30 * D);
  });
});

describe('reserveUnderLimits: Visa', () => {
  it('grants 20 merchant reattempts in 30 days, refuses the 21st naming the rule, grants once the oldest leaves', () => {
    const s = granted(VISA, 20, D);
    const r = reserveUnderLimits(s, attempt('m-21', T0 + 20 * D), VISA);
    expect(r).toMatchObject({ granted: false, rule: 'visa_reattempts_20_in_30_days', used: 20, limit: 20, retryAt: T0 + 30 * D });
    expect(r.state.entries).toHaveLength(20);
    expect(reserveUnderLimits(s, attempt('m-21', T0 + 30 * D - 1), VISA).granted).toBe(false);
    expect(reserveUnderLimits(s, attempt('m-21', T0 + 30 * D), VISA)).toMatchObject({ granted: true, used: 20, limit: 20 });
  });

  it('customer-initiated attempts, another amount or another currency have counters of their own', () => {
    const s = granted(VISA, 20, H);
    const at = T0 + D;
    expect(reserveUnderLimits(s, attempt('c', at, { initiator: 'customer' }), VISA)).toMatchObject({ granted: true, used: 1 });
    expect(reserveUnderLimits(s, attempt('a', at, { amount: 4900 }), VISA)).toMatchObject({ granted: true, used: 1 });
    expect(reserveUnderLimits(s, attempt('e', at, { currency: 'EUR' }), VISA)).toMatchObject({ granted: true, used: 1 });
    expect(reserveUnderLimits(s, attempt('u', at, { currency: 'USD' }), VISA).granted).toBe(false);
  });

  it('entries recorded without an amount (before the rules file) count against every amount', () => {
    let s: LedgerState = { entries: Array.from({ length: 20 }, (_, i) => ({ key: `old-${i}`, at: T0 + i * H })) };
    expect(reserveUnderLimits(s, attempt('new', T0 + D, { amount: 4900 }), VISA).granted).toBe(false);
    // And an attempt whose amount is unknown counts against every recorded amount.
    s = granted(VISA, 20, H, { amount: 100 });
    expect(reserveUnderLimits(s, attempt('x', T0 + D, { amount: undefined }), VISA).granted).toBe(false);
  });

  it('an edited rules file with a lower limit refuses sooner', () => {
    const lower = attemptLimitsFor(edited('visa_reattempts_20_in_30_days', { max: 5 }), 'visa');
    const s = granted(lower, 5, D);
    expect(reserveUnderLimits(s, attempt('m-6', T0 + 5 * D), lower)).toMatchObject({
      granted: false,
      rule: 'visa_reattempts_20_in_30_days',
      used: 5,
      limit: 5,
      retryAt: T0 + 30 * D,
    });
    expect(reserveUnderLimits(s, attempt('m-6', T0 + 5 * D), VISA).granted).toBe(true);
  });
});

describe('reserveUnderLimits: Mastercard', () => {
  it("10 declines in 24 hours, the renewal's own included, whatever the amount: the 10th reattempt is refused until the first is a day old", () => {
    // The first reattempt already counts two declines: the renewal's (outside the ledger) and its own.
    expect(reserveUnderLimits(emptyLedger(), attempt('1st', T0), MC)).toMatchObject({ granted: true, used: 2, limit: 10 });
    let s = granted(MC, 5, H);
    s = granted(MC, 4, H, { amount: 4900 }, T0 + 5 * H, s);
    const r = reserveUnderLimits(s, attempt('10th', T0 + 9 * H, { amount: 9900 }), MC);
    expect(r).toMatchObject({ granted: false, rule: 'mastercard_10_declines_in_24h', used: 10, limit: 10, retryAt: T0 + D });
    expect(reserveUnderLimits(s, attempt('10th', T0 + D), MC)).toMatchObject({ granted: true });
  });

  it("35 declines per amount in 30 days, the renewal's included: the 35th reattempt of one amount is refused, another amount is not", () => {
    // Nine a day stays under the 24-hour limit: 34 in four days.
    let s = emptyLedger();
    for (let i = 0; i < 34; i++) {
      const r = reserveUnderLimits(s, attempt(`k${i}`, T0 + Math.floor(i / 9) * D + (i % 9) * H), MC);
      expect(r.granted, `attempt ${i + 1}`).toBe(true);
      s = r.state;
    }
    const at = T0 + 5 * D;
    expect(reserveUnderLimits(s, attempt('35th', at), MC)).toMatchObject({
      granted: false,
      rule: 'mastercard_35_declines_in_30_days',
      used: 35,
      limit: 35,
      retryAt: T0 + 30 * D,
    });
    expect(reserveUnderLimits(s, attempt('other', at, { amount: 4900 }), MC)).toMatchObject({
      granted: true,
      rule: 'mastercard_10_declines_in_24h',
      used: 2,
    });
  });

  it('a refusal by both limits names the one that opens last', () => {
    const tight = attemptLimitsFor(edited('mastercard_35_declines_in_30_days', { max: 3 }), 'mastercard');
    const s = granted(tight, 2, H);
    expect(reserveUnderLimits(s, attempt('3rd', T0 + 2 * H), tight)).toMatchObject({
      granted: false,
      rule: 'mastercard_35_declines_in_30_days',
      retryAt: T0 + 30 * D,
    });
  });

  it('an edited file with a lower 24-hour limit refuses sooner', () => {
    const lower = attemptLimitsFor(edited('mastercard_10_declines_in_24h', { max: 3 }), 'mastercard');
    const s = granted(lower, 2, H);
    expect(reserveUnderLimits(s, attempt('3rd', T0 + 2 * H), lower)).toMatchObject({
      granted: false,
      rule: 'mastercard_10_declines_in_24h',
      retryAt: T0 + D,
    });
    expect(reserveUnderLimits(s, attempt('4th', T0 + 3 * H), MC).granted).toBe(true);
  });
});

describe('reserveUnderLimits: blocks, duplicates, windows', () => {
  it("an unknown brand is held to the tightest of every limit: 10 declines in 24 hours, the renewal's included", () => {
    const all = attemptLimitsFor(rules, undefined);
    const s = granted(all, 9, H);
    expect(reserveUnderLimits(s, attempt('10th', T0 + 9 * H), all)).toMatchObject({
      granted: false,
      rule: 'mastercard_10_declines_in_24h',
    });
  });

  it('a blocked card refuses every new key; a retried key is granted again without using room', () => {
    let s = granted(VISA, 2, H);
    s = block(s, 'mastercard_mac_03_21_never', T0 + 2 * H, 30 * D);
    expect(reserveUnderLimits(s, attempt('new', T0 + 3 * H), VISA)).toMatchObject({
      granted: false,
      blockedReason: 'mastercard_mac_03_21_never',
    });
    const again = reserveUnderLimits(s, attempt('m-2900-1', T0 + 3 * H), VISA);
    expect(again).toMatchObject({ granted: true, duplicate: true });
    expect(again.state.entries).toHaveLength(2);
  });

  it('no limits for the card: every attempt is granted and recorded with its amount and currency', () => {
    const r = reserveUnderLimits(emptyLedger(), attempt('k', T0, { currency: 'USD', initiator: 'customer' }), []);
    expect(r).toMatchObject({ granted: true, used: 1, limit: 0 });
    expect(r.state.entries).toEqual([{ key: 'k', at: T0, initiator: 'customer', amount: 2900, currency: 'usd' }]);
  });

  it('a limit counted over more than 30 days keeps its entries that long (an edited file)', () => {
    const long = attemptLimitsFor(edited('visa_reattempts_20_in_30_days', { max: 2, windowHours: 60 * 24 }), 'visa');
    let s = granted(long, 2, D);
    expect(keepMsOf(s)).toBe(60 * D);
    s = prune(s, T0 + 45 * D, keepMsOf(s));
    expect(s.entries).toHaveLength(2);
    expect(nextExpiry(s, keepMsOf(s))).toBe(T0 + 60 * D);
    expect(reserveUnderLimits(s, attempt('3rd', T0 + 45 * D), long)).toMatchObject({ granted: false, retryAt: T0 + 60 * D });
    // The shipped windows keep the ledger's 30 days, as before.
    expect(keepMsOf(granted(VISA, 1, D))).toBe(BUDGET_WINDOW_MS);
    expect(granted(VISA, 1, D).keepMs).toBeUndefined();
  });

  it("the Update's validator refuses malformed limits", () => {
    expect(attemptLimitsProblem(undefined)).toBeUndefined();
    expect(attemptLimitsProblem(VISA)).toBeUndefined();
    expect(attemptLimitsProblem('20')).toBe('limits must be an array');
    expect(attemptLimitsProblem([{ ...VISA[0], max: 1.5 }])).toBe('limits[0].max must be a whole number');
    expect(attemptLimitsProblem([{ ...VISA[0], windowMs: 0 }])).toBe('limits[0].windowMs must be a positive number');
    expect(attemptLimitsProblem([{ ...VISA[0], per: ['merchant'] }])).toMatch(/^limits\[0\]\.per must list only/);
    expect(attemptLimitsProblem(MC)).toBeUndefined();
    expect(attemptLimitsProblem([{ ...MC[0], outsideLedger: -1 }])).toBe('limits[0].outsideLedger must be a whole number');
  });
});

describe('a wait the issuer named (Mastercard MAC 24-30), for every case on the card', () => {
  const MAC_WAIT = 'mastercard_mac_24_30_wait';

  it("the file's wait for each advice code, on a Mastercard or an unknown brand; none for Visa, MAC 03 or no code", () => {
    expect(waitAfterDecline(rules, 'mastercard', { networkAdviceCode: '25' })).toEqual({ rule: MAC_WAIT, ms: D });
    expect(waitAfterDecline(rules, 'mastercard', { networkAdviceCode: '24' })).toEqual({ rule: MAC_WAIT, ms: H });
    expect(waitAfterDecline(rules, undefined, { networkAdviceCode: '30' })).toEqual({ rule: MAC_WAIT, ms: 10 * D });
    expect(waitAfterDecline(rules, 'visa', { networkAdviceCode: '25' })).toBeUndefined();
    expect(waitAfterDecline(rules, 'mastercard', { networkAdviceCode: '3' })).toBeUndefined();
    expect(waitAfterDecline(rules, 'mastercard', {})).toBeUndefined();
  });

  it('refuses every new key until the wait ends (retryAt its end, the rule named), then grants; a retried key is granted', () => {
    let s = granted(MC, 1, H);
    s = blockOnSignal(s, { reason: MAC_WAIT, durationMs: D, kind: 'wait' }, T0 + H);
    expect(s.blocked).toBeUndefined();
    expect(nextExpiry(s)).toBe(T0 + H + D);
    expect(reserveUnderLimits(s, attempt('during', T0 + 5 * H), MC)).toMatchObject({
      granted: false,
      retryAt: T0 + H + D,
      rule: MAC_WAIT,
    });
    expect(reserveUnderLimits(s, attempt('m-2900-0', T0 + 5 * H), MC)).toMatchObject({ granted: true, duplicate: true });
    const after = reserveUnderLimits(s, attempt('after', T0 + H + D), MC);
    expect(after).toMatchObject({ granted: true, duplicate: false });
    expect(after.state.waiting).toBeUndefined();
  });

  it('the case that heard the wait is not held by it (it keeps its own, timed by its own clock); every other case is', () => {
    const s = blockOnSignal(emptyLedger(), { reason: MAC_WAIT, durationMs: D, kind: 'wait', heardBy: 'dunning-in_a' }, T0);
    expect(reserveUnderLimits(s, attempt('dunning-in_a/retry@1', T0 + D - 1), MC)).toMatchObject({ granted: true });
    expect(reserveUnderLimits(s, attempt('dunning-in_b/retry@1', T0 + D - 1), MC)).toMatchObject({
      granted: false,
      retryAt: T0 + D,
    });
    // A prefix is not the case: "dunning-in_ab" is another invoice.
    expect(reserveUnderLimits(s, attempt('dunning-in_ab/retry@1', T0 + H), MC)).toMatchObject({ granted: false });
  });

  it('the longest wait named wins; a wait without a length is ignored; a block still refuses as a block', () => {
    let s = blockOnSignal(emptyLedger(), { reason: MAC_WAIT, durationMs: 4 * D, kind: 'wait' }, T0);
    s = blockOnSignal(s, { reason: MAC_WAIT, durationMs: H, kind: 'wait' }, T0 + H);
    expect(s.waiting).toEqual({ reason: MAC_WAIT, until: T0 + 4 * D });
    expect(blockOnSignal(emptyLedger(), { reason: MAC_WAIT, kind: 'wait' }, T0)).toEqual(emptyLedger());
    s = blockOnSignal(s, { reason: 'mastercard_mac_03_21_never', durationMs: 30 * D }, T0 + 2 * H);
    expect(reserveUnderLimits(s, attempt('x', T0 + 3 * H), MC)).toMatchObject({
      granted: false,
      blockedReason: 'mastercard_mac_03_21_never',
    });
  });
});

describe('the rules file', () => {
  it('agrees with the decline tables the case plans by (domain/declines.ts, in the workflow bundle, which cannot read the file)', () => {
    const byId = Object.fromEntries(rules.rules.map((r) => [r.id, r]));
    const visa1 = byId.visa_category_1_never;
    const mac = byId.mastercard_mac_03_21_never;
    const waits = byId.mastercard_mac_24_30_wait;
    expect(visa1?.kind === 'never_after_decline' && visa1.networkDeclineCodes).toEqual(VISA_CATEGORY_1_CODES);
    const neverMacs = Object.entries(MASTERCARD_MAC_CATEGORIES)
      .filter(([, v]) => v.category === 'never_retry')
      .map(([k]) => k)
      .sort();
    expect(mac?.kind === 'never_after_decline' && [...(mac.networkAdviceCodes ?? [])].sort()).toEqual(neverMacs);
    const hours = Object.fromEntries(Object.entries(MASTERCARD_MAC_RETRY_AFTER_MS).map(([k, ms]) => [k, ms / H]));
    expect(waits?.kind === 'wait_after_advice' && waits.waitHoursByAdviceCode).toEqual(hours);
  });

  it('names each problem with the rule it is in', () => {
    const bad = parseNetworkRules({
      ...rules,
      rules: [...rules.rules, { ...rules.rules[1], kind: 'decline_limit', countedPer: ['card', 'initiator'] }],
    });
    expect(bad).toEqual({
      ok: false,
      errors: [
        "rules.6.countedPer.1 (visa_reattempts_20_in_30_days): Invalid enum value. Expected 'card' | 'amount' | 'currency', received 'initiator'",
      ],
    });
    const twice = parseNetworkRules({ ...rules, rules: [...rules.rules, rules.rules[0]] });
    expect(twice).toEqual({ ok: false, errors: ["rules.6.id (visa_category_1_never): 'visa_category_1_never' twice"] });
  });
});
