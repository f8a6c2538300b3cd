/**
 * A 50-case back-test of the shipped workflow on the time-skipping server (it starts its own, so it
 * runs in the `fast` project's process pool without the shared dev server): the default policy
 * breaks no network rule, and every case ends. Then a policy that retries every hour: the card
 * ledger, not the policy, keeps Mastercard's 10 declines in 24 hours, the renewal's included.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../domain/policy';
import { loadNetworkRules } from '../../backtest/networkRules';
import { loadCohort } from '../../backtest/cohortFile';
import { summarise } from '../../backtest/report';
import { runBacktest } from '../../backtest/run';
import { parsePolicy } from '../../src/policyFile';

const HOUR = 3_600_000;

describe('back-test of the shipped workflow', () => {
  it('every case ends, with zero network-rule violations', { timeout: 120_000 }, async () => {
    // The ledger enforces the shipped rules file, as the service's worker does.
    const rules = loadNetworkRules();
    const result = await runBacktest({ policies: [{ name: 'default', policy: DEFAULT_POLICY }], cases: 50, seed: 7, rules });
    const s = summarise('default', result.policies[0]!.cases, rules, loadCohort().params);
    expect(s.cases).toBe(50);
    expect(result.policies[0]!.cases.every((c) => ['recovered', 'exhausted', 'cancelled'].includes(c.state))).toBe(true);
    expect(s.violations.filter((v) => v.violations > 0)).toEqual([]);
    expect(s.recovered).toBeGreaterThan(0);
    // Every case's history was counted: at least its start, signal and first email; priced.
    const actions = result.policies[0]!.cases.map((c) => c.actions);
    expect(Math.min(...actions)).toBeGreaterThanOrEqual(3);
    expect(s.temporal!.actionsPerCase).toBeCloseTo(actions.reduce((a, b) => a + b, 0) / 50, 10);
    expect(s.temporal!.costPerRecoveredDollar).toBeGreaterThan(0);
  });

  it(
    "a policy retrying every hour: the ledger holds a Mastercard to 10 declines in 24 hours, the renewal's included",
    { timeout: 120_000 },
    async () => {
      const parsed = parsePolicy({
        version: 1,
        steps: [
          { at: '0', action: 'email', template: 'payment_failed' },
          ...Array.from({ length: 12 }, (_, i) => ({ at: `${i + 1}h`, action: 'retry' })),
        ],
        endAfter: '3d',
        endAction: 'leave_past_due',
        retryHour: null,
        minRetryGap: '1h',
      });
      if (!parsed.ok) throw new Error(parsed.errors.join('; '));
      const rules = loadNetworkRules();
      const result = await runBacktest({ policies: [{ name: 'hourly', policy: parsed.policy }], cases: 60, seed: 7, rules });
      const s = summarise('hourly', result.policies[0]!.cases, rules, loadCohort().params);
      expect(s.violations.filter((v) => v.violations > 0)).toEqual([]);
      // The limit was reached, not merely unapproached: some Mastercard saw its 10th decline within a day.
      const declinesInADay = result.policies[0]!.cases.filter((c) => c.c.brand === 'mastercard').map(
        (c) => c.sim.txs.filter((t) => !t.approved && t.at - c.c.failedAt < 24 * HOUR).length,
      );
      expect(Math.max(...declinesInADay)).toBe(10);
    },
  );
});
