import { createHash } from 'node:crypto';

/**
 * Stripe's test PaymentMethod ids (https://docs.stripe.com/testing#declined-payments) and what
 * charging each one does. Attaching one to a customer makes a fresh `pm_...` clone, as Stripe does;
 * the clone keeps the card's fingerprint so "is this the same card?" checks behave as in Stripe.
 */

/** The fields of a decline, as they appear on Stripe's error and `last_payment_error`. */
export interface DeclineSpec {
  /** Stripe error `code`; default `card_declined`. */
  code?: string;
  declineCode?: string;
  adviceCode?: string;
  networkDeclineCode?: string;
  networkAdviceCode?: string;
  /** Human message; default follows Stripe's wording for the code. */
  message?: string;
}

/**
 * What charging a payment method does. Changeable at any time through the sandbox API: a card over
 * its limit starts succeeding once the customer has money again.
 */
export type CardBehaviour =
  | { outcome: 'succeed' }
  | ({ outcome: 'decline' } & DeclineSpec)
  | { outcome: 'require_authentication' }
  /**
   * A bank debit (ACH, SEPA): the charge is accepted and its PaymentIntent stays `processing`, the
   * invoice `open`, until the sandbox settles it (POST /_sandbox/invoices/:id/settle).
   */
  | { outcome: 'processing' };

export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover';

export interface TestCard {
  /** Stripe's test PaymentMethod id, e.g. `pm_card_visa`. */
  id: string;
  label: string;
  number: string;
  brand: CardBrand;
  country: string;
  behaviour: CardBehaviour;
}

const decline = (spec: DeclineSpec): CardBehaviour => ({ outcome: 'decline', ...spec });

// Advice and network codes on the declining cards are this sandbox's choice (plausible Visa
// response codes and Stripe advice codes), so a dunning policy has something realistic to read.
export const TEST_CARDS: readonly TestCard[] = [
  {
    id: 'pm_card_visa',
    label: 'Visa, succeeds',
    number: '4242424242424242',
    brand: 'visa',
    country: 'US',
    behaviour: { outcome: 'succeed' },
  },
  {
    id: 'pm_card_mastercard',
    label: 'Mastercard, succeeds',
    number: '5555555555554444',
    brand: 'mastercard',
    country: 'US',
    behaviour: { outcome: 'succeed' },
  },
  {
    id: 'pm_card_amex',
    label: 'American Express, succeeds',
    number: '378282246310005',
    brand: 'amex',
    country: 'US',
    behaviour: { outcome: 'succeed' },
  },
  {
    id: 'pm_card_chargeDeclined',
    label: 'Visa, declined (generic_decline)',
    number: '4000000000000002',
    brand: 'visa',
    country: 'US',
    behaviour: decline({ declineCode: 'generic_decline', networkDeclineCode: '05' }),
  },
  {
    id: 'pm_card_chargeDeclinedInsufficientFunds',
    label: 'Visa, declined (insufficient_funds)',
    number: '4000000000009995',
    brand: 'visa',
    country: 'US',
    behaviour: decline({ declineCode: 'insufficient_funds', adviceCode: 'try_again_later', networkDeclineCode: '51' }),
  },
  {
    id: 'pm_card_chargeDeclinedExpiredCard',
    label: 'Visa, declined (expired_card)',
    number: '4000000000000069',
    brand: 'visa',
    country: 'US',
    behaviour: decline({
      code: 'expired_card',
      declineCode: 'expired_card',
      adviceCode: 'confirm_card_data',
      networkDeclineCode: '54',
    }),
  },
  {
    id: 'pm_card_chargeDeclinedIncorrectCvc',
    label: 'Visa, declined (incorrect_cvc)',
    number: '4000000000000127',
    brand: 'visa',
    country: 'US',
    behaviour: decline({
      code: 'incorrect_cvc',
      declineCode: 'incorrect_cvc',
      adviceCode: 'confirm_card_data',
      networkDeclineCode: 'N7',
    }),
  },
  {
    id: 'pm_card_chargeDeclinedProcessingError',
    label: 'Visa, declined (processing_error)',
    number: '4000000000000119',
    brand: 'visa',
    country: 'US',
    behaviour: decline({
      code: 'processing_error',
      declineCode: 'processing_error',
      adviceCode: 'try_again_later',
      networkDeclineCode: '96',
    }),
  },
  {
    id: 'pm_card_chargeDeclinedLostCard',
    label: 'Visa, declined (lost_card)',
    number: '4000000000009987',
    brand: 'visa',
    country: 'US',
    behaviour: decline({ declineCode: 'lost_card', adviceCode: 'do_not_try_again', networkDeclineCode: '41' }),
  },
  {
    id: 'pm_card_chargeDeclinedStolenCard',
    label: 'Visa, declined (stolen_card)',
    number: '4000000000009979',
    brand: 'visa',
    country: 'US',
    behaviour: decline({ declineCode: 'stolen_card', adviceCode: 'do_not_try_again', networkDeclineCode: '43' }),
  },
  {
    id: 'pm_card_chargeCustomerFail',
    label: 'Visa, attaches then declines',
    number: '4000000000000341',
    brand: 'visa',
    country: 'US',
    behaviour: decline({ declineCode: 'generic_decline', networkDeclineCode: '05' }),
  },
  {
    id: 'pm_card_authenticationRequired',
    label: 'Visa, always requires 3-D Secure',
    number: '4000002760003184',
    brand: 'visa',
    country: 'DE',
    behaviour: { outcome: 'require_authentication' },
  },
];

/**
 * Cards used for a scenario's custom decline, one per brand. They are Stripe test numbers distinct
 * from the succeeding cards, so a replacement card never shares the failing card's fingerprint.
 */
const CUSTOM_DECLINE_NUMBERS: Record<CardBrand, string> = {
  visa: '4000000000000341',
  mastercard: '5105105105105100',
  amex: '371449635398431',
  discover: '6011000990139424',
};

/**
 * A US bank account for ACH Direct Debit, one of Stripe's test PaymentMethods
 * (https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment#test-account-numbers). Its
 * debits settle days later: in the sandbox, when a test or the demo says so.
 */
export interface TestBankAccount {
  id: string;
  label: string;
  accountNumber: string;
  routingNumber: string;
  bankName: string;
  behaviour: CardBehaviour;
}

export const TEST_BANK_ACCOUNTS: readonly TestBankAccount[] = [
  {
    id: 'pm_usBankAccount_success',
    label: 'US bank account (ACH debit): processing until settled or failed',
    accountNumber: '000123456789',
    routingNumber: '110000000',
    bankName: 'STRIPE TEST BANK',
    behaviour: { outcome: 'processing' },
  },
];

export function findTestBankAccount(id: string): TestBankAccount | undefined {
  return TEST_BANK_ACCOUNTS.find((b) => b.id === id);
}

export function findTestCard(id: string): TestCard | undefined {
  return TEST_CARDS.find((c) => c.id === id);
}

export function customDeclineCard(brand: CardBrand, spec: DeclineSpec): TestCard {
  return {
    id: `custom_decline_${brand}`,
    label: `${brand}, custom decline`,
    number: CUSTOM_DECLINE_NUMBERS[brand],
    brand,
    country: 'US',
    behaviour: decline(spec),
  };
}

/** Deterministic per card number, like Stripe's per-account fingerprint. */
export function cardFingerprint(number: string): string {
  const digest = createHash('sha256').update(`sandbox-card:${number}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(digest.subarray(0, 16), (b) => alphabet[b % alphabet.length]).join('');
}

/** Stripe's messages for the common decline codes (what customers see in Stripe's own UIs). */
export function declineMessage(code: string, declineCode?: string): string {
  if (code === 'expired_card') return 'Your card has expired.';
  if (code === 'incorrect_cvc') return "Your card's security code is incorrect.";
  if (code === 'processing_error') return 'An error occurred while processing your card. Try again in a little bit.';
  if (code === 'authentication_required') return 'Your card was declined. This transaction requires authentication.';
  if (declineCode === 'insufficient_funds') return 'Your card has insufficient funds.';
  return 'Your card was declined.';
}
