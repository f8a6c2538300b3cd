/**
 * What a decline tells the card's ledger (activities/stripe/retryCharge.ts `tellLedger`, used by
 * the charge activity and by the back-test's simulated Stripe): "never retry" blocks the card for
 * the rule's window, a wait the issuer named holds it for that long, anything else says nothing.
 */
import { describe, expect, it } from 'vitest';
import { tellLedger, type CardLedger } from '../../activities/stripe/retryCharge';
import type { CardFacts, DeclineDetails } from '../../domain/providerTypes';
import { loadNetworkRules } from '../../src/networkRulesFile';

const HOUR = 3_600_000;
const card: CardFacts = { paymentMethodId: 'pm_1', fingerprint: 'fp_1', brand: 'mastercard' };

async function told(decline: DeclineDetails, withRules = true): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const ledger: CardLedger = {
    reserve: async () => ({ granted: true }),
    block: async (...args) => void calls.push(args),
    networkRules: withRules ? loadNetworkRules() : undefined,
  };
  await tellLedger(ledger, card, decline, 'dunning-in_1/retry@2026-01-01T10:00:00.000Z');
  return calls;
}

describe('tellLedger', () => {
  it('Mastercard MAC 25: a 24-hour wait; MAC 24: one hour', async () => {
    const mac = (code: string): DeclineDetails => ({
      code: 'card_declined',
      declineCode: 'do_not_honor',
      networkAdviceCode: code,
      cardBrand: 'mastercard',
    });
    // Heard by this case, which keeps its own wait: the ledger holds the others.
    const heardBy = { heardBy: 'dunning-in_1' };
    expect(await told(mac('25'))).toEqual([[card, 'mastercard_mac_24_30_wait', 24 * HOUR, heardBy]]);
    expect(await told(mac('24'))).toEqual([[card, 'mastercard_mac_24_30_wait', HOUR, heardBy]]);
  });

  it("Mastercard MAC 03: a block for the rule's 30 days, not a wait", async () => {
    const calls = await told({
      code: 'card_declined',
      declineCode: 'do_not_honor',
      networkAdviceCode: '03',
      cardBrand: 'mastercard',
    });
    // The decline tables' reason names it; the rules file gives the window.
    expect(calls).toEqual([[card, 'mac_03_do_not_try_again', 720 * HOUR]]);
  });

  it('without a rules file a named wait says nothing to the ledger (the case keeps its own wait); a plain decline never does', async () => {
    expect(
      await told({ code: 'card_declined', declineCode: 'do_not_honor', networkAdviceCode: '25', cardBrand: 'mastercard' }, false),
    ).toEqual([]);
    expect(await told({ code: 'card_declined', declineCode: 'insufficient_funds', cardBrand: 'mastercard' })).toEqual([]);
  });
});
