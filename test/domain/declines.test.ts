import { describe, expect, it } from 'vitest';
import {
  MASTERCARD_MAC_CATEGORIES,
  MASTERCARD_MAC_RETRY_AFTER_MS,
  NETWORK_CODE_CATEGORIES,
  STRIPE_ADVICE_CATEGORIES,
  STRIPE_CODE_CATEGORIES,
  VISA_CATEGORY_1_CODES,
  classifyDecline,
  isRetryableCategory,
} from '../../domain/declines';
import type { DeclineCategory, DeclineFacts } from '../../domain/types';

const H = 3_600_000;
const D = 24 * H;

type Row = [DeclineCategory, string];

// Stripe decline codes (https://docs.stripe.com/declines/codes), each as decline_code on a
// card_declined error. Written out here, not derived from the implementation's table.
const STRIPE_DECLINE_ROWS: Record<string, Row> = {
  insufficient_funds: ['insufficient_funds', 'insufficient_funds'],
  card_velocity_exceeded: ['insufficient_funds', 'card_velocity_exceeded'],
  withdrawal_count_limit_exceeded: ['insufficient_funds', 'withdrawal_count_limit_exceeded'],
  processing_error: ['temporary', 'processing_error'],
  try_again_later: ['temporary', 'try_again_later'],
  issuer_not_available: ['temporary', 'issuer_not_available'],
  reenter_transaction: ['temporary', 'reenter_transaction'],
  approve_with_id: ['temporary', 'approve_with_id'],
  duplicate_transaction: ['temporary', 'duplicate_transaction'],
  card_decline_rate_limit_exceeded: ['temporary', 'card_decline_rate_limit_exceeded'],
  expired_card: ['payment_method', 'expired_card'],
  incorrect_number: ['payment_method', 'incorrect_number'],
  invalid_number: ['payment_method', 'invalid_number'],
  incorrect_cvc: ['payment_method', 'incorrect_cvc'],
  invalid_cvc: ['payment_method', 'invalid_cvc'],
  invalid_expiry_month: ['payment_method', 'invalid_expiry_month'],
  invalid_expiry_year: ['payment_method', 'invalid_expiry_year'],
  incorrect_zip: ['payment_method', 'incorrect_zip'],
  incorrect_pin: ['payment_method', 'incorrect_pin'],
  invalid_pin: ['payment_method', 'invalid_pin'],
  pin_try_exceeded: ['payment_method', 'pin_try_exceeded'],
  lost_card: ['payment_method', 'lost_card'],
  stolen_card: ['payment_method', 'stolen_card'],
  pickup_card: ['payment_method', 'pickup_card'],
  card_not_supported: ['payment_method', 'card_not_supported'],
  currency_not_supported: ['payment_method', 'currency_not_supported'],
  invalid_account: ['payment_method', 'invalid_account'],
  new_account_information_available: ['payment_method', 'new_account_information_available'],
  restricted_card: ['payment_method', 'restricted_card'],
  transaction_not_allowed: ['payment_method', 'transaction_not_allowed'],
  not_permitted: ['payment_method', 'not_permitted'],
  service_not_allowed: ['payment_method', 'service_not_allowed'],
  testmode_decline: ['payment_method', 'testmode_decline'],
  authentication_required: ['authentication', 'authentication_required'],
  payment_intent_authentication_failure: ['authentication', 'payment_intent_authentication_failure'],
  offline_pin_required: ['authentication', 'offline_pin_required'],
  online_or_offline_pin_required: ['authentication', 'online_or_offline_pin_required'],
  do_not_try_again: ['never_retry', 'do_not_try_again'],
  stop_payment_order: ['never_retry', 'stop_payment_order'],
  revocation_of_authorization: ['never_retry', 'revocation_of_authorization'],
  revocation_of_all_authorizations: ['never_retry', 'revocation_of_all_authorizations'],
  merchant_blacklist: ['never_retry', 'merchant_blacklist'],
  fraudulent: ['never_retry', 'fraudulent'],
  generic_decline: ['unknown', 'generic_decline'],
  do_not_honor: ['unknown', 'do_not_honor'],
  call_issuer: ['unknown', 'call_issuer'],
  no_action_taken: ['unknown', 'no_action_taken'],
  invalid_amount: ['unknown', 'invalid_amount'],
  security_violation: ['unknown', 'security_violation'],
};

const ADVICE_ROWS: Record<string, Row> = {
  do_not_try_again: ['never_retry', 'advice_do_not_try_again'],
  confirm_card_data: ['payment_method', 'advice_confirm_card_data'],
  try_again_later: ['temporary', 'advice_try_again_later'],
};

const MAC_ROWS: Record<string, Row> = {
  '01': ['payment_method', 'mac_01_new_account_information'],
  '02': ['temporary', 'mac_02_try_again_later'],
  '03': ['never_retry', 'mac_03_do_not_try_again'],
  '21': ['never_retry', 'mac_21_payment_cancelled'],
};

// Mastercard MAC 24-30: exact waits.
const MAC_WAIT_ROWS: Record<string, number> = {
  '24': 1 * H,
  '25': 24 * H,
  '26': 2 * D,
  '27': 4 * D,
  '28': 6 * D,
  '29': 8 * D,
  '30': 10 * D,
};

const VISA_CATEGORY_1 = ['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3'];

const NETWORK_ROWS: Record<string, Row> = {
  '51': ['insufficient_funds', 'network_51_insufficient_funds'],
  '61': ['insufficient_funds', 'network_61_exceeds_amount_limit'],
  '65': ['insufficient_funds', 'network_65_exceeds_frequency_limit'],
  '19': ['temporary', 'network_19_reenter_transaction'],
  '91': ['temporary', 'network_91_issuer_unavailable'],
  '96': ['temporary', 'network_96_system_malfunction'],
  '54': ['payment_method', 'network_54_expired_card'],
  '55': ['payment_method', 'network_55_incorrect_pin'],
  N7: ['payment_method', 'network_n7_cvv2_failure'],
  '62': ['payment_method', 'network_62_restricted_card'],
  '1A': ['authentication', 'network_1a_authentication_required'],
  '04': ['payment_method', 'network_04_pickup_card'],
  '07': ['payment_method', 'network_07_pickup_card_special'],
  '14': ['payment_method', 'network_14_invalid_card_number'],
  '41': ['payment_method', 'network_41_lost_card'],
  '43': ['payment_method', 'network_43_stolen_card'],
  '46': ['payment_method', 'network_46_closed_account'],
  '57': ['payment_method', 'network_57_not_permitted'],
};

const retryableOf = (c: DeclineCategory): boolean => ['insufficient_funds', 'temporary', 'unknown'].includes(c);

describe('classifyDecline: Stripe decline codes', () => {
  it.each(Object.entries(STRIPE_DECLINE_ROWS))('decline_code %s', (code, [category, reason]) => {
    const r = classifyDecline({ code: 'card_declined', declineCode: code });
    expect(r.category).toBe(category);
    expect(r.reason).toBe(reason);
    expect(r.retryable).toBe(retryableOf(category));
  });

  it.each([
    'expired_card',
    'incorrect_cvc',
    'incorrect_number',
    'invalid_cvc',
    'invalid_number',
    'invalid_expiry_month',
    'invalid_expiry_year',
  ])('error code %s without a decline_code is a payment_method decline', (code) => {
    expect(classifyDecline({ code })).toMatchObject({ category: 'payment_method', reason: code, retryable: false });
  });

  it('error code authentication_required (PaymentIntent needs the customer) is authentication', () => {
    expect(classifyDecline({ code: 'authentication_required' })).toEqual({
      category: 'authentication',
      reason: 'authentication_required',
      retryable: false,
    });
  });

  it('processing_error as an error code is temporary', () => {
    expect(classifyDecline({ code: 'processing_error' })).toMatchObject({ category: 'temporary', retryable: true });
  });

  it('codes are matched case- and whitespace-insensitively', () => {
    expect(classifyDecline({ declineCode: ' Insufficient_Funds ' }).category).toBe('insufficient_funds');
  });

  it('card_decline_rate_limit_exceeded waits the 24 hours Stripe blocks the card', () => {
    expect(classifyDecline({ code: 'card_decline_rate_limit_exceeded' }).networkRetryAfterMs).toBe(24 * H);
  });
});

describe('classifyDecline: Stripe advice codes', () => {
  it.each(Object.entries(ADVICE_ROWS))('advice_code %s', (advice, [category, reason]) => {
    const r = classifyDecline({ code: 'card_declined', declineCode: 'generic_decline', adviceCode: advice });
    expect(r).toMatchObject({ category, reason, retryable: retryableOf(category) });
  });
});

describe('classifyDecline: Mastercard merchant advice codes', () => {
  it.each(Object.entries(MAC_ROWS))('MAC %s', (mac, [category, reason]) => {
    const r = classifyDecline({
      code: 'card_declined',
      declineCode: 'generic_decline',
      networkAdviceCode: mac,
      cardBrand: 'mastercard',
    });
    expect(r).toMatchObject({ category, reason, retryable: retryableOf(category) });
    expect(r.networkRetryAfterMs).toBeUndefined();
  });

  it.each(Object.entries(MAC_WAIT_ROWS))('MAC %s alone: temporary with the exact wait', (mac, wait) => {
    const r = classifyDecline({ code: 'card_declined', declineCode: 'generic_decline', networkAdviceCode: mac });
    expect(r).toEqual({ category: 'temporary', reason: `mac_${mac}_retry_after`, retryable: true, networkRetryAfterMs: wait });
  });

  it.each(Object.entries(MAC_WAIT_ROWS))('MAC %s keeps the category of the other codes', (mac, wait) => {
    const r = classifyDecline({ declineCode: 'insufficient_funds', networkAdviceCode: mac });
    expect(r).toEqual({
      category: 'insufficient_funds',
      reason: 'insufficient_funds',
      retryable: true,
      networkRetryAfterMs: wait,
    });
  });

  it('a single-digit MAC is read as two digits', () => {
    expect(classifyDecline({ networkAdviceCode: '3' }).category).toBe('never_retry');
  });

  it('a wait on a card that must not be retried is not reported', () => {
    const r = classifyDecline({ declineCode: 'expired_card', networkAdviceCode: '25' });
    expect(r).toEqual({ category: 'payment_method', reason: 'expired_card', retryable: false });
  });

  it('unknown MAC values add nothing', () => {
    expect(classifyDecline({ declineCode: 'insufficient_funds', networkAdviceCode: '99' }).category).toBe('insufficient_funds');
  });
});

describe('classifyDecline: Visa category 1 ("issuer will never approve")', () => {
  it.each(VISA_CATEGORY_1)('Visa %s is never_retry', (code) => {
    const r = classifyDecline({
      code: 'card_declined',
      declineCode: 'do_not_honor',
      networkDeclineCode: code,
      cardBrand: 'visa',
    });
    expect(r).toEqual({ category: 'never_retry', reason: 'visa_category_1', retryable: false });
  });

  it.each(VISA_CATEGORY_1)('%s with an unknown brand is treated as Visa (a wrong retry costs a fee)', (code) => {
    expect(classifyDecline({ networkDeclineCode: code }).category).toBe('never_retry');
  });

  it('lowercase r0 is matched', () => {
    expect(classifyDecline({ networkDeclineCode: 'r0', cardBrand: 'Visa' }).reason).toBe('visa_category_1');
  });
});

describe('classifyDecline: network decline codes', () => {
  it.each(Object.entries(NETWORK_ROWS))('network code %s on a non-Visa card', (code, [category, reason]) => {
    const r = classifyDecline({
      code: 'card_declined',
      declineCode: 'generic_decline',
      networkDeclineCode: code,
      cardBrand: 'mastercard',
    });
    expect(r).toMatchObject({ category, reason, retryable: retryableOf(category) });
  });

  it('Visa 51 is insufficient funds even behind generic_decline', () => {
    expect(classifyDecline({ declineCode: 'generic_decline', networkDeclineCode: '51', cardBrand: 'visa' }).category).toBe(
      'insufficient_funds',
    );
  });

  it('Visa 05 (do not honor) is unknown', () => {
    expect(classifyDecline({ declineCode: 'do_not_honor', networkDeclineCode: '05', cardBrand: 'visa' })).toEqual({
      category: 'unknown',
      reason: 'do_not_honor',
      retryable: true,
    });
  });
});

describe('classifyDecline: precedence', () => {
  const cases: Array<[string, DeclineFacts, DeclineCategory, string]> = [
    [
      'advice do_not_try_again beats insufficient_funds',
      { declineCode: 'insufficient_funds', adviceCode: 'do_not_try_again' },
      'never_retry',
      'advice_do_not_try_again',
    ],
    [
      'MAC 03 beats insufficient_funds',
      { declineCode: 'insufficient_funds', networkAdviceCode: '03' },
      'never_retry',
      'mac_03_do_not_try_again',
    ],
    [
      'MAC 21 beats authentication',
      { declineCode: 'authentication_required', networkAdviceCode: '21' },
      'never_retry',
      'mac_21_payment_cancelled',
    ],
    [
      'Visa category 1 beats lost_card',
      { declineCode: 'lost_card', networkDeclineCode: '41', cardBrand: 'visa' },
      'never_retry',
      'visa_category_1',
    ],
    ['fraudulent beats expired_card', { code: 'expired_card', declineCode: 'fraudulent' }, 'never_retry', 'fraudulent'],
    [
      'authentication beats payment_method',
      { declineCode: 'authentication_required', adviceCode: 'confirm_card_data' },
      'authentication',
      'authentication_required',
    ],
    [
      'payment_method beats insufficient_funds',
      { declineCode: 'insufficient_funds', adviceCode: 'confirm_card_data' },
      'payment_method',
      'advice_confirm_card_data',
    ],
    [
      'insufficient_funds beats temporary',
      { declineCode: 'insufficient_funds', adviceCode: 'try_again_later' },
      'insufficient_funds',
      'insufficient_funds',
    ],
    [
      'temporary beats unknown',
      { declineCode: 'do_not_honor', adviceCode: 'try_again_later' },
      'temporary',
      'advice_try_again_later',
    ],
    [
      'MAC 01 makes a generic decline a payment_method decline',
      { declineCode: 'generic_decline', networkAdviceCode: '01' },
      'payment_method',
      'mac_01_new_account_information',
    ],
  ];
  it.each(cases)('%s', (_name, facts, category, reason) => {
    const r = classifyDecline(facts);
    expect(r.category).toBe(category);
    expect(r.reason).toBe(reason);
  });
});

describe('classifyDecline: unrecognised input is unknown and retryable', () => {
  it.each<[DeclineFacts, string]>([
    [{}, 'unrecognised'],
    [{ code: 'card_declined' }, 'card_declined'],
    [{ code: 'card_declined', declineCode: 'brand_new_code' }, 'brand_new_code'],
    [{ adviceCode: 'something_new', networkAdviceCode: '77', networkDeclineCode: 'Z9' }, 'unrecognised'],
    [{ declineCode: '  ', code: '' }, 'unrecognised'],
  ])('%j', (facts, reason) => {
    expect(classifyDecline(facts)).toEqual({ category: 'unknown', reason, retryable: true });
  });
});

describe('tables are fully tested', () => {
  it('every row of every table has a test row here', () => {
    expect(Object.keys(STRIPE_CODE_CATEGORIES).sort()).toEqual(Object.keys(STRIPE_DECLINE_ROWS).sort());
    expect(Object.keys(STRIPE_ADVICE_CATEGORIES).sort()).toEqual(Object.keys(ADVICE_ROWS).sort());
    expect(Object.keys(MASTERCARD_MAC_CATEGORIES).sort()).toEqual(Object.keys(MAC_ROWS).sort());
    expect(Object.keys(MASTERCARD_MAC_RETRY_AFTER_MS).sort()).toEqual(Object.keys(MAC_WAIT_ROWS).sort());
    expect([...VISA_CATEGORY_1_CODES].sort()).toEqual([...VISA_CATEGORY_1].sort());
    expect(Object.keys(NETWORK_CODE_CATEGORIES).sort()).toEqual(Object.keys(NETWORK_ROWS).sort());
  });

  it('isRetryableCategory', () => {
    expect(
      ['insufficient_funds', 'temporary', 'unknown', 'payment_method', 'authentication', 'never_retry'].map((c) =>
        isRetryableCategory(c as DeclineCategory),
      ),
    ).toEqual([true, true, true, false, false, false]);
  });
});
