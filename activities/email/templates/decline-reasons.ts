/**
 * Groups Stripe's decline and error codes by the sentence a customer should read. Lost, stolen,
 * pickup and fraud codes deliberately fall into `generic`: Stripe asks merchants not to reveal
 * them, since the reader may be the person who stole the card.
 */
export type ReasonKey =
  | 'insufficient_funds'
  | 'limit_exceeded'
  | 'expired'
  | 'incorrect_number'
  | 'incorrect_cvc'
  | 'incorrect_expiry'
  | 'incorrect_postal_code'
  | 'not_supported'
  | 'authentication'
  | 'temporary'
  | 'generic';

const REASONS: Record<string, ReasonKey> = {
  insufficient_funds: 'insufficient_funds',
  card_velocity_exceeded: 'limit_exceeded',
  withdrawal_count_limit_exceeded: 'limit_exceeded',
  expired_card: 'expired',
  incorrect_number: 'incorrect_number',
  invalid_number: 'incorrect_number',
  incorrect_cvc: 'incorrect_cvc',
  invalid_cvc: 'incorrect_cvc',
  invalid_expiry_month: 'incorrect_expiry',
  invalid_expiry_year: 'incorrect_expiry',
  incorrect_zip: 'incorrect_postal_code',
  card_not_supported: 'not_supported',
  currency_not_supported: 'not_supported',
  transaction_not_allowed: 'not_supported',
  service_not_allowed: 'not_supported',
  authentication_required: 'authentication',
  approve_with_id: 'temporary',
  issuer_not_available: 'temporary',
  processing_error: 'temporary',
  reenter_transaction: 'temporary',
  try_again_later: 'temporary',
};

/** undefined when no reason was given, so templates can choose their own default sentence. */
export function reasonKey(declineReason: string | undefined): ReasonKey | undefined {
  const code = declineReason?.trim().toLowerCase();
  if (!code) return undefined;
  return REASONS[code] ?? 'generic';
}
