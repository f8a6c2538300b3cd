/**
 * The last-chance offer (issue #23, part 5): what a policy's `offer` step may propose to a customer
 * whose payment keeps failing, instead of losing them at the end action: a pause of collection, a
 * coupon, or a cheaper price. Pure (imported by workflow code and the edge): the offer's shape, its
 * rules, and the idempotency keys of the Stripe calls that apply it.
 *
 * What an accepted offer does at Stripe (activities/stripe/applyOffer.ts), and why:
 * - the subscription changes: `pause_collection` (behaviour and length from the policy), a discount
 *   added to `discounts` (the ones it had are kept), or its single item moved to the cheaper price
 *   with `proration_behavior: 'none'` (no credit is due for a period that was never paid);
 * - the failed invoice, which none of these can change (it is finalized) and a pause does not
 *   settle, is closed as the policy says (`failedInvoice`): `mark_uncollectible` (the default: the
 *   debt stays in Stripe's reports as bad debt and the customer may still pay it on its hosted page)
 *   or `void` (forgiven: it leaves the revenue reports). Left open, Stripe's own collection, which the
 *   case hands back at its end, would charge the card again and contradict the offer.
 */

/** Stripe's `pause_collection[behavior]`: what happens to the invoices made while paused. */
export const PAUSE_BEHAVIORS = ['void', 'mark_uncollectible', 'keep_as_draft'] as const;
export type PauseBehavior = (typeof PAUSE_BEHAVIORS)[number];

/** What becomes of the failed invoice once the offer is applied (see above). */
export const FAILED_INVOICE_TREATMENTS = ['mark_uncollectible', 'void'] as const;
export type FailedInvoiceTreatment = (typeof FAILED_INVOICE_TREATMENTS)[number];

export const OFFER_KINDS = ['pause', 'coupon', 'downgrade'] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];

interface OfferCommon {
  /** Default `mark_uncollectible`. */
  failedInvoice?: FailedInvoiceTreatment;
}

/** Pause collection for `for` (a policy duration, '30d'); `behavior` default `void` (nothing billed meanwhile). */
export interface PauseOffer extends OfferCommon {
  kind: 'pause';
  for: string;
  behavior?: PauseBehavior;
}

/**
 * A Stripe coupon (its id) added to the subscription's discounts. `percentOff`/`months` only word
 * the email and the page ("50% off for 3 months"); Stripe's coupon is what applies, so they must say
 * what it does.
 */
export interface CouponOffer extends OfferCommon {
  kind: 'coupon';
  coupon: string;
  percentOff?: number;
  months?: number;
}

/** The subscription's single item moved to `price` (a Stripe price id); `planName` words the email. */
export interface DowngradeOffer extends OfferCommon {
  kind: 'downgrade';
  price: string;
  planName?: string;
}

export type Offer = PauseOffer | CouponOffer | DowngradeOffer;

export const failedInvoiceTreatment = (o: Offer): FailedInvoiceTreatment => o.failedInvoice ?? 'mark_uncollectible';
export const pauseBehavior = (o: PauseOffer): PauseBehavior => o.behavior ?? 'void';

/** Pause lengths a customer can be offered: at least a day, at most a year. */
export const MIN_PAUSE_MS = 86_400_000;
export const MAX_PAUSE_MS = 366 * 86_400_000;

/** A coupon id as Stripe takes them; a price id as Stripe makes them. */
const COUPON_ID = /^[A-Za-z0-9_-]{1,200}$/;
const PRICE_ID = /^price_[A-Za-z0-9]{1,200}$/;

/** What is wrong with one offer (`at`: its path in the policy, for the messages). */
export function offerProblems(o: Offer, at: string, durationMs: (s: string) => number | undefined): string[] {
  const errors: string[] = [];
  switch (o.kind) {
    case 'pause': {
      const ms = durationMs(o.for);
      if (ms === undefined) errors.push(`${at}.for: '${o.for}' is not a duration like '30d'`);
      else if (ms < MIN_PAUSE_MS || ms > MAX_PAUSE_MS) errors.push(`${at}.for: '${o.for}' must be between '1d' and '366d'`);
      break;
    }
    case 'coupon':
      if (!COUPON_ID.test(o.coupon))
        errors.push(`${at}.coupon: '${o.coupon}' is not a Stripe coupon id (letters, digits, '-' and '_')`);
      break;
    case 'downgrade':
      if (!PRICE_ID.test(o.price)) errors.push(`${at}.price: '${o.price}' is not a Stripe price id ('price_…')`);
      break;
  }
  return errors;
}

/**
 * The idempotency keys of the two Stripe calls an accepted offer makes, from the case's key prefix
 * and the offer step. Stripe names the subscription's in the `customer.subscription.updated` it
 * sends back, which is then known as the case's own change (a pause the customer accepted), not
 * the business pausing collection behind the case's back.
 */
const OFFER_SUBSCRIPTION_SUFFIX = '/offer-subscription';
export const offerSubscriptionKey = (stepKey: string): string => `${stepKey}${OFFER_SUBSCRIPTION_SUFFIX}`;
export const offerInvoiceKey = (stepKey: string): string => `${stepKey}/offer-invoice`;
export const isOwnOfferUpdate = (idempotencyKey: string | null | undefined): boolean =>
  idempotencyKey?.endsWith(OFFER_SUBSCRIPTION_SUFFIX) ?? false;

/** Why an offer cannot be accepted now. */
export type OfferRefusal =
  | 'case_over' // the case ended (the page shows how)
  | 'not_offered' // the case made no offer (yet): a link we did not send
  | 'processing' // a bank debit is settling: the invoice may be paid in days
  | 'failed'; // Stripe refused it once already: the case goes on without it

export interface OfferNotPossible {
  allowed: false;
  reason: OfferRefusal;
}

/** The customer's acceptance (the page's POST): `requestId` is the form's nonce, the Update's id. */
export interface OfferRequest {
  requestId: string;
}

/** The answer of the `offerAccepted` Update. */
export type OfferOutcome =
  | { outcome: 'applied'; offer: Offer; resumesAt?: string }
  /** Stripe refused it (a coupon or price that does not exist, say): recorded, the case goes on. */
  | { outcome: 'failed'; error: string }
  | { outcome: 'not_possible'; reason: OfferRefusal };

/** In `status.offer`: what the case offered, when, and what came of it. */
export interface OfferStatus {
  offer: Offer;
  offeredAt: string;
  appliedAt?: string;
  /** A pause: when Stripe collects again. */
  resumesAt?: string;
  error?: string;
}
