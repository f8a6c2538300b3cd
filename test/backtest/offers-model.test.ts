/**
 * The back-test's last-chance offer (backtest/offers.ts, the built-in `default-with-offer`): the
 * model draws what it says, the derived policy is the default plus one offer step per schedule,
 * the report counts saves apart from recoveries, and a run through the shipped workflow ends the
 * accepting customers' cases `saved_by_offer`, changing nothing before the offer.
 */
import { describe, expect, it } from 'vitest';
import { NAMED_ONLY_POLICIES, withLastChanceOffer } from '../../backtest/builtinPolicies';
import { loadCohort } from '../../backtest/cohortFile';
import { generateCohort } from '../../backtest/cohortModel';
import { loadNetworkRules } from '../../backtest/networkRules';
import { OFFER_ACCEPTANCE, offerAcceptance } from '../../backtest/offers';
import { offerCounterfactualLines, summarise, tableRows } from '../../backtest/report';
import { runBacktest } from '../../backtest/run';
import { DEFAULT_POLICY, durationMs } from '../../domain/policy';
import { parsePolicy } from '../../src/policyFile';

const DAY = 86_400_000;
const base = loadCohort();
const cohort = generateCohort(base.params, 7, 20_000, Date.UTC(2027, 0, 4));

describe('the offer model', () => {
  it('accepts at the stated share, the same customers every time, after the cohort’s delay after an email', () => {
    const takers = cohort.filter((c) => offerAcceptance(base.params, 7, c));
    expect(Math.abs(takers.length / cohort.length - OFFER_ACCEPTANCE)).toBeLessThan(0.005);
    expect(cohort.slice(0, 500).map((c) => offerAcceptance(base.params, 7, c))).toEqual(
      cohort.slice(0, 500).map((c) => offerAcceptance(base.params, 7, c)),
    );
    const delays = takers.map((c) => offerAcceptance(base.params, 7, c)!.delayMs / 3_600_000).sort((a, b) => a - b);
    const median = delays[Math.floor(delays.length / 2)]!;
    expect(Math.abs(median - base.params.updateDelay.medianHours) / base.params.updateDelay.medianHours).toBeLessThan(0.15);
    // The share is a parameter: everyone, or no one.
    expect(cohort.slice(0, 100).every((c) => offerAcceptance(base.params, 7, c, 1))).toBe(true);
    expect(cohort.slice(0, 100).some((c) => offerAcceptance(base.params, 7, c, 0))).toBe(false);
  });
});

describe('default-with-offer', () => {
  const policy = withLastChanceOffer(DEFAULT_POLICY);

  it('is the default with one offer step two days before each final notice, valid as a policy file', () => {
    expect(NAMED_ONLY_POLICIES.map((p) => p.name)).toEqual(['default-with-offer', 'default-1.0']);
    const parsed = parsePolicy(JSON.parse(JSON.stringify(policy)));
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
    const schedules = [policy.steps, ...Object.values(policy.byCategory ?? {}).map((o) => o.steps ?? [])];
    expect(schedules.length).toBeGreaterThan(1);
    for (const steps of schedules) {
      const offers = steps.filter((s) => s.action === 'offer');
      expect(offers).toHaveLength(1);
      const final = steps.find((s) => s.action === 'final_notice')!;
      expect(durationMs(final.at)! - durationMs(offers[0]!.at)!).toBe(2 * DAY);
      // Nothing else changed.
      const without = steps.filter((s) => s.action !== 'offer');
      const original = [DEFAULT_POLICY.steps, ...Object.values(DEFAULT_POLICY.byCategory ?? {}).map((o) => o.steps ?? [])];
      expect(original).toContainEqual(without);
    }
    expect(policy.steps.find((s) => s.action === 'offer')).toEqual({
      at: '240h',
      action: 'offer',
      offer: { kind: 'pause', for: '30d', behavior: 'void' },
    });
    expect({ ...policy, steps: undefined, byCategory: undefined }).toEqual({
      ...DEFAULT_POLICY,
      steps: undefined,
      byCategory: undefined,
    });
  });

  it(
    'a run through the shipped workflow: takers end saved_by_offer, counted apart from recoveries; nothing changes before the offer',
    { timeout: 300_000 },
    async () => {
      const rules = loadNetworkRules();
      // Everyone still failing at the offer email takes it: the run must show saves.
      const result = await runBacktest({
        policies: [
          { name: 'default', policy: DEFAULT_POLICY },
          { name: 'default-with-offer', policy },
        ],
        cases: 30,
        seed: 7,
        rules,
        offerAcceptance: 1,
      });
      const [plain, offered] = result.policies as [(typeof result.policies)[0], (typeof result.policies)[0]];
      const states = new Set(offered.cases.map((c) => c.state));
      expect([...states].every((s) => ['recovered', 'exhausted', 'cancelled', 'saved_by_offer'].includes(s))).toBe(true);
      const saved = offered.cases.filter((c) => c.state === 'saved_by_offer');
      expect(saved.length).toBeGreaterThan(0);
      expect(plain.cases.some((c) => c.state === 'saved_by_offer')).toBe(false);
      for (const c of saved) {
        // Applied after the offer email of day 10, never on a paid invoice.
        expect(c.sim.offerAppliedAt! - c.c.failedAt).toBeGreaterThanOrEqual(10 * DAY - 3_600_000);
        expect(c.sim.paidAt).toBeUndefined();
        expect(c.outcome).toBe('offer_pause');
      }
      // Before the offer both policies are the same: every recovery of the default within 9 days is one here too.
      const early = plain.cases.filter((c) => c.state === 'recovered' && c.recoveredAfterMs! < 9 * DAY).map((c) => c.c.id);
      const offeredById = new Map(offered.cases.map((c) => [c.c.id, c]));
      for (const id of early) expect(offeredById.get(id)?.state).toBe('recovered');

      const [sp, so] = [plain, offered].map((p) => summarise(p.name, p.cases, rules, base.params));
      expect(so!.savedByOffer).toBe(saved.length);
      expect(so!.amountWrittenOffByOffer).toBe(saved.reduce((s, c) => s + c.c.amount, 0));
      // Not recovered: the failed invoice was written off, not paid.
      expect(so!.recovered).toBe(offered.cases.filter((c) => c.state === 'recovered').length);
      expect(sp!.savedByOffer).toBe(0);
      const rows = tableRows([sp!, so!]);
      expect(rows.find((r) => r[0] === 'saved by offer (count)')?.slice(1)).toEqual([
        '0 (0.0%)',
        `${saved.length} (${((100 * saved.length) / 30).toFixed(1)}%)`,
      ]);
      const lines = offerCounterfactualLines(result.policies);
      expect(lines).toHaveLength(1);
      const wouldPay = saved.filter((c) => plain.cases.find((p) => p.c.id === c.c.id)?.state === 'recovered').length;
      expect(lines[0]).toContain(
        `the ${saved.length} customers default-with-offer saved by its offer, under default: ${wouldPay} recovered`,
      );
      expect(so!.violations.filter((v) => v.violations > 0)).toEqual([]);
    },
  );
});
