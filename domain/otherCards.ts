/**
 * Another saved card (issue #23, part 4): after the default card's declines, a case may charge
 * one of the customer's other saved cards, when its policy switches it on (`otherCards`) and the
 * customer has said yes (Stripe customer metadata `dunning_other_cards_consent`). Pure: which cards
 * are eligible, what the consent says, what a policy may ask for. The workflow
 * (workflows/caseOtherCards.ts) carries it out; each card goes through its own ledger (keyed by
 * fingerprint, domain/cardBudgetLedger.ts) like every other charge.
 */

/** The policy's switch; absent (the default): another card is never charged. */
export interface OtherCardsPolicy {
  /**
   * How many declines of the default card come first (the renewal's own decline is the first).
   * A decline that forbids retrying the default card (expired, lost, do_not_try_again) counts as
   * all of them: that card will not be charged again anyway.
   */
  afterDeclines: number;
  /** At most this many other cards are charged in one case (default 1). */
  maxCards?: number;
}

export const DEFAULT_OTHER_CARDS_MAX = 1;
/** More than this and the customer's wallet is being swept, not their consent honoured. */
export const OTHER_CARDS_MAX_LIMIT = 3;
/** The renewal's decline and at most Visa's 20 reattempts: beyond it, nothing is left to wait for. */
export const OTHER_CARDS_AFTER_DECLINES_LIMIT = 21;

/**
 * The Stripe customer metadata key that records the customer's consent to be charged on another
 * saved card. The merchant sets it (their checkout's checkbox, their terms) with the Stripe API or
 * Dashboard. `true`, or the ISO date (or date-time) the consent was given, is consent; an empty or
 * absent key, `false`, is none; anything else is no consent and is shown as a problem.
 */
export const OTHER_CARDS_CONSENT_KEY = 'dunning_other_cards_consent';

export type Consent = { given: true } | { given: false; why: 'no_consent' | 'consent_unreadable'; value?: string };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

export function readConsent(value: string | undefined): Consent {
  const v = value?.trim() ?? '';
  if (v === '' || v.toLowerCase() === 'false') return { given: false, why: 'no_consent' };
  if (v.toLowerCase() === 'true') return { given: true };
  if (ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))) return { given: true };
  return { given: false, why: 'consent_unreadable', value: v.slice(0, 64) };
}

/** A card saved on the customer, as Stripe lists it (`customers.listPaymentMethods`, type card). */
export interface SavedCard {
  paymentMethodId: string;
  fingerprint?: string;
  brand?: string;
  last4?: string;
  /** 1-12 and the four-digit year; a card is valid through the end of that month. */
  expMonth?: number;
  expYear?: number;
}

/** What the case has seen decline, or tried already: never charged as "another card". */
export interface OtherCardExclusions {
  paymentMethodIds: readonly string[];
  fingerprints: readonly string[];
}

/** Valid through the last day of its expiry month (UTC). */
export function isExpired(card: SavedCard, now: number): boolean {
  if (!card.expMonth || !card.expYear) return false;
  return now >= Date.UTC(card.expYear, card.expMonth, 1);
}

/**
 * The other cards worth charging, in Stripe's list order (newest first): never a card that
 * declined in the case or was tried (by payment method and by fingerprint: the same physical card
 * saved twice is the same card), never an expired one (a sure decline that still counts against
 * the networks' limits), and each physical card once.
 */
export function eligibleOtherCards(cards: readonly SavedCard[], exclude: OtherCardExclusions, now: number): SavedCard[] {
  const ids = new Set(exclude.paymentMethodIds);
  const prints = new Set(exclude.fingerprints);
  const out: SavedCard[] = [];
  for (const c of cards) {
    if (ids.has(c.paymentMethodId)) continue;
    if (c.fingerprint && prints.has(c.fingerprint)) continue;
    if (isExpired(c, now)) continue;
    out.push(c);
    if (c.fingerprint) prints.add(c.fingerprint);
    ids.add(c.paymentMethodId);
  }
  return out;
}

/** What is wrong with a policy's `otherCards` (path-prefixed like the others in domain/policy.ts). */
export function otherCardsProblems(o: OtherCardsPolicy | undefined, prefix = ''): string[] {
  if (!o) return [];
  const errors: string[] = [];
  const p = `${prefix}otherCards`;
  if (!Number.isInteger(o.afterDeclines) || o.afterDeclines < 1 || o.afterDeclines > OTHER_CARDS_AFTER_DECLINES_LIMIT) {
    errors.push(`${p}.afterDeclines: must be a whole number 1..${OTHER_CARDS_AFTER_DECLINES_LIMIT} (the renewal's decline is 1)`);
  }
  const max = o.maxCards;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > OTHER_CARDS_MAX_LIMIT)) {
    errors.push(`${p}.maxCards: must be a whole number 1..${OTHER_CARDS_MAX_LIMIT}`);
  }
  return errors;
}
