/**
 * The back-test's model of another saved card (backtest/otherCards.ts) draws what it says: the
 * stated share of customers with one, the stated approval, the same answers under every policy.
 */
import { describe, expect, it } from 'vitest';
import { generateCohort } from '../../backtest/cohortModel';
import {
  OTHER_CARD_APPROVAL,
  OTHER_CARD_SHARE,
  hasOtherCard,
  otherCardId,
  otherCardSucceeds,
  savedCardsOf,
} from '../../backtest/otherCards';
import { loadCohort } from '../../backtest/cohortFile';
import { loadNetworkRules } from '../../backtest/networkRules';
import { summarise } from '../../backtest/report';
import { runBacktest } from '../../backtest/run';
import { eligibleOtherCards, readConsent } from '../../domain/otherCards';
import { DEFAULT_POLICY } from '../../domain/policy';

const base = loadCohort();
const cohort = generateCohort(base.params, 7, 20_000, Date.UTC(2027, 0, 4));

describe('the other-card model', () => {
  it('gives the stated share of customers another card, the same one for every policy', () => {
    const share = cohort.filter((c) => hasOtherCard(7, c)).length / cohort.length;
    expect(Math.abs(share - OTHER_CARD_SHARE)).toBeLessThan(0.01);
    expect(cohort.slice(0, 200).map((c) => hasOtherCard(7, c))).toEqual(cohort.slice(0, 200).map((c) => hasOtherCard(7, c)));
  });

  it("approves the other card's charge at the funding-weighted rate", () => {
    const expected =
      base.params.fundingShares.credit * OTHER_CARD_APPROVAL.credit + base.params.fundingShares.debit * OTHER_CARD_APPROVAL.debit;
    const approved = cohort.filter((c) => otherCardSucceeds(base.params, 7, c)).length / cohort.length;
    expect(Math.abs(approved - expected)).toBeLessThan(0.01);
  });

  it('lists the other card with consent for those who have one (and it is eligible), nothing for the others', () => {
    const card = (id: string) => ({ fingerprint: `fp_${id}`, brand: 'visa', last4: '1111' });
    const withCard = cohort.find((c) => hasOtherCard(7, c))!;
    const listed = savedCardsOf(7, withCard, card);
    expect(readConsent(listed.consent).given).toBe(true);
    const exclude = { paymentMethodIds: [`pm_${withCard.id}`], fingerprints: [] };
    expect(eligibleOtherCards(listed.cards, exclude, Date.UTC(2027, 0, 4)).map((c) => c.paymentMethodId)).toEqual([
      otherCardId(withCard),
    ]);
    const without = cohort.find((c) => !hasOtherCard(7, c))!;
    expect(savedCardsOf(7, without, card)).toEqual({ cards: [] });
  });
});

describe('a back-test run with otherCards', () => {
  it('charges the other card through the shipped workflow, inside the network rules', { timeout: 300_000 }, async () => {
    const rules = loadNetworkRules();
    const policy = { ...DEFAULT_POLICY, otherCards: { afterDeclines: 1 } };
    const result = await runBacktest({ policies: [{ name: 'other-cards', policy }], cases: 40, seed: 7, rules });
    const s = summarise('other-cards', result.policies[0]!.cases, rules, base.params);
    const withCard = result.policies[0]!.cases.filter((c) => hasOtherCard(7, c.c)).length;
    expect(withCard).toBeGreaterThan(0);
    // Most of those with another card are recovered by it (approved about 91 %), and no one else is.
    expect(s.byOtherCard).toBeGreaterThan(0);
    expect(s.byOtherCard).toBeLessThanOrEqual(withCard);
    expect(s.violations.filter((v) => v.violations > 0)).toEqual([]);
  });
});
