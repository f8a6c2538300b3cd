/**
 * The last-chance offer the customer accepted (domain/offers.ts): the subscription changed as the
 * offer says, then the failed invoice closed as the policy says (it cannot be changed, and a
 * pause does not settle it). Idempotent: each call has an idempotency key made from the case's
 * offer step, and a retried activity that finds the offer in place goes on to the invoice.
 */
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import { StripeFailureType } from '../../domain/providerFailures';
import { failedInvoiceTreatment, offerInvoiceKey, offerSubscriptionKey, pauseBehavior, type Offer } from '../../domain/offers';
import type { ApplyOfferInput, ApplyOfferResult } from '../../domain/providerTypes';
import { isEndedSubscription } from '../../domain/subscriptions';
import { callStripe } from './errors';

export async function applyOffer(stripe: Stripe, input: ApplyOfferInput): Promise<ApplyOfferResult> {
  const subscriptionId = input.subscriptionId;
  if (!subscriptionId) return { applied: false, detail: 'the invoice belongs to no subscription' };
  const inv = await callStripe('retrieve invoice', () => stripe.invoices.retrieve(input.invoiceId));
  const sub = await callStripe('retrieve subscription', () =>
    stripe.subscriptions.retrieve(subscriptionId, { expand: ['discounts'] }),
  );
  if (!inPlace(sub, input)) {
    // Closed or ended meanwhile by someone else: the case ends as the webhook will say.
    if (inv.status !== 'open') return { applied: false, invoiceStatus: inv.status ?? undefined, detail: `invoice ${inv.status}` };
    if (isEndedSubscription(sub.status)) return { applied: false, subscriptionEnded: true, detail: `subscription ${sub.status}` };
    const params = subscriptionChange(sub, input);
    await callStripe('apply the offer to the subscription', () =>
      stripe.subscriptions.update(subscriptionId, params, { idempotencyKey: offerSubscriptionKey(input.key) }),
    );
  }
  const treatment = failedInvoiceTreatment(input.offer);
  if (inv.status === 'open') {
    const opts = { idempotencyKey: offerInvoiceKey(input.key) };
    const what = treatment === 'void' ? 'void the failed invoice' : 'mark the failed invoice uncollectible';
    try {
      if (treatment === 'void') await callStripe(what, () => stripe.invoices.voidInvoice(input.invoiceId, {}, opts));
      else await callStripe(what, () => stripe.invoices.markUncollectible(input.invoiceId, {}, opts));
    } catch (err) {
      // The offer is in place at Stripe by now: the case must end saved, not dun on a customer it
      // just paused or discounted. A refused close (the invoice paid or closed meanwhile) is said
      // in the detail, which the case records; a transient error is retried as any other.
      if (!(err instanceof ApplicationFailure) || !err.nonRetryable) throw err;
      return { applied: true, detail: `${input.offer.kind} applied; could not ${what}: ${err.message}` };
    }
  }
  return {
    applied: true,
    detail: `${input.offer.kind} applied; failed invoice ${treatment === 'void' ? 'voided' : 'marked uncollectible'}`,
  };
}

/** The subscription update the offer is. */
function subscriptionChange(sub: Stripe.Subscription, input: ApplyOfferInput): Stripe.SubscriptionUpdateParams {
  const o = input.offer;
  switch (o.kind) {
    case 'pause':
      return {
        pause_collection: {
          behavior: pauseBehavior(o),
          ...(input.resumesAt !== undefined ? { resumes_at: input.resumesAt } : {}),
        },
      };
    case 'coupon':
      // `discounts` replaces the list: the subscription's own discounts are kept beside the new one.
      return { discounts: [...sub.discounts.map((d) => ({ discount: typeof d === 'string' ? d : d.id })), { coupon: o.coupon }] };
    case 'downgrade': {
      const items = sub.items.data;
      if (items.length !== 1) {
        // Which item to move is the merchant's call: refused (recorded on the case), never guessed.
        throw ApplicationFailure.nonRetryable(
          `a downgrade needs a subscription with one item; ${sub.id} has ${items.length}`,
          StripeFailureType.InvalidRequest,
        );
      }
      // No proration: the period the failed invoice billed was never paid, so no credit is due for it;
      // the cheaper price is billed from the next renewal.
      return { items: [{ id: items[0]!.id, price: o.price }], proration_behavior: 'none' };
    }
  }
}

/** Already done by an earlier try of this activity (or the same offer, accepted twice). */
function inPlace(sub: Stripe.Subscription, input: ApplyOfferInput): boolean {
  const o: Offer = input.offer;
  switch (o.kind) {
    case 'pause':
      return (
        sub.pause_collection !== null && (input.resumesAt === undefined || sub.pause_collection.resumes_at === input.resumesAt)
      );
    case 'coupon':
      return sub.discounts.some((d) => typeof d !== 'string' && couponId(d) === o.coupon);
    case 'downgrade':
      return sub.items.data.length === 1 && sub.items.data[0]!.price.id === o.price;
  }
}

const couponId = (d: Stripe.Discount): string | undefined => {
  const c = d.source.coupon;
  return typeof c === 'string' ? c : (c?.id ?? undefined);
};
