/**
 * Decline classification: turns Stripe's decline facts into one of our categories.
 *
 * Pure and deterministic (imported by workflow code). Every table row says which rule it encodes.
 * Sources:
 *  - Stripe decline codes and advice codes: https://docs.stripe.com/declines/codes,
 *    https://docs.stripe.com/declines/card#retrying-issuer-declines
 *  - Visa decline categories and the Excessive Reattempts rule (category 1 never retried), as
 *    relayed by acquirers, e.g. https://support.cardpointe.com/compliance/visa-decline-rules,
 *    https://support.forte.net/support/solutions/articles/11000097635. The limits themselves are
 *    the card ledger's, from policies/network-rules.json; that file's never-retry and wait codes
 *    are checked against these tables (test/domain/network-rules.test.ts), which the case plans by
 *    inside its workflow, where the file cannot be read.
 *  - Mastercard Merchant Advice Codes (MAC) 01-30, e.g.
 *    https://developer.paypal.com/braintree/docs/reference/general/merchant-responses/merchant-advice-codes
 */
import type { DeclineCategory, DeclineFacts } from './types';

export interface DeclineClassification {
  category: DeclineCategory;
  /** Short machine reason, e.g. `insufficient_funds`, `mac_03_do_not_try_again`, `visa_category_1`. */
  reason: string;
  /** May the SAME card be retried automatically. */
  retryable: boolean;
  /**
   * Exact wait before the next attempt on this card: Mastercard MAC 24-30 (and Stripe's own
   * `card_decline_rate_limit_exceeded`). Only set when the category is retryable.
   */
  networkRetryAfterMs?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Categories whose card may be retried automatically. The others need the customer to act. */
export const RETRYABLE_CATEGORIES: readonly DeclineCategory[] = ['insufficient_funds', 'temporary', 'unknown'];

export function isRetryableCategory(category: DeclineCategory): boolean {
  return RETRYABLE_CATEGORIES.includes(category);
}

/** Strongest first: a never-retry signal anywhere in the facts wins over everything else. */
export const CATEGORY_PRECEDENCE: readonly DeclineCategory[] = [
  'never_retry',
  'authentication',
  'payment_method',
  'insufficient_funds',
  'temporary',
  'unknown',
];

interface Signal {
  category: DeclineCategory;
  reason: string;
  retryAfterMs?: number;
}

/**
 * Stripe `decline_code` values, and the Stripe error `code` values that name a decline
 * (`expired_card`, `incorrect_cvc`, ...). Keys are shared: Stripe uses the same word in both.
 * `card_declined` (the generic error code) carries no information and is absent on purpose.
 */
export const STRIPE_CODE_CATEGORIES: Readonly<Record<string, DeclineCategory>> = {
  // Money is missing, not the card: retry, ideally just after the customer is paid.
  insufficient_funds: 'insufficient_funds',
  card_velocity_exceeded: 'insufficient_funds', // balance or credit limit reached
  withdrawal_count_limit_exceeded: 'insufficient_funds', // balance or credit limit reached

  // The issuer or network could not answer now: Stripe says "try again".
  processing_error: 'temporary',
  try_again_later: 'temporary',
  issuer_not_available: 'temporary',
  reenter_transaction: 'temporary',
  approve_with_id: 'temporary', // Stripe: "the payment should be attempted again"
  duplicate_transaction: 'temporary', // an identical charge was just submitted: wait, then try again
  card_decline_rate_limit_exceeded: 'temporary', // Stripe blocks the card for 24 h (see below)

  // The card itself is wrong or unusable: never retry the same card, ask for a new one.
  expired_card: 'payment_method',
  incorrect_number: 'payment_method',
  invalid_number: 'payment_method',
  incorrect_cvc: 'payment_method',
  invalid_cvc: 'payment_method',
  invalid_expiry_month: 'payment_method',
  invalid_expiry_year: 'payment_method',
  incorrect_zip: 'payment_method', // billing details must be corrected by the customer
  incorrect_pin: 'payment_method',
  invalid_pin: 'payment_method',
  pin_try_exceeded: 'payment_method',
  lost_card: 'payment_method',
  stolen_card: 'payment_method',
  pickup_card: 'payment_method',
  card_not_supported: 'payment_method',
  currency_not_supported: 'payment_method',
  invalid_account: 'payment_method',
  new_account_information_available: 'payment_method',
  restricted_card: 'payment_method',
  transaction_not_allowed: 'payment_method',
  not_permitted: 'payment_method',
  service_not_allowed: 'payment_method',
  testmode_decline: 'payment_method', // a test card used in live mode: it will never work

  // The customer must authenticate (3-D Secure / SCA) on a session of their own.
  authentication_required: 'authentication',
  payment_intent_authentication_failure: 'authentication',
  offline_pin_required: 'authentication',
  online_or_offline_pin_required: 'authentication',

  // The cardholder or issuer has stopped this merchant, or fraud: retrying is prohibited.
  do_not_try_again: 'never_retry', // deprecated decline code, now advice_code do_not_try_again
  stop_payment_order: 'never_retry', // Visa R0
  revocation_of_authorization: 'never_retry', // Visa R1
  revocation_of_all_authorizations: 'never_retry', // Visa R3
  merchant_blacklist: 'never_retry',
  fraudulent: 'never_retry',

  // The issuer said no without a reason: cautious, fewer retries.
  generic_decline: 'unknown',
  do_not_honor: 'unknown',
  call_issuer: 'unknown',
  no_action_taken: 'unknown',
  invalid_amount: 'unknown',
  security_violation: 'unknown', // Stripe: the customer should ask the issuer why
};

/** Stripe `advice_code` (https://docs.stripe.com/declines/card#retrying-issuer-declines). */
export const STRIPE_ADVICE_CATEGORIES: Readonly<Record<string, DeclineCategory>> = {
  do_not_try_again: 'never_retry', // "do not try again": further attempts may incur network fees
  confirm_card_data: 'payment_method', // the customer must update the card details
  try_again_later: 'temporary', // "try again later": the issuer may approve a later attempt
};

/** Mastercard Merchant Advice Codes without a wait. */
export const MASTERCARD_MAC_CATEGORIES: Readonly<Record<string, { category: DeclineCategory; reason: string }>> = {
  '01': { category: 'payment_method', reason: 'mac_01_new_account_information' }, // updated card exists
  '02': { category: 'temporary', reason: 'mac_02_try_again_later' }, // cannot approve at this time
  '03': { category: 'never_retry', reason: 'mac_03_do_not_try_again' }, // retries draw Mastercard fees
  '21': { category: 'never_retry', reason: 'mac_21_payment_cancelled' }, // cardholder stopped recurring payments
};

/** Mastercard MAC 24-30: the issuer names the exact wait before the next attempt. */
export const MASTERCARD_MAC_RETRY_AFTER_MS: Readonly<Record<string, number>> = {
  '24': 1 * HOUR,
  '25': 24 * HOUR,
  '26': 2 * DAY,
  '27': 4 * DAY,
  '28': 6 * DAY,
  '29': 8 * DAY,
  '30': 10 * DAY,
};

/**
 * Visa decline category 1, "issuer will never approve": any reattempt is an excessive
 * reattempt and draws a fee (Visa Excessive Reattempts rule, April 2022). The list is the current
 * one (04, 07, 12, 14, 15, 41, 43, 46, 57, R0, R1, R3); older acquirer notices also list 03, 62,
 * 78, 93 or put 14 in category 3.
 */
export const VISA_CATEGORY_1_CODES: readonly string[] = ['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3'];

/**
 * Network (ISO 8583) response codes that say more than the Stripe code does. Visa category 2
 * ("cannot approve at this time", retry allowed) and category 3 ("cannot approve with these
 * details") codes; for non-Visa cards the category-1 codes fall back to their plain meaning here.
 */
export const NETWORK_CODE_CATEGORIES: Readonly<Record<string, { category: DeclineCategory; reason: string }>> = {
  // Visa category 2: no money now.
  '51': { category: 'insufficient_funds', reason: 'network_51_insufficient_funds' },
  '61': { category: 'insufficient_funds', reason: 'network_61_exceeds_amount_limit' },
  '65': { category: 'insufficient_funds', reason: 'network_65_exceeds_frequency_limit' },
  // Visa category 2: the issuer or switch could not answer.
  '19': { category: 'temporary', reason: 'network_19_reenter_transaction' },
  '91': { category: 'temporary', reason: 'network_91_issuer_unavailable' },
  '96': { category: 'temporary', reason: 'network_96_system_malfunction' },
  // Visa category 3: the card details are wrong or the card is unusable.
  '54': { category: 'payment_method', reason: 'network_54_expired_card' },
  '55': { category: 'payment_method', reason: 'network_55_incorrect_pin' },
  N7: { category: 'payment_method', reason: 'network_n7_cvv2_failure' },
  '62': { category: 'payment_method', reason: 'network_62_restricted_card' },
  // Visa category 3 "additional customer authentication required" (1A).
  '1A': { category: 'authentication', reason: 'network_1a_authentication_required' },
  // Plain ISO meaning of Visa's category-1 codes, for other networks: the card is unusable.
  '04': { category: 'payment_method', reason: 'network_04_pickup_card' },
  '07': { category: 'payment_method', reason: 'network_07_pickup_card_special' },
  '14': { category: 'payment_method', reason: 'network_14_invalid_card_number' },
  '41': { category: 'payment_method', reason: 'network_41_lost_card' },
  '43': { category: 'payment_method', reason: 'network_43_stolen_card' },
  '46': { category: 'payment_method', reason: 'network_46_closed_account' },
  '57': { category: 'payment_method', reason: 'network_57_not_permitted' },
};

const norm = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t ? t : undefined;
};

/** Visa rules apply when the brand is Visa, or unknown: a wrongly retried category-1 code costs a fee. */
const isVisaOrUnknown = (brand: string | undefined): boolean => brand === undefined || brand.toLowerCase() === 'visa';

function collectSignals(f: DeclineFacts): Signal[] {
  const signals: Signal[] = [];
  const declineCode = norm(f.declineCode)?.toLowerCase();
  const code = norm(f.code)?.toLowerCase();
  const advice = norm(f.adviceCode)?.toLowerCase();
  const mac = norm(f.networkAdviceCode);
  const network = norm(f.networkDeclineCode)?.toUpperCase();
  const brand = norm(f.cardBrand);

  for (const c of [declineCode, code]) {
    const category = c === undefined ? undefined : STRIPE_CODE_CATEGORIES[c];
    if (c !== undefined && category) {
      signals.push({
        category,
        reason: c,
        // Stripe blocks further attempts on this card for 24 hours.
        retryAfterMs: c === 'card_decline_rate_limit_exceeded' ? 24 * HOUR : undefined,
      });
    }
  }
  if (advice !== undefined) {
    const category = STRIPE_ADVICE_CATEGORIES[advice];
    if (category) signals.push({ category, reason: `advice_${advice}` });
  }
  if (mac !== undefined) {
    const key = mac.padStart(2, '0');
    const fixed = MASTERCARD_MAC_CATEGORIES[key];
    if (fixed) signals.push({ ...fixed });
    const wait = MASTERCARD_MAC_RETRY_AFTER_MS[key];
    if (wait !== undefined) {
      // The wait keeps whatever category the other codes give; alone it means "temporary".
      signals.push({ category: 'temporary', reason: `mac_${key}_retry_after`, retryAfterMs: wait });
    }
  }
  if (network !== undefined) {
    if (VISA_CATEGORY_1_CODES.includes(network) && isVisaOrUnknown(brand)) {
      signals.push({ category: 'never_retry', reason: 'visa_category_1' });
    } else {
      const known = NETWORK_CODE_CATEGORIES[network];
      if (known) signals.push({ ...known });
    }
  }
  return signals;
}

export function classifyDecline(f: DeclineFacts): DeclineClassification {
  const signals = collectSignals(f);
  let winner: Signal | undefined;
  for (const category of CATEGORY_PRECEDENCE) {
    winner = signals.find((s) => s.category === category);
    if (winner) break;
  }
  const category: DeclineCategory = winner?.category ?? 'unknown';
  const reason = winner?.reason ?? norm(f.declineCode)?.toLowerCase() ?? norm(f.code)?.toLowerCase() ?? 'unrecognised';
  const retryable = isRetryableCategory(category);
  const result: DeclineClassification = { category, reason, retryable };
  if (retryable) {
    // Several waits (MAC and Stripe's rate limit): honour the longest.
    const waits = signals.map((s) => s.retryAfterMs).filter((w): w is number => w !== undefined);
    if (waits.length > 0) result.networkRetryAfterMs = Math.max(...waits);
  }
  return result;
}
