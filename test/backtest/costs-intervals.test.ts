/**
 * The pure parts of the net ranking: what an attempt costs, the 95% interval across seeds, and
 * the table across seeds that ranks policies by net recovered amount.
 */
import { describe, expect, it } from 'vitest';
import { acrossSeeds, acrossSeedsRows } from '../../backtest/acrossSeeds';
import { loadCohort } from '../../backtest/cohortFile';
import { attemptCost, caseCosts, totalCents } from '../../backtest/costs';
import { formatInterval, meanInterval, t975 } from '../../backtest/intervals';
import type { PolicySummary } from '../../backtest/report';
import type { NetworkTransaction } from '../../backtest/violations';

const costs = loadCohort().params;
const tx = (over: Partial<NetworkTransaction>): NetworkTransaction => ({
  card: 'fp',
  brand: 'visa',
  amount: 2900,
  currency: 'usd',
  at: 0,
  initiator: 'merchant',
  initial: false,
  approved: false,
  ...over,
});

describe('attempt costs (base cohort: Stripe 2.9% + 30c on approvals, no decline fee, APF/NABU per attempt, MC MAC fee)', () => {
  it('an approved charge pays the percentage and the fixed fee, plus the network fee by brand and funding', () => {
    expect(attemptCost(costs, tx({ approved: true }), 'credit')).toEqual({
      processorCents: 84.1 + 30,
      networkCents: 1.95,
      adviceFeeCents: 0,
    });
    expect(attemptCost(costs, tx({ approved: true }), 'debit').networkCents).toBe(1.55);
    expect(attemptCost(costs, tx({ approved: true, brand: 'mastercard' }), 'debit').networkCents).toBe(1.95);
  });

  it('a decline pays the per-decline fee and the network fee; a Mastercard 51 with a MAC 24-30 wait pays 2c more', () => {
    expect(attemptCost(costs, tx({ networkDeclineCode: '05' }), 'credit')).toEqual({
      processorCents: 0,
      networkCents: 1.95,
      adviceFeeCents: 0,
    });
    const mc = tx({ brand: 'mastercard', networkDeclineCode: '51', networkAdviceCode: '27' });
    expect(attemptCost(costs, mc, 'credit').adviceFeeCents).toBe(2);
    expect(attemptCost(costs, { ...mc, networkAdviceCode: '03' }, 'credit').adviceFeeCents).toBe(0);
    expect(attemptCost(costs, { ...mc, brand: 'visa' }, 'credit').adviceFeeCents).toBe(0);
    expect(attemptCost({ ...costs, processorFeePerDeclineCents: 10 }, tx({}), 'credit').processorCents).toBe(10);
  });

  it("a case's costs leave out the renewal's own decline and add up its attempts", () => {
    const txs = [tx({ initial: true }), tx({}), tx({}), tx({ approved: true, amount: 10_000 })];
    const c = caseCosts(costs, txs, 'credit');
    expect(c).toEqual({ processorCents: 290 + 30, networkCents: 3 * 1.95, adviceFeeCents: 0 });
    expect(totalCents(c)).toBeCloseTo(325.85, 9);
  });
});

describe('95% intervals across seeds', () => {
  it("uses Student's t: 3 seeds with values 1, 2, 3 give 2 ± 4.303/√3", () => {
    const i = meanInterval([1, 2, 3]);
    expect(i.mean).toBe(2);
    expect(i.high! - i.mean).toBeCloseTo(4.303 / Math.sqrt(3), 9);
    expect(i.mean - i.low!).toBeCloseTo(4.303 / Math.sqrt(3), 9);
  });

  it('gives no interval for one seed, a zero-width one for equal values, and refuses no values', () => {
    expect(meanInterval([5])).toEqual({ n: 1, mean: 5 });
    expect(meanInterval([4, 4, 4])).toEqual({ n: 3, mean: 4, low: 4, high: 4 });
    expect(() => meanInterval([])).toThrow('no values');
  });

  it('t quantiles fall towards 1.96', () => {
    expect(t975(1)).toBe(12.706);
    expect(t975(2)).toBe(4.303);
    expect(t975(1000)).toBe(1.96);
    // Between anchors, never below the exact value (t(35) = 2.030, t(50) = 2.009, t(100) = 1.984).
    expect(t975(35)).toBeGreaterThanOrEqual(2.03);
    expect(t975(50)).toBeGreaterThanOrEqual(2.009);
    expect(t975(100)).toBeGreaterThanOrEqual(1.984);
    expect(t975(40)).toBe(2.021);
    expect(() => t975(0)).toThrow(/degrees of freedom/);
  });

  it('formats as "mean [low, high]"', () => {
    expect(formatInterval(meanInterval([1, 2, 3]), (x) => x.toFixed(1))).toBe('2.0 [-0.5, 4.5]');
    expect(formatInterval(meanInterval([1]), (x) => x.toFixed(1))).toBe('1.0');
  });
});

describe('the table across seeds', () => {
  const summary = (name: string, net: number, rate: number): PolicySummary =>
    ({
      name,
      cases: 100,
      recoveryRate: rate,
      amountRecoveryRate: rate,
      chargesPerCase: 2,
      emailsPerCase: 3,
      daysToRecovery: { p50: 3, p90: 10 },
      violations: [{ id: 'r', violations: 0, feeCents: 0 }],
      feesCents: 0,
      attemptCosts: { processorCents: 100, networkCents: 10, adviceFeeCents: 0 },
      netRecoveredCents: net,
      cumulativeByDay: [0, rate],
    }) as unknown as PolicySummary;

  it('ranks policies by mean net recovered per case and averages each figure over the seeds', () => {
    const a = acrossSeeds([
      { seed: 7, summaries: [summary('a', 100_000, 0.6), summary('b', 120_000, 0.62)] },
      { seed: 8, summaries: [summary('a', 110_000, 0.64), summary('b', 118_000, 0.66)] },
    ]);
    expect(a.map((p) => [p.name, p.rank])).toEqual([
      ['b', 1],
      ['a', 2],
    ]);
    expect(a[1]!.netPerCase.mean).toBe(1050);
    expect(a[1]!.recoveredShare.mean).toBeCloseTo(0.62, 9);
    expect(a[1]!.costPerCase.mean).toBeCloseTo(1.1, 9);
    expect(a[1]!.cumulativeByDay).toEqual([0, 0.62]);
    const rows = acrossSeedsRows(a);
    expect(rows[0]).toEqual(['policy', 'b', 'a']);
    expect(rows.find((r) => r[0] === 'net recovered per case')![2]).toBe('$10.50 [$4.15, $16.85]');
  });

  it('gives the paired difference to a reference policy, seed by seed', () => {
    const a = acrossSeeds(
      [
        { seed: 7, summaries: [summary('fixed', 100_000, 0.6), summary('b', 101_000, 0.61)] },
        { seed: 8, summaries: [summary('fixed', 200_000, 0.7), summary('b', 203_000, 0.73)] },
      ],
      'fixed',
    );
    const b = a.find((p) => p.name === 'b')!;
    expect(b.vsReference!.name).toBe('fixed');
    expect(b.vsReference!.netPerCase.mean).toBe(20);
    expect(b.vsReference!.recoveredShare.mean).toBeCloseTo(0.02, 9);
    expect(a.find((p) => p.name === 'fixed')!.vsReference).toBeUndefined();
    const rows = acrossSeedsRows(a);
    expect(rows.find((r) => r[0] === 'vs fixed: recovered (pts)')).toEqual([
      'vs fixed: recovered (pts)',
      '+2.0 [-10.7, +14.7]',
      '–',
    ]);
    expect(rows.find((r) => r[0] === 'vs fixed: net per case')![1]).toBe('+$0.20 [-$1.07, +$1.47]');
  });

  it('refuses seeds that ran different policies', () => {
    expect(() =>
      acrossSeeds([
        { seed: 7, summaries: [summary('a', 1, 0.5)] },
        { seed: 8, summaries: [summary('b', 1, 0.5)] },
      ]),
    ).toThrow('seed 8 ran b, not a');
  });
});
