/**
 * backtest/temporalCost.ts and the report's rows built on it: a case's Temporal actions at Temporal
 * Cloud's list price, and the cost per recovered dollar (actions plus the attempts' fees).
 */
import { describe, expect, it } from 'vitest';
import { loadCohort } from '../../backtest/cohortFile';
import { loadNetworkRules } from '../../backtest/networkRules';
import { summarise, tableRows } from '../../backtest/report';
import { actionsCents, costPerRecoveredDollar, TEMPORAL_ACTION_PRICE } from '../../backtest/temporalCost';

describe("a case's Temporal actions, priced", () => {
  it('prices actions per million, in cents', () => {
    expect(TEMPORAL_ACTION_PRICE.usdPerMillion).toBe(50);
    expect(TEMPORAL_ACTION_PRICE.checkedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(actionsCents(1_000_000)).toBe(5000); // $50
    expect(actionsCents(19)).toBeCloseTo(0.095, 10); // the scheduled-retry path: under a tenth of a cent
    expect(actionsCents(1_000_000, 25)).toBe(2500);
  });

  it('divides cost by the amount recovered; nothing recovered has no ratio', () => {
    expect(costPerRecoveredDollar(50, 10_000)).toBe(0.005);
    expect(costPerRecoveredDollar(50, 0)).toBeNull();
  });

  it('adds the rows to the report, and leaves them out for run files written before them', () => {
    const s = summarise('none', [], loadNetworkRules(), loadCohort().params);
    expect(s.temporal).toEqual({ actionsPerCase: 0, actionsCents: 0, costPerRecoveredDollar: null });
    const labels = (rows: string[][]) => rows.map((r) => r[0]);
    expect(labels(tableRows([s]))).toEqual(
      expect.arrayContaining(['Temporal actions per case', 'Temporal actions cost', 'cost per recovered dollar']),
    );
    expect(tableRows([s]).find((r) => r[0] === 'cost per recovered dollar')).toEqual(['cost per recovered dollar', '–']);
    const old = { ...s, temporal: undefined };
    expect(labels(tableRows([old, s]))).not.toContain('cost per recovered dollar');
  });
});
