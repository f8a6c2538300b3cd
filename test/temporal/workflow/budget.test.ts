/**
 * Visa's Excessive Reattempts rule across cases: five customers pay with the same physical card
 * (the sandbox derives a card's fingerprint from its number, so one test card is one fingerprint),
 * all five renewals fail at once, and the policy asks for a retry every day. The per-card ledger
 * workflow lets at most 20 (merchant-initiated) reattempts through in 30 days (the rules file's limit); every other planned retry is recorded
 * as `skipped_budget` and never reaches the card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardBudgetWorkflowId, ledgerQuery } from '../../../domain/cardBudgetMessages';
import { loadNetworkRules } from '../../../src/networkRulesFile';
import type { PolicyStep } from '../../../domain/policy';
import { parsePolicy } from '../../../src/policyFile';
import type { DunningStatus } from '../../../domain/types';
import { DAY, HOUR, startHarness, until, type Case, type Harness } from './harness';

// The live ledger's limit is the rules file's (policies/network-rules.json), not a constant.
const visaLimit = loadNetworkRules().rules.find((r) => r.id === 'visa_reattempts_20_in_30_days');
if (visaLimit?.kind !== 'reattempt_limit') throw new Error('the rules file has no Visa reattempt limit');
const VISA_MAX_REATTEMPTS = visaLimit.max;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const RETRY_DAYS = 12;

describe('Visa budget shared by every case on one card', () => {
  it("five concurrent cases never charge the card more than Visa's 20 times in 30 days", async () => {
    const steps: PolicyStep[] = [
      { at: '0', action: 'email', template: 'payment_failed' },
      ...Array.from({ length: RETRY_DAYS }, (_, i): PolicyStep => ({ at: `${i + 1}d`, action: 'retry' })),
      { at: '13d', action: 'final_notice' },
    ];
    // A valid policy on its own (12 retries per case, under 20), but not five times over.
    const parsed = parsePolicy({ version: 1, steps, endAfter: '14d', endAction: 'leave_past_due' });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));

    const t0 = await h.advanceToDayOfMonth(3, 12);
    const cases: Case[] = [];
    for (let i = 0; i < 5; i++) {
      cases.push(
        await h.startCase({
          decline: 'pm_card_chargeDeclinedProcessingError',
          policy: parsed.policy,
          record: i === 0 ? 'budget-shared-card' : undefined,
        }),
      );
    }
    const fingerprints = new Set(
      await Promise.all(
        cases.map(async (c) => (await h.stripe.paymentMethods.retrieve(c.scenario.paymentMethodId)).card?.fingerprint),
      ),
    );
    expect(fingerprints.size).toBe(1);
    const [fingerprint] = [...fingerprints];
    expect(new Set(cases.map((c) => c.scenario.customerId)).size).toBe(5);
    for (const c of cases) await until(async () => ((await c.status()).emails.length === 1 ? true : undefined), 'first emails');

    // A bounded skip past the cases' end. Not result(): every wait on a result lets the test server
    // skip on to the next timer anywhere, here the ledger's 30-day window, which would empty it.
    await h.advanceTo(t0 + 14 * DAY + HOUR);
    const statuses: DunningStatus[] = [];
    for (const c of cases) {
      const s = await c.status();
      expect(s).toMatchObject({ state: 'exhausted', outcome: 'leave_past_due' });
      statuses.push(s);
    }

    const wanted = cases.length * RETRY_DAYS;
    const all = statuses.flatMap((s) => s.attempts);
    expect(all).toHaveLength(wanted);
    expect(all.every((a) => a.trigger === 'schedule')).toBe(true);
    const declined = all.filter((a) => a.outcome === 'declined');
    const skipped = all.filter((a) => a.outcome === 'skipped_budget');
    expect(declined).toHaveLength(VISA_MAX_REATTEMPTS);
    expect(skipped).toHaveLength(wanted - VISA_MAX_REATTEMPTS);

    // The card itself: exactly the granted reattempts reached it, all within one 30-day window.
    const charges = (await h.charges()).filter((c) => c.fingerprint === fingerprint);
    expect(charges).toHaveLength(VISA_MAX_REATTEMPTS);
    const span = Math.max(...declined.map((a) => Date.parse(a.at))) - Math.min(...declined.map((a) => Date.parse(a.at)));
    expect(span).toBeLessThan(30 * DAY);
    // Once the budget is spent, no case gets another charge through: every skip comes after the last charge.
    const lastCharge = Math.max(...declined.map((a) => Date.parse(a.at)));
    const firstSkip = Math.min(...skipped.map((a) => Date.parse(a.at)));
    expect(firstSkip).toBeGreaterThanOrEqual(lastCharge - 60_000);

    // The ledger agrees.
    const ledgerHandle = h.env.client.workflow.getHandle(cardBudgetWorkflowId(h.taskQueue, fingerprint!));
    const ledger = await ledgerHandle.query(ledgerQuery);
    h.record('card-ledger-visa-limit', ledgerHandle);
    expect(ledger.entries).toHaveLength(VISA_MAX_REATTEMPTS);
    expect(new Set(ledger.entries.map((e) => e.key)).size).toBe(VISA_MAX_REATTEMPTS);
  });
});
