/**
 * What a verified Stripe event means for dunning: pure functions, so every mapping is tested
 * without a server. The webhook route (and the quarantine's replay) carries the result out.
 */
import type { CancelDunningSignal, PaymentFailedSignal, PaymentSucceededSignal } from '../../domain/types';
import { isOwnSubscriptionCardUpdate } from '../../domain/effectiveCard';
import { readStripeEvent, type EventProblem, type UsedStripeEvent } from './stripeEventSchemas';
import { isStripeScheduledAttempt } from '../../domain/stripeRetries';
import { isOwnOfferUpdate } from '../../domain/offers';

export type EventAction =
  | {
      kind: 'payment_failed';
      signal: PaymentFailedSignal;
      /** The subscription's first invoice failed (`billing_reason` `subscription_create`): the policy decides. */
      failedSignup?: true;
    }
  | { kind: 'invoice_signal'; invoiceId: string; signal: { name: 'paymentSucceeded'; payload: PaymentSucceededSignal } }
  | { kind: 'invoice_signal'; invoiceId: string; signal: { name: 'cancelDunning'; payload: CancelDunningSignal } }
  | {
      kind: 'subscription_cancelled';
      customerId: string;
      subscriptionId: string;
      latestInvoiceId?: string;
      /** The cases' cancelDunning reason; default `subscription_deleted`. */
      reason?: SubscriptionEndReason;
    }
  | {
      kind: 'card_updated';
      customerId: string;
      paymentMethodId?: string;
      /** Only this subscription's cases: its own card changed (`customer.subscription.updated`). */
      subscriptionId?: string;
      /** Same payment method, new card data (`payment_method.automatically_updated`). */
      cardDataChanged?: true;
      occurredAt: string;
    }
  | {
      kind: 'dispute_opened';
      disputeId: string;
      chargeId: string;
      /** Whose charge it was: read from Stripe by the webhook (a dispute names no customer). */
      paymentIntentId?: string;
      reason?: string;
      occurredAt: string;
    }
  | { kind: 'card_detached'; customerId: string; paymentMethodId: string; occurredAt: string }
  | { kind: 'ignore'; reason: string };

/** A verified event that cannot be taken as it is: quarantine it (see ../quarantine). */
export type InvalidEvent = { kind: 'invalid'; problem: EventProblem };

/** A verified, parsed body: what to do (`action`) with the event `id` of type `type`, or why not. */
export type EventInterpretation = { kind: 'valid'; id: string; type: string; action: EventAction } | InvalidEvent;

export function interpretStripeEvent(body: unknown): EventInterpretation {
  const read = readStripeEvent(body);
  switch (read.status) {
    case 'invalid':
      return { kind: 'invalid', problem: read.problem };
    case 'unused':
      return {
        kind: 'valid',
        id: read.id,
        type: read.type,
        action: { kind: 'ignore', reason: `event type ${read.type} is not used for dunning` },
      };
    case 'used':
      return { kind: 'valid', id: read.event.id, type: read.event.type, action: actionFor(read.event) };
  }
}

/** `interpretStripeEvent`, when only the action matters. */
export function mapStripeEvent(body: unknown): EventAction | InvalidEvent {
  const i = interpretStripeEvent(body);
  return i.kind === 'valid' ? i.action : i;
}

/** A used event, validated (./stripeEventSchemas): its fields are trusted here. */
function actionFor(event: UsedStripeEvent): EventAction {
  const occurredAt = new Date(event.created * 1000).toISOString();
  switch (event.type) {
    case 'invoice.payment_failed': {
      const inv = event.data.object;
      // Dunning is for automatic subscription charges; a one-off or send_invoice invoice is the
      // business's own collection process, not ours.
      if (inv.collection_method !== 'charge_automatically') {
        return {
          kind: 'ignore',
          reason: `invoice ${inv.id} is collected by ${inv.collection_method}, not charged automatically`,
        };
      }
      const subscriptionId = inv.parent?.subscription_details?.subscription;
      if (!subscriptionId) return { kind: 'ignore', reason: `invoice ${inv.id} belongs to no subscription` };
      if (!inv.customer) return { kind: 'ignore', reason: `invoice ${inv.id} has no customer` };
      return {
        kind: 'payment_failed',
        signal: {
          eventId: event.id,
          invoiceId: inv.id,
          customerId: inv.customer,
          subscriptionId,
          // What is still owed; Stripe leaves amount_remaining 0 on some drafts, so fall back.
          amountDue: inv.amount_remaining || inv.amount_due,
          currency: inv.currency,
          invoiceNumber: inv.number ?? undefined,
          hostedInvoiceUrl: inv.hosted_invoice_url ?? undefined,
          attemptCount: inv.attempt_count,
          // Stripe retrying beside the case (Smart Retries still on): the case records it and says so.
          ...(isStripeScheduledAttempt({ requestId: event.request?.id, attemptCount: inv.attempt_count })
            ? {
                byStripeSchedule: true as const,
                ...(inv.next_payment_attempt
                  ? { nextPaymentAttemptAt: new Date(inv.next_payment_attempt * 1000).toISOString() }
                  : {}),
              }
            : {}),
          occurredAt,
        },
        ...(inv.billing_reason === 'subscription_create' ? { failedSignup: true as const } : {}),
      };
    }
    case 'invoice.payment_action_required':
      return actionRequired(event);
    case 'invoice.paid':
      return {
        kind: 'invoice_signal',
        invoiceId: event.data.object.id,
        signal: { name: 'paymentSucceeded', payload: { source: 'stripe', occurredAt } },
      };
    case 'invoice.voided':
    case 'invoice.marked_uncollectible': {
      const reason = event.type === 'invoice.voided' ? 'invoice_voided' : 'invoice_marked_uncollectible';
      return {
        kind: 'invoice_signal',
        invoiceId: event.data.object.id,
        signal: { name: 'cancelDunning', payload: { reason, by: 'stripe' } },
      };
    }
    case 'customer.subscription.deleted': {
      const sub = event.data.object;
      return {
        kind: 'subscription_cancelled',
        customerId: sub.customer,
        subscriptionId: sub.id,
        latestInvoiceId: sub.latest_invoice ?? undefined,
      };
    }
    case 'payment_method.detached': {
      const customerId = event.data.previous_attributes?.customer;
      if (!customerId) return { kind: 'ignore', reason: `payment method ${event.data.object.id} was detached from no customer` };
      return { kind: 'card_detached', customerId, paymentMethodId: event.data.object.id, occurredAt };
    }
    case 'charge.dispute.created': {
      const d = event.data.object;
      return {
        kind: 'dispute_opened',
        disputeId: d.id,
        chargeId: d.charge,
        ...(d.payment_intent ? { paymentIntentId: d.payment_intent } : {}),
        ...(d.reason ? { reason: d.reason } : {}),
        occurredAt,
      };
    }
    case 'payment_method.attached':
    case 'payment_method.automatically_updated': {
      const pm = event.data.object;
      if (!pm.customer) return { kind: 'ignore', reason: `payment method ${pm.id} has no customer` };
      return {
        kind: 'card_updated',
        customerId: pm.customer,
        paymentMethodId: pm.id,
        // The card network sent new data (expiry, number) for the same payment method: for the
        // case it is a new card, worth a charge even if this payment method declined before.
        ...(event.type === 'payment_method.automatically_updated' ? { cardDataChanged: true as const } : {}),
        occurredAt,
      };
    }
    case 'customer.subscription.updated': {
      // Cancelled or paused first: a case that ends has no card to charge.
      const ended = subscriptionStateChange(event);
      if (ended) return ended;
      const sub = event.data.object;
      if (!event.data.previous_attributes || !('default_payment_method' in event.data.previous_attributes)) {
        return { kind: 'ignore', reason: 'customer.subscription.updated without a change of default payment method' };
      }
      if (isOwnSubscriptionCardUpdate(event.request?.idempotency_key)) {
        return { kind: 'ignore', reason: `the card update's charge made it the subscription's card: already charged` };
      }
      if (!sub.default_payment_method) return { kind: 'ignore', reason: 'subscription default payment method removed' };
      return {
        kind: 'card_updated',
        customerId: sub.customer,
        subscriptionId: sub.id,
        paymentMethodId: sub.default_payment_method,
        occurredAt,
      };
    }
    case 'customer.updated': {
      const changed = event.data.previous_attributes?.invoice_settings;
      if (!changed || !('default_payment_method' in changed)) {
        return { kind: 'ignore', reason: 'customer.updated without a change of default payment method' };
      }
      const now = event.data.object.invoice_settings.default_payment_method;
      if (!now) return { kind: 'ignore', reason: 'default payment method removed' };
      return { kind: 'card_updated', customerId: event.data.object.id, paymentMethodId: now, occurredAt };
    }
  }
}

/**
 * `invoice.payment_action_required`: the bank asks the customer to authenticate (3-D Secure). A
 * failure like any other (same checks, same case), whose decline is Stripe's
 * `authentication_required`: the case classifies it `authentication` (emails that send the
 * customer to the hosted invoice page, no retries of a charge the bank will challenge again) when
 * the PaymentIntent carries no decline of its own, which is usual for `requires_action`.
 */
function actionRequired(event: Extract<UsedStripeEvent, { type: 'invoice.payment_action_required' }>): EventAction {
  const failed = actionFor({ ...event, type: 'invoice.payment_failed' });
  if (failed.kind !== 'payment_failed') return failed;
  return { ...failed, signal: { ...failed.signal, code: 'authentication_required', declineCode: 'authentication_required' } };
}

/** Why a subscription's cases end although the invoice is still open. */
export type SubscriptionEndReason =
  'subscription_deleted' | 'subscription_cancel_scheduled' | 'subscription_paused' | 'collection_paused';

/**
 * `customer.subscription.updated` that changes what Stripe will collect: cancelled (or expired
 * unpaid, a failed sign-up), scheduled to cancel (`cancel_at_period_end`, `cancel_at`), paused
 * (`status` paused, or `pause_collection` set). Each ends the subscription's cases: the customer
 * or the business decided, and charging or emailing on would contradict Stripe. Only a change
 * (the key in `previous_attributes`) counts, so an unrelated later update does nothing; undone
 * (resumed, cancellation withdrawn) is ignored: the next failure opens a new case.
 */
export function subscriptionStateChange(
  event: Extract<UsedStripeEvent, { type: 'customer.subscription.updated' }>,
): EventAction | undefined {
  const sub = event.data.object;
  const changed = (key: string) => event.data.previous_attributes !== undefined && key in event.data.previous_attributes;
  const end = (reason: SubscriptionEndReason): EventAction => ({
    kind: 'subscription_cancelled',
    customerId: sub.customer,
    subscriptionId: sub.id,
    latestInvoiceId: sub.latest_invoice ?? undefined,
    reason,
  });
  if (changed('status') && (sub.status === 'canceled' || sub.status === 'incomplete_expired')) return end('subscription_deleted');
  if (changed('status') && sub.status === 'paused') return end('subscription_paused');
  if ((changed('cancel_at_period_end') && sub.cancel_at_period_end) || (changed('cancel_at') && sub.cancel_at)) {
    return end('subscription_cancel_scheduled');
  }
  if (changed('pause_collection') && sub.pause_collection) {
    // The pause a customer accepted as the case's last-chance offer, coming back: the case ends
    // saved_by_offer on its own, not as paused behind its back.
    if (isOwnOfferUpdate(event.request?.idempotency_key)) {
      return { kind: 'ignore', reason: "the case's own last-chance offer paused collection: the case ends saved_by_offer" };
    }
    return end('collection_paused');
  }
  return undefined;
}
