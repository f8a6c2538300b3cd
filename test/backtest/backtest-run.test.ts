/**
 * A 50-case back-test of the shipped workflow on the time-skipping server (it starts its own, so it
 * runs in the `fast` project's process pool without the shared dev server): the default policy
 * breaks no network rule, and every case ends.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../domain/policy';
import { loadNetworkRules } from '../../backtest/networkRules';
import { summarise } from '../../backtest/report';
import { runBacktest } from '../../backtest/run';

describe('back-test: 50 cases, the default policy', () => {
  it('every case ends, with zero network-rule violations', { timeout: 120_000 }, async () => {
    // The ledger enforces the shipped rules file, as the service's worker does.
    const rules = loadNetworkRules();
    const result = await runBacktest({ policies: [{ name: 'default', policy: DEFAULT_POLICY }], cases: 50, seed: 7, rules });
    const s = summarise('default', result.policies[0]!.cases, rules);
    expect(s.cases).toBe(50);
    expect(result.policies[0]!.cases.every((c) => ['recovered', 'exhausted', 'cancelled'].includes(c.state))).toBe(true);
    expect(s.violations.filter((v) => v.violations > 0)).toEqual([]);
    expect(s.recovered).toBeGreaterThan(0);
  });
});
