/**
 * The back-test's model of the last-chance offer (issue #23, part 5; domain/offers.ts, the policy
 * step `"action": "offer"`): which customers accept it and when. Kept apart from the cohort model
 * (cohortModel.ts), like otherCards.ts; the simulator (simulator.ts) asks it when the case sends
 * its `last_chance_offer` email, and the simulated customer then accepts through the Update the
 * offer page sends (`offerAccepted`). Grades as in cohortModel.ts: [P] primary, [S] secondary,
 * [A] ours.
 *
 * Draws are keyed by (seed, purpose, case): a customer who would accept, accepts under every
 * policy that makes the offer while the case is still open; the policies differ only in whether
 * (and when) they offer.
 */
import { delayAfterEmailMs, type CohortCase } from './cohortModel';
import type { CohortParams } from './cohortParams';
import { uniform } from './prng';

/**
 * Share of the customers still failing when the offer email goes out (day 10 of the default) who
 * take the offer [A]. No published acceptance of an offer made in dunning was found: the figures
 * published are for cancel flows, customers who pressed "cancel" and are on the merchant's page
 * when the offer shows. There, a "good" save rate (any offer) is 15-30 % of sessions and 5-15 %
 * "fair" (LostChurn's docs, lostchurn-docs.pages.dev/docs/cancel-flows/measuring-saves [V]); a
 * small discount alone keeps 1-4 % (Churn Buster's docs, churnbuster.io/docs/discounts [V]). A
 * customer in dunning first has to open an email, after ignoring three that asked for a new card,
 * and did not choose to leave. 5 % is our middle guess in a 2-10 % range, below the cancel flows'
 * "fair" band; the saves scale about linearly with it.
 */
export const OFFER_ACCEPTANCE = 0.05;

/** The model's line in the report. */
export const OFFERS_MODEL = `offers: ${OFFER_ACCEPTANCE * 100}% of customers still failing at the offer email accept it [A], after the cohort's card-update delay after an email; the failed invoice is written off, not recovered`;

/**
 * Whether the customer takes the offer, and after how long: the cohort's delay between an email
 * and the customer acting on it (its `updateDelay`, lognormal), the customer's own draw.
 */
export function offerAcceptance(
  m: CohortParams,
  seed: number,
  c: CohortCase,
  share = OFFER_ACCEPTANCE,
): { delayMs: number } | undefined {
  if (uniform(seed, 'offer-accept', c.index) >= share) return undefined;
  return { delayMs: delayAfterEmailMs(m, uniform(seed, 'offer-delay1', c.index), uniform(seed, 'offer-delay2', c.index)) };
}
