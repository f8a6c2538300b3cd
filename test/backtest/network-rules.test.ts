/**
 * The rules file reads and validates, and the counter counts each rule where it bites and not
 * before: a never-retry code retried, the 21st Visa reattempt, an early retry after a MAC wait,
 * the 11th Mastercard decline in a day.
 */
import { describe, expect, it } from 'vitest';
import { loadNetworkRules, parseNetworkRules } from '../../backtest/networkRules';
import { countViolations, type NetworkTransaction } from '../../backtest/violations';

const rules = loadNetworkRules();
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 26);
const tx = (o: Partial<NetworkTransaction>): NetworkTransaction => ({
  card: 'fp_1',
  brand: 'visa',
  amount: 2900,
  currency: 'usd',
  at: T0,
  initiator: 'merchant',
  initial: false,
  approved: false,
  ...o,
});
const count = (txs: NetworkTransaction[]) => Object.fromEntries(countViolations(rules, txs).map((r) => [r.id, r.violations]));

describe('network rules as data', () => {
  it('the shipped file validates, every rule with a source; a bad one is refused naming the field', () => {
    expect(rules.rules.length).toBeGreaterThanOrEqual(6);
    for (const r of rules.rules) expect(r.sources.length).toBeGreaterThan(0);
    const bad = parseNetworkRules({ ...rules, rules: [{ ...rules.rules[0], sources: [] }] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.join()).toMatch(/rules\.0\.sources/);
  });

  it('Visa category 1: any reattempt after it', () => {
    const first = tx({ initial: true, networkDeclineCode: '43' });
    expect(count([first]).visa_category_1_never).toBe(0);
    expect(count([first, tx({ at: T0 + 72 * HOUR })]).visa_category_1_never).toBe(1);
  });

  it('Visa: the 21st merchant reattempt in 30 days, counted apart from customer retries', () => {
    const txs = [tx({ initial: true, networkDeclineCode: '05' })];
    for (let i = 1; i <= 20; i++) txs.push(tx({ at: T0 + i * HOUR, networkDeclineCode: '05' }));
    txs.push(tx({ at: T0 + 21 * HOUR, initiator: 'customer' }));
    expect(count(txs).visa_reattempts_20_in_30_days).toBe(0);
    txs.push(tx({ at: T0 + 22 * HOUR }));
    expect(count(txs).visa_reattempts_20_in_30_days).toBe(1);
  });

  it('Mastercard: MAC 03 never, MAC 27 waits 4 days, 10 declines per 24 h', () => {
    const mc = (o: Partial<NetworkTransaction>) => tx({ brand: 'mastercard', ...o });
    expect(count([mc({ initial: true, networkAdviceCode: '03' }), mc({ at: T0 + HOUR })]).mastercard_mac_03_21_never).toBe(1);
    const wait = [mc({ initial: true, networkAdviceCode: '27' })];
    expect(count([...wait, mc({ at: T0 + 3 * 24 * HOUR })]).mastercard_mac_24_30_wait).toBe(1);
    expect(count([...wait, mc({ at: T0 + 4 * 24 * HOUR })]).mastercard_mac_24_30_wait).toBe(0);
    const burst = Array.from({ length: 11 }, (_, i) => mc({ at: T0 + i * HOUR, initial: i === 0 }));
    expect(count(burst).mastercard_10_declines_in_24h).toBe(1);
  });
});
