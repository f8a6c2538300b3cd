import type Stripe from 'stripe';
import type { EndActionInput, StripeCollection } from '../../domain/providerTypes';
import { releaseCollection } from './collection';
import { callStripe } from './errors';

/**
 * The policy's end action. Idempotent: each action checks the current state first, so a retried
 * activity (or a replayed worker) finds the work done and does nothing.
 */
export async function applyEndAction(
  stripe: Stripe,
  input: EndActionInput,
): Promise<{ applied: boolean; detail: string; stripeCollection?: StripeCollection }> {
  const opts = { idempotencyKey: input.idempotencyKey };
  switch (input.action) {
    case 'leave_past_due': {
      // The invoice stays open for Stripe: its own retries and subscription settings take over again.
      if (!input.releaseStripeCollection) return { applied: false, detail: 'left past due by policy' };
      const key = `${input.idempotencyKey}/release_collection`;
      const released = await callStripe('release invoice collection', () => releaseCollection(stripe, input.invoiceId, key));
      return {
        applied: false,
        detail: released === 'released' ? "left past due by policy; Stripe's collection back on" : 'left past due by policy',
        ...(released === 'released' ? { stripeCollection: 'released' as const } : {}),
      };
    }
    case 'mark_uncollectible': {
      const inv = await callStripe('retrieve invoice', () => stripe.invoices.retrieve(input.invoiceId));
      if (inv.status !== 'open') return { applied: false, detail: `invoice already ${inv.status}` };
      await callStripe('mark uncollectible', () => stripe.invoices.markUncollectible(input.invoiceId, {}, opts));
      return { applied: true, detail: 'invoice marked uncollectible' };
    }
    case 'cancel_subscription':
    case 'pause_collection': {
      if (!input.subscriptionId) return { applied: false, detail: 'invoice has no subscription' };
      const id = input.subscriptionId;
      const sub = await callStripe('retrieve subscription', () => stripe.subscriptions.retrieve(id));
      if (sub.status === 'canceled') return { applied: false, detail: 'subscription already canceled' };
      if (input.action === 'cancel_subscription') {
        await callStripe('cancel subscription', () => stripe.subscriptions.cancel(id, {}, opts));
        return { applied: true, detail: 'subscription canceled' };
      }
      if (sub.pause_collection) return { applied: false, detail: 'collection already paused' };
      await callStripe('pause collection', () =>
        stripe.subscriptions.update(id, { pause_collection: { behavior: 'mark_uncollectible' } }, opts),
      );
      return { applied: true, detail: 'collection paused' };
    }
  }
}
