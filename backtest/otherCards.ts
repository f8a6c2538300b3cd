/**
 * The back-test's model of another saved card (issue #23, part 4; domain/otherCards.ts): which
 * customers have another card saved on their Stripe customer, and whether a charge of it goes
 * through. Kept apart from the cohort model (cohortModel.ts) so that each can change on its own;
 * the simulator (simulator.ts) asks it through two hooks: `listSavedCards` and the charge of a
 * card whose id ends `_other`. Grades as in cohortModel.ts: [P] primary, [S] secondary, [A] ours.
 *
 * Draws are keyed by (seed, purpose, case), so a customer has, or has not, another card under
 * every policy compared, and its charge answers the same: the policies differ only in whether
 * they try it.
 */
import type { SavedCard } from '../domain/otherCards';
import type { CohortCase } from './cohortModel';
import type { CohortParams } from './cohortParams';
import { pick, uniform } from './prng';

/**
 * Share of failing customers with another card saved on their Stripe customer, who consented to
 * its use [A]. No published figure was found (searched: Recurly's, FlyCode's, Skio's and LUNA's
 * backup-payment-method pages describe the feature without a share; the Fed's Survey of Consumer
 * Payment Choice counts cards held, not cards saved at one merchant). Most subscription checkouts
 * save one card; a second appears when a customer replaced a card through a portal that keeps the
 * old one, or added a backup when asked. 15 % is our middle guess in a 5-25 % range; consent is
 * folded in (a merchant that asks for it at checkout: about everyone who saved a second card).
 * The effect scales about linearly with it: halve the share, halve the gain.
 */
export const OTHER_CARD_SHARE = 0.15;

/**
 * Approval of a charge of the other card: a card in good standing, charged as any recurring
 * payment. Recurring-transaction decline rates "around 6.0 % for credit cards, 13.0 % for debit
 * cards" in 2022 (Recurly, State of Subscriptions, quoted on
 * https://recurly.com/product/backup-payment-method/ [S]); its funding is drawn from the cohort's
 * credit/debit split (the cohort file's `fundingShares`, Recurly [P]).
 */
export const OTHER_CARD_APPROVAL = { credit: 0.94, debit: 0.87 } as const;

/** The model's line in the report. */
export const OTHER_CARDS_MODEL = `other cards: ${OTHER_CARD_SHARE * 100}% of customers have another saved card and consented [A]; approved ${OTHER_CARD_APPROVAL.credit * 100}% credit / ${OTHER_CARD_APPROVAL.debit * 100}% debit [S]`;

export const hasOtherCard = (seed: number, c: CohortCase): boolean => uniform(seed, 'other-card', c.index) < OTHER_CARD_SHARE;

/** The simulated payment method id of a case's other card. */
export const otherCardId = (c: CohortCase): string => `pm_${c.id}_other`;
export const isOtherCard = (paymentMethodId: string): boolean => paymentMethodId.endsWith('_other');

/** A charge of the case's other card goes through (the same answer under every policy). */
export function otherCardSucceeds(m: CohortParams, seed: number, c: CohortCase): boolean {
  const funding = pick(m.fundingShares, uniform(seed, 'other-card-funding', c.index));
  return uniform(seed, 'other-card-charge', c.index) < OTHER_CARD_APPROVAL[funding];
}

/**
 * What Stripe would list for the customer: their default card and, for those who have one, the
 * other card (with consent recorded); nothing for the others (the activity reads no cards
 * without consent).
 */
export function savedCardsOf(
  seed: number,
  c: CohortCase,
  card: (paymentMethodId: string) => { fingerprint?: string; brand?: string; last4?: string },
): { consent?: string; cards: SavedCard[] } {
  if (!hasOtherCard(seed, c)) return { cards: [] };
  const listed = (id: string): SavedCard => ({ paymentMethodId: id, ...card(id), expMonth: 12, expYear: 2099 });
  return { consent: 'true', cards: [listed(otherCardId(c)), listed(`pm_${c.id}`)] };
}
