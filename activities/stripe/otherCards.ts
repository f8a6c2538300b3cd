/**
 * Another saved card (domain/otherCards.ts): the customer's consent as Stripe keeps it, and the
 * cards saved on the customer. Read when the case looks, not at its start, so a consent withdrawn
 * (or a card removed) meanwhile is honoured.
 */
import type Stripe from 'stripe';
import { OTHER_CARDS_CONSENT_KEY, type SavedCard } from '../../domain/otherCards';
import { callStripe } from './errors';

export interface SavedCards {
  /** The raw value of the customer's `metadata.dunning_other_cards_consent` (domain/otherCards.ts readConsent). */
  consent?: string;
  /** The customer's cards, in Stripe's list order (newest first); none when there is no consent. */
  cards: SavedCard[];
}

/** At most this many cards are read: a customer with more is not one whose wallet we should walk. */
const LIST_LIMIT = 20;

export async function listSavedCards(stripe: Stripe, customerId: string): Promise<SavedCards> {
  const customer = await callStripe('retrieve customer', () => stripe.customers.retrieve(customerId));
  if ('deleted' in customer && customer.deleted) return { cards: [] };
  const consent = (customer as Stripe.Customer).metadata?.[OTHER_CARDS_CONSENT_KEY];
  // Without a consent value there is nothing to list: the customer's cards are not read at all.
  if (!consent) return { cards: [] };
  const list = await callStripe('list customer payment methods', () =>
    stripe.customers.listPaymentMethods(customerId, { type: 'card', limit: LIST_LIMIT }),
  );
  return { consent, cards: list.data.map(savedCard) };
}

function savedCard(pm: Stripe.PaymentMethod): SavedCard {
  const c = pm.card;
  return {
    paymentMethodId: pm.id,
    ...(c?.fingerprint ? { fingerprint: c.fingerprint } : {}),
    ...(c?.brand ? { brand: c.brand } : {}),
    ...(c?.last4 ? { last4: c.last4 } : {}),
    ...(c?.exp_month ? { expMonth: c.exp_month } : {}),
    ...(c?.exp_year ? { expYear: c.exp_year } : {}),
  };
}
