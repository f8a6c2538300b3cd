import type Stripe from 'stripe';
import type { CaseFacts, DeclineDetails, LoadCaseFactsOptions } from '../../domain/providerTypes';
import { collectionOf, pauseCollection } from './collection';
import { callStripe } from './errors';
import { effectiveCard } from '../../domain/effectiveCard';
import { customerFacts, customerPaymentDefaults, declineDetails, invoiceFacts, ownPaymentDefaults } from './facts';

/**
 * The facts a case needs and the webhook could not give cheaply: the decline codes live on the
 * PaymentIntent (reached through `invoicePayments` since API 2025-03-31), the locale and time zone
 * on the customer.
 */
export async function loadCaseFacts(stripe: Stripe, invoiceId: string, opts: LoadCaseFactsOptions = {}): Promise<CaseFacts> {
  const retrieved = await callStripe('retrieve invoice', () => stripe.invoices.retrieve(invoiceId));
  // At the start the case takes the invoice over from Stripe's own retries (collection.ts).
  const { invoice, collection } = opts.pauseStripeCollection
    ? await pauseCollection(stripe, retrieved, opts.pauseStripeCollection.idempotencyKey)
    : { invoice: retrieved, collection: collectionOf(retrieved) };
  const inv = invoiceFacts(invoice);
  const subscriptionId = inv.subscriptionId;
  const [customer, payments, sub] = await Promise.all([
    callStripe('retrieve customer', () => stripe.customers.retrieve(inv.customerId)),
    paymentState(stripe, invoiceId),
    subscriptionId ? callStripe('retrieve subscription', () => stripe.subscriptions.retrieve(subscriptionId)) : undefined,
  ]);
  const live = 'deleted' in customer && customer.deleted ? undefined : (customer as Stripe.Customer);
  // What Stripe would charge now (a subscription's own card first), to tell a card added since.
  const effective = effectiveCard({
    invoice: ownPaymentDefaults(invoice),
    ...(sub ? { subscription: ownPaymentDefaults(sub) } : {}),
    ...(live ? { customer: customerPaymentDefaults(live) } : {}),
  });
  const facts = {
    invoice: inv,
    lastDecline: payments.lastDecline,
    ...(payments.processing ? { paymentProcessing: true } : {}),
    stripeCollection: collection,
    ...(sub ? { subscription: { id: sub.id, status: sub.status } } : {}),
    ...(effective ? { effectivePaymentMethodId: effective.id } : {}),
  };
  if (!live) return { ...facts, customer: { id: inv.customerId, preferredLocales: [] } };
  return { ...facts, customer: customerFacts(live) };
}

/** The last decline, and whether a payment that settles later (a bank debit) is under way. */
async function paymentState(stripe: Stripe, invoiceId: string): Promise<{ lastDecline?: DeclineDetails; processing: boolean }> {
  const payments = await callStripe('list invoice payments', () =>
    stripe.invoicePayments.list({ invoice: invoiceId, limit: 10, expand: ['data.payment.payment_intent'] }),
  );
  // The newest attempt carries the decline that matters; the default payment is the live one.
  const sorted = [...payments.data].sort((a, b) => Number(b.is_default) - Number(a.is_default) || b.created - a.created);
  let processing = false;
  for (const p of sorted) {
    const pi = p.payment?.payment_intent;
    if (!pi) continue;
    const intent =
      typeof pi === 'string' ? await callStripe('retrieve payment intent', () => stripe.paymentIntents.retrieve(pi)) : pi;
    if (intent.status === 'processing') processing = true;
    if (intent.last_payment_error) return { lastDecline: declineDetails(intent.last_payment_error), processing };
  }
  return { processing };
}
