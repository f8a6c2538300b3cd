/**
 * The back-test's answers do not depend on how its batches are spread over test servers: the same
 * seeded cohort run on one server, and on two servers at once that are each replaced after every
 * batch (BacktestOptions.servers, batchesPerServer), gives every case the same ending, charges,
 * emails and time to recovery. That is what lets `npm run bench:backtest` use both cores and
 * fresh servers without changing the table it times.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../domain/policy';
import { loadNetworkRules } from '../../backtest/networkRules';
import { runBacktest, type BacktestResult } from '../../backtest/run';

const outcomes = (r: BacktestResult) =>
  r.policies[0]!.cases.map((c) => ({
    id: c.c.id,
    cause: c.c.cause,
    state: c.state,
    outcome: c.outcome,
    charges: c.charges,
    emails: c.emails,
    recovered: c.recoveredAfterMs !== undefined,
  }));
/** The test server's clock also runs with the wall clock between its jumps: moments agree to within minutes, not to the ms. */
const MINUTES = 10 * 60_000;

describe('back-test: batches spread over servers', () => {
  it('one server, or two at once replaced after each batch: the same answer for every case', { timeout: 240_000 }, async () => {
    const rules = loadNetworkRules();
    const base = { policies: [{ name: 'default', policy: DEFAULT_POLICY }], cases: 9, batch: 3, seed: 11, rules };
    const one = await runBacktest({ ...base, servers: 1, batchesPerServer: 3 });
    const spread = await runBacktest({ ...base, servers: 2, batchesPerServer: 1 });
    expect(outcomes(one)).toHaveLength(9);
    expect(outcomes(spread)).toEqual(outcomes(one));
    const [a, b] = [one, spread].map((r) => r.policies[0]!.cases);
    a!.forEach((c, i) => {
      // Three batches, three moments of the cohort's calendar, whichever server ran them.
      expect(Math.abs(c.c.failedAt - b![i]!.c.failedAt), c.c.id).toBeLessThan(MINUTES);
      if (c.recoveredAfterMs !== undefined)
        expect(Math.abs(c.recoveredAfterMs - b![i]!.recoveredAfterMs!), c.c.id).toBeLessThan(MINUTES);
    });
    expect(new Set(a!.map((c) => Math.round(c.c.failedAt / 86_400_000))).size).toBe(3);
  });
});
