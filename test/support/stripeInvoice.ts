/**
 * A Stripe invoice as `invoice.*` events carry it: a subscription's invoice, charged
 * automatically, with every field the service reads. `over` replaces or removes fields
 * (`{ parent: null }`, `{ amount_due: '2500' }`) to make the case a test is about.
 */
export const stripeInvoice = (over: Record<string, unknown> = {}) => ({
  id: 'in_123',
  object: 'invoice',
  customer: 'cus_1',
  collection_method: 'charge_automatically',
  amount_due: 2500,
  amount_remaining: 2500,
  currency: 'eur',
  number: 'ABC-0001',
  hosted_invoice_url: 'https://invoice.stripe.com/i/x',
  attempt_count: 1,
  parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_1' } },
  ...over,
});
