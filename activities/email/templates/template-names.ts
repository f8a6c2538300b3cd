import type { DeclineCategory } from '../../../domain/types';

/** Every email the service can send; the name is also what a case records in `status.emails`. */
export const TEMPLATE_NAMES = [
  'payment_failed.insufficient_funds',
  'payment_failed.card_invalid',
  'payment_failed.authentication',
  'payment_failed.generic',
  'reminder',
  'final_notice',
  'last_chance_offer',
  'new_card_declined',
  'payment_recovered',
  'subscription_ended',
  // Before any failure: the card on file expires before the next renewal (domain/cardExpiry.ts).
  'card_expiring',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** The first email after a failure: its wording depends on what the customer can do about it. */
export function templateForCategory(category: DeclineCategory): TemplateName {
  switch (category) {
    case 'insufficient_funds':
      return 'payment_failed.insufficient_funds';
    case 'payment_method':
    case 'never_retry':
      // Both mean "this card will not be charged again": the customer must bring another one.
      return 'payment_failed.card_invalid';
    case 'authentication':
      return 'payment_failed.authentication';
    case 'temporary':
    case 'unknown':
      return 'payment_failed.generic';
    default: {
      const unreachable: never = category;
      return unreachable;
    }
  }
}
