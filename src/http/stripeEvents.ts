/**
 * What a verified Stripe event means for dunning: a pure function, so every mapping is tested
 * without a server. The webhook route carries the result out against Temporal.
 */
import type Stripe from 'stripe';
import type { CancelDunningSignal, PaymentFailedSignal, PaymentSucceededSignal } from '../../workflows/types';

export type EventAction =
  | { kind: 'payment_failed'; signal: PaymentFailedSignal }
  | { kind: 'invoice_signal'; invoiceId: string; signal: { name: 'paymentSucceeded'; payload: PaymentSucceededSignal } }
  | { kind: 'invoice_signal'; invoiceId: string; signal: { name: 'cancelDunning'; payload: CancelDunningSignal } }
  | { kind: 'subscription_cancelled'; customerId: string; subscriptionId: string; latestInvoiceId?: string }
  | { kind: 'card_updated'; customerId: string; paymentMethodId?: string; occurredAt: string }
  | { kind: 'ignore'; reason: string };

const idOf = (x: unknown): string | undefined =>
  typeof x === 'string' ? x : x && typeof x === 'object' && 'id' in x && typeof x.id === 'string' ? x.id : undefined;

export function mapStripeEvent(event: Stripe.Event): EventAction {
  const occurredAt = new Date(event.created * 1000).toISOString();
  switch (event.type) {
    case 'invoice.payment_failed': {
      const inv = event.data.object;
      const subscriptionId = idOf(inv.parent?.subscription_details?.subscription);
      // Dunning is for automatic subscription charges; a one-off or send_invoice invoice is the
      // business's own collection process, not ours.
      if (inv.collection_method !== 'charge_automatically') {
        return { kind: 'ignore', reason: `invoice ${inv.id} is collected by ${inv.collection_method}, not charged automatically` };
      }
      if (!subscriptionId) return { kind: 'ignore', reason: `invoice ${inv.id} belongs to no subscription` };
      const customerId = idOf(inv.customer);
      if (!inv.id || !customerId) return { kind: 'ignore', reason: 'invoice without id or customer' };
      return {
        kind: 'payment_failed',
        signal: {
          eventId: event.id,
          invoiceId: inv.id,
          customerId,
          subscriptionId,
          amountDue: inv.amount_remaining || inv.amount_due,
          currency: inv.currency,
          invoiceNumber: inv.number ?? undefined,
          hostedInvoiceUrl: inv.hosted_invoice_url ?? undefined,
          attemptCount: inv.attempt_count,
          occurredAt,
        },
      };
    }
    case 'invoice.paid': {
      const inv = event.data.object;
      if (!inv.id) return { kind: 'ignore', reason: 'invoice without id' };
      return {
        kind: 'invoice_signal',
        invoiceId: inv.id,
        signal: { name: 'paymentSucceeded', payload: { source: 'stripe', occurredAt } },
      };
    }
    case 'invoice.voided':
    case 'invoice.marked_uncollectible': {
      const inv = event.data.object;
      if (!inv.id) return { kind: 'ignore', reason: 'invoice without id' };
      const reason = event.type === 'invoice.voided' ? 'invoice_voided' : 'invoice_marked_uncollectible';
      return { kind: 'invoice_signal', invoiceId: inv.id, signal: { name: 'cancelDunning', payload: { reason, by: 'stripe' } } };
    }
    case 'customer.subscription.deleted': {
      const sub = event.data.object;
      const customerId = idOf(sub.customer);
      if (!customerId) return { kind: 'ignore', reason: 'subscription without customer' };
      return { kind: 'subscription_cancelled', customerId, subscriptionId: sub.id, latestInvoiceId: idOf(sub.latest_invoice) };
    }
    case 'payment_method.attached':
    case 'payment_method.automatically_updated': {
      const pm = event.data.object;
      const customerId = idOf(pm.customer);
      if (!customerId) return { kind: 'ignore', reason: `payment method ${pm.id} has no customer` };
      return { kind: 'card_updated', customerId, paymentMethodId: pm.id, occurredAt };
    }
    case 'customer.updated': {
      const c = event.data.object;
      const previous = event.data.previous_attributes as { invoice_settings?: { default_payment_method?: unknown } } | undefined;
      if (!previous?.invoice_settings || !('default_payment_method' in previous.invoice_settings)) {
        return { kind: 'ignore', reason: 'customer.updated without a change of default payment method' };
      }
      const now = idOf(c.invoice_settings?.default_payment_method);
      if (!now) return { kind: 'ignore', reason: 'default payment method removed' };
      return { kind: 'card_updated', customerId: c.id, paymentMethodId: now, occurredAt };
    }
    default:
      return { kind: 'ignore', reason: `event type ${event.type} is not used for dunning` };
  }
}
