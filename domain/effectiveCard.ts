/**
 * Which card Stripe charges for an invoice, and which card a card update charges: pure, over the
 * ids the Stripe objects hold, so the charge activity, the case's facts and the tests agree.
 */

/** The defaults one Stripe object holds (ids of payment methods, or of cards and sources). */
export interface PaymentDefaults {
  defaultPaymentMethod?: string;
  defaultSource?: string;
}

export interface InvoiceCardDefaults {
  invoice: PaymentDefaults;
  /** The invoice's subscription; absent for a one-off invoice. */
  subscription?: PaymentDefaults;
  /** The customer's `invoice_settings.default_payment_method` and `default_source`; absent when not read. */
  customer?: PaymentDefaults;
}

export type CardOwner = 'invoice' | 'subscription' | 'customer';

export interface EffectiveCard {
  id: string;
  /** Whose default it is: a subscription's own card outranks the customer's default. */
  from: CardOwner;
}

const firstOf = (d: PaymentDefaults | undefined): string | undefined => d?.defaultPaymentMethod ?? d?.defaultSource;

/**
 * The card Stripe charges when no payment method is given, in Stripe's order:
 * `invoice.default_payment_method`, `invoice.default_source`, `subscription.default_payment_method`,
 * `subscription.default_source`, the customer's `invoice_settings.default_payment_method`,
 * `customer.default_source`.
 */
export function effectiveCard(d: InvoiceCardDefaults): EffectiveCard | undefined {
  const invoice = firstOf(d.invoice);
  if (invoice) return { id: invoice, from: 'invoice' };
  const subscription = firstOf(d.subscription);
  if (subscription) return { id: subscription, from: 'subscription' };
  const customer = firstOf(d.customer);
  return customer ? { id: customer, from: 'customer' } : undefined;
}

/**
 * Whether the customer is needed to know the effective card: only when neither the invoice nor
 * its subscription has a default (saves a Stripe read on most charges).
 */
export function needsCustomerDefaults(d: Omit<InvoiceCardDefaults, 'customer'>): boolean {
  return !firstOf(d.invoice) && !firstOf(d.subscription);
}

/**
 * The card a card update charges. A card it names; else the customer's default, which is what the
 * Billing Portal (our update link) and `customer.updated` change: charging Stripe's effective card
 * instead would charge the subscription's own card, the one that failed. No customer default:
 * Stripe's effective card.
 */
export function cardForUpdate(named: string | undefined, d: InvoiceCardDefaults): string | undefined {
  return named ?? firstOf(d.customer) ?? effectiveCard(d)?.id;
}

/**
 * After a card update, whether the subscription's own default must become `card` so that the
 * later retries and the next renewals charge it: only when the subscription has a default of its
 * own (which outranks the customer's) and it is another card. A subscription without one follows
 * the customer's default; giving it one would make it ignore the customer's next portal change.
 */
export function subscriptionCardToReplace(card: string, d: InvoiceCardDefaults): boolean {
  const own = firstOf(d.subscription);
  return own !== undefined && own !== card;
}

/**
 * The idempotency key of the subscription update a card update's charge makes: Stripe names it in
 * the `customer.subscription.updated` event it causes, which is then known as our own echo (the
 * card is being charged already), not the customer's news.
 */
const SUBSCRIPTION_CARD_KEY_SUFFIX = '/subscription-card';
export const subscriptionCardKey = (chargeKey: string): string => `${chargeKey}${SUBSCRIPTION_CARD_KEY_SUFFIX}`;
export const isOwnSubscriptionCardUpdate = (idempotencyKey: string | null | undefined): boolean =>
  idempotencyKey?.endsWith(SUBSCRIPTION_CARD_KEY_SUFFIX) ?? false;
