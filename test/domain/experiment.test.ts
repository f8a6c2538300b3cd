/**
 * Arm assignment (domain/experiment.ts): deterministic per customer, in proportion to the
 * weights, and pinned: a change of the hash would move customers of a running experiment to
 * another arm, so the golden values below must not change.
 */
import { describe, expect, it } from 'vitest';
import { caseStaticDetails, caseSummary } from '../../domain/caseNarrative';
import {
  assignArm,
  assignmentChange,
  assignmentKey,
  customerBucket,
  hash32,
  HOLDOUT_ARM,
  type ExperimentPlan,
} from '../../domain/experiment';

const plan: ExperimentPlan = {
  id: 'more-retries',
  arms: [
    { name: HOLDOUT_ARM, weight: 1 },
    { name: 'eight-in-fourteen', weight: 1 },
  ],
};

describe('assignArm', () => {
  it('gives a customer the same arm every time (every invoice, every process)', () => {
    for (let i = 0; i < 100; i += 1) {
      const id = `cus_${i}`;
      expect(assignArm(plan, id)).toEqual(assignArm({ ...plan, arms: [...plan.arms] }, id));
    }
  });

  it('is pinned: these customers are in these arms for good', () => {
    expect([hash32('cus_A'), hash32('cus_B')]).toEqual([755779143, 2578727628]);
    expect(
      ['cus_Q1', 'cus_Q2', 'cus_Q3', 'cus_Q4', 'cus_Q5', 'cus_Q6', 'cus_Q7', 'cus_Q8'].map((c) => assignArm(plan, c).arm),
    ).toEqual(GOLDEN);
  });

  it('splits customers in proportion to the weights', () => {
    const weighted: ExperimentPlan = {
      id: 'x',
      arms: [
        { name: HOLDOUT_ARM, weight: 2 },
        { name: 'a', weight: 1 },
        { name: 'b', weight: 1 },
      ],
    };
    const counts: Record<string, number> = {};
    const n = 20_000;
    for (let i = 0; i < n; i += 1) {
      const arm = assignArm(weighted, `cus_${i.toString(36)}`).arm;
      counts[arm] = (counts[arm] ?? 0) + 1;
    }
    // Four standard deviations of a binomial count around the expected share.
    expect(Math.abs(counts[HOLDOUT_ARM]! - n / 2)).toBeLessThan(4 * Math.sqrt(n * 0.25));
    expect(Math.abs(counts.a! - n / 4)).toBeLessThan(4 * Math.sqrt(n * 0.1875));
    expect(Math.abs(counts.b! - n / 4)).toBeLessThan(4 * Math.sqrt(n * 0.1875));
  });

  it('draws afresh for a new experiment id', () => {
    let moved = 0;
    for (let i = 0; i < 2000; i += 1) {
      if (assignArm(plan, `cus_${i}`).arm !== assignArm({ ...plan, id: 'next' }, `cus_${i}`).arm) moved += 1;
    }
    expect(moved / 2000).toBeGreaterThan(0.4);
    expect(moved / 2000).toBeLessThan(0.6);
  });

  it('keeps buckets in [0, 1) and refuses weights that add up to nothing', () => {
    for (let i = 0; i < 1000; i += 1) {
      const b = customerBucket('e', `c${i}`);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(1);
    }
    expect(() => assignArm({ id: 'z', arms: [{ name: HOLDOUT_ARM, weight: 0 }] }, 'cus_1')).toThrow(/weights add up to 0/);
  });
});

describe('the Web UI names the arm', () => {
  const opening = { invoiceId: 'in_1', customerId: 'cus_1', amountDue: 2900, currency: 'usd' };
  it('in the summary and the details, and says nothing outside an experiment', () => {
    const experiment = { experimentId: 'more-retries', arm: HOLDOUT_ARM };
    expect(caseSummary({ ...opening, experiment })).toBe('$29.00 USD · in_1 · cus_1 · arm holdout');
    expect(
      caseStaticDetails({ ...opening, experiment })
        .split('\n')
        .at(-1),
    ).toBe('Experiment `more-retries`: arm `holdout` (search attributes DunningExperiment, DunningArm).');
    expect(caseSummary(opening)).toBe('$29.00 USD · in_1 · cus_1');
    expect(caseStaticDetails(opening)).not.toContain('Experiment');
  });
});

const GOLDEN: string[] = ['holdout', 'holdout', 'holdout', 'holdout', 'holdout', 'eight-in-fourteen', 'holdout', 'holdout'];

describe('assignmentChange', () => {
  const plan: ExperimentPlan = {
    id: 'x1',
    arms: [
      { name: HOLDOUT_ARM, weight: 1 },
      { name: 'early', weight: 1 },
    ],
  };

  it('lets the plan run that the id started with, or a first start', () => {
    expect(assignmentChange(plan, undefined)).toBeUndefined();
    expect(assignmentChange(plan, assignmentKey(plan))).toBeUndefined();
  });

  it('refuses other weights or another order under the same id: customers would move between arms', () => {
    const saved = assignmentKey(plan);
    const reweighted = {
      ...plan,
      arms: [
        { name: HOLDOUT_ARM, weight: 1 },
        { name: 'early', weight: 3 },
      ],
    };
    // Some customers really do change arms under the new split.
    const ids = Array.from({ length: 200 }, (_, i) => `cus_${i}`);
    expect(ids.some((id) => assignArm(plan, id).arm !== assignArm(reweighted, id).arm)).toBe(true);
    expect(assignmentChange(reweighted, saved)).toMatch(
      /^experiment x1 started with arms holdout:1,early:1, and is now holdout:1,early:3/,
    );
    expect(assignmentChange({ ...plan, arms: [...plan.arms].reverse() }, saved)).toMatch(/customers would change arms/);
  });
});
