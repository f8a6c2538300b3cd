/**
 * Another saved card (domain/otherCards.ts): once the default card has declined as often as the
 * policy's `otherCards.afterDeclines` says, the case looks once at the customer's other saved
 * cards and, with the customer's consent, charges the eligible ones in turn (at most `maxCards`)
 * until one pays. Each charge is the ordinary charge activity with the card named, so it reserves
 * room in that card's own ledger (by fingerprint) under the networks' rules first, and a card
 * whose issuer said never to retry it is refused there without a charge.
 */
import { chargeSummary } from '../domain/caseNarrative';
import { eligibleOtherCards, readConsent, type SavedCard } from '../domain/otherCards';
import { stripe } from './caseActivities';
import type { CaseContext } from './caseContext';

export interface CaseOtherCards {
  /** Looks at the other cards and charges them as the policy allows; true when the invoice is paid. */
  tryThem(): Promise<boolean>;
}

export function caseOtherCards(ctx: CaseContext): CaseOtherCards {
  const { record, inbox, keyPrefix } = ctx;

  /** One charge of `card`; true when paid. Keyed by the card's fingerprint: a card is charged once per case. */
  const charge = async (card: SavedCard): Promise<boolean> => {
    record.chargeStarted();
    const input = {
      invoiceId: record.invoiceId,
      idempotencyKey: `${keyPrefix}/other-card:${card.fingerprint ?? card.paymentMethodId}`,
      paymentMethodId: card.paymentMethodId,
    };
    const summary = chargeSummary(undefined, { kind: 'other_card', brand: card.brand, last4: card.last4 });
    const charged = await ctx
      .call('stripe', () => stripe.retryCharge.executeWithOptions({ summary }, [input]))
      .finally(() => record.chargeEnded());
    if (charged.kind === 'interrupted') return false;
    if (charged.kind !== 'answered') {
      record.recordOtherCardError(card, Date.now(), charged.error);
      return false;
    }
    const verdict = record.applyOtherCardResult(card, charged.value, Date.now());
    if (!verdict.settled && verdict.closedBy) inbox.cancel(verdict.closedBy);
    return verdict.settled;
  };

  return {
    async tryThem() {
      const listed = await ctx.call('stripe', () =>
        stripe.listSavedCards.executeWithOptions({ summary: 'Stripe: the customer’s consent and saved cards' }, [
          record.customerId,
        ]),
      );
      if (listed.kind !== 'answered') {
        record.otherCardsLooked(Date.now(), 'error');
        ctx.publish();
        return false;
      }
      const consent = readConsent(listed.value.consent);
      if (!consent.given) {
        record.otherCardsLooked(Date.now(), consent.why);
        ctx.publish();
        return false;
      }
      const cards = eligibleOtherCards(listed.value.cards, record.otherCardExclusions(), Date.now()).slice(
        0,
        record.otherCardsMax(),
      );
      record.otherCardsLooked(Date.now(), cards.length > 0 ? 'charged' : 'none_eligible', cards.length);
      for (const card of cards) {
        if (await charge(card)) return true;
        // Paid elsewhere, cancelled, or a debit settling meanwhile: the loop takes it from here.
        if (inbox.endingSignaled() || record.isProcessing()) break;
      }
      ctx.publish();
      return false;
    },
  };
}
