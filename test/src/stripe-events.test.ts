/**
 * mapStripeEvent: what each verified Stripe event means for dunning, without a server. (What makes
 * an event invalid, and so quarantined, is in stripe-event-schemas.test.ts.)
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { mapStripeEvent } from '../../src/http/stripeEvents';
import { stripeInvoice as invoice } from '../support/stripeInvoice';

const created = 1_790_000_000;
const at = new Date(created * 1000).toISOString();

function event(type: string, object: Record<string, unknown>, previous?: Record<string, unknown>): Stripe.Event {
  return {
    id: `evt_${type.replace(/\W/g, '_')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object, ...(previous ? { previous_attributes: previous } : {}) },
  } as unknown as Stripe.Event;
}

describe('mapStripeEvent', () => {
  it('invoice.payment_failed of a subscription charged automatically: signal-with-start paymentFailed', () => {
    expect(mapStripeEvent(event('invoice.payment_failed', invoice()))).toEqual({
      kind: 'payment_failed',
      signal: {
        eventId: 'evt_invoice_payment_failed',
        invoiceId: 'in_123',
        customerId: 'cus_1',
        subscriptionId: 'sub_1',
        amountDue: 2500,
        currency: 'eur',
        invoiceNumber: 'ABC-0001',
        hostedInvoiceUrl: 'https://invoice.stripe.com/i/x',
        attemptCount: 1,
        occurredAt: at,
      },
    });
  });

  it("tells Stripe's own scheduled retry (no request, attempt_count above 1) from the first attempt and from ours", () => {
    const next = created + 3 * 86_400;
    const failed = (attempt: number, requestId: string | null, nextAttempt: number | null) => {
      const e = event('invoice.payment_failed', invoice({ attempt_count: attempt, next_payment_attempt: nextAttempt }));
      return mapStripeEvent({ ...e, request: { id: requestId, idempotency_key: null } });
    };
    // The renewal's first attempt: next_payment_attempt is set already, and it is not a retry.
    expect(failed(1, null, next)).toMatchObject({ signal: { attemptCount: 1 } });
    expect(failed(1, null, next)).not.toHaveProperty('signal.byStripeSchedule');
    // Our own charge, echoed back: a request id.
    expect(failed(2, 'req_ours', next)).not.toHaveProperty('signal.byStripeSchedule');
    expect(failed(2, null, next)).toMatchObject({
      signal: { attemptCount: 2, byStripeSchedule: true, nextPaymentAttemptAt: new Date(next * 1000).toISOString() },
    });
    // Stripe's last attempt: no next one.
    const last = failed(4, null, null);
    expect(last).toMatchObject({ signal: { attemptCount: 4, byStripeSchedule: true } });
    expect(last).not.toHaveProperty('signal.nextPaymentAttemptAt');
  });

  it('uses what is still owed, and accepts expanded customer and subscription objects', () => {
    const a = mapStripeEvent(
      event(
        'invoice.payment_failed',
        invoice({
          amount_remaining: 1000,
          customer: { id: 'cus_x', object: 'customer' },
          parent: { subscription_details: { subscription: { id: 'sub_x', object: 'subscription' } } },
        }),
      ),
    );
    expect(a).toMatchObject({
      kind: 'payment_failed',
      signal: { amountDue: 1000, customerId: 'cus_x', subscriptionId: 'sub_x' },
    });
  });

  it.each([
    ['send_invoice', invoice({ collection_method: 'send_invoice' }), /send_invoice/],
    ['one-off (no subscription)', invoice({ parent: null }), /no subscription/],
    ['quote parent', invoice({ parent: { type: 'quote_details', quote_details: { quote: 'qt_1' } } }), /no subscription/],
    ['no customer', invoice({ customer: null }), /customer/],
  ])('invoice.payment_failed, %s: ignored', (_what, inv, reason) => {
    const a = mapStripeEvent(event('invoice.payment_failed', inv));
    expect(a.kind).toBe('ignore');
    expect(a.kind === 'ignore' && a.reason).toMatch(reason);
  });

  it('invoice.payment_failed of a failed sign-up (billing_reason subscription_create): marked for the policy to decide', () => {
    const a = mapStripeEvent(event('invoice.payment_failed', invoice({ billing_reason: 'subscription_create' })));
    expect(a).toMatchObject({ kind: 'payment_failed', failedSignup: true, signal: { invoiceId: 'in_123' } });
    for (const reason of ['subscription_cycle', 'subscription_update', null, undefined]) {
      const renewal = mapStripeEvent(event('invoice.payment_failed', invoice({ billing_reason: reason })));
      expect(renewal.kind === 'payment_failed' && renewal.failedSignup, String(reason)).toBeUndefined();
    }
  });

  it('invoice.payment_action_required (3-D Secure): a failure whose decline is authentication_required', () => {
    expect(mapStripeEvent(event('invoice.payment_action_required', invoice()))).toEqual({
      kind: 'payment_failed',
      signal: {
        eventId: 'evt_invoice_payment_action_required',
        invoiceId: 'in_123',
        customerId: 'cus_1',
        subscriptionId: 'sub_1',
        amountDue: 2500,
        currency: 'eur',
        invoiceNumber: 'ABC-0001',
        hostedInvoiceUrl: 'https://invoice.stripe.com/i/x',
        attemptCount: 1,
        occurredAt: at,
        code: 'authentication_required',
        declineCode: 'authentication_required',
      },
    });
    // The same checks as a failure: a one-off invoice is not dunned, a bad field is refused.
    expect(mapStripeEvent(event('invoice.payment_action_required', invoice({ parent: null })))).toMatchObject({ kind: 'ignore' });
    expect(mapStripeEvent(event('invoice.payment_action_required', invoice({ amount_due: '1' })))).toMatchObject({
      kind: 'invalid',
      problem: { field: 'data.object.amount_due' },
    });
  });

  it('invoice.paid: paymentSucceeded to the invoice case', () => {
    expect(mapStripeEvent(event('invoice.paid', invoice()))).toEqual({
      kind: 'invoice_signal',
      invoiceId: 'in_123',
      signal: { name: 'paymentSucceeded', payload: { source: 'stripe', occurredAt: at } },
    });
  });

  it.each([
    ['invoice.voided', 'invoice_voided'],
    ['invoice.marked_uncollectible', 'invoice_marked_uncollectible'],
  ])('%s: cancelDunning with reason %s', (type, reason) => {
    expect(mapStripeEvent(event(type, invoice()))).toEqual({
      kind: 'invoice_signal',
      invoiceId: 'in_123',
      signal: { name: 'cancelDunning', payload: { reason, by: 'stripe' } },
    });
  });

  it('customer.subscription.deleted: cancel the cases of that subscription, its latest invoice included', () => {
    expect(
      mapStripeEvent(
        event('customer.subscription.deleted', {
          id: 'sub_1',
          object: 'subscription',
          customer: 'cus_1',
          latest_invoice: 'in_9',
        }),
      ),
    ).toEqual({ kind: 'subscription_cancelled', customerId: 'cus_1', subscriptionId: 'sub_1', latestInvoiceId: 'in_9' });
    expect(
      mapStripeEvent(
        event('customer.subscription.deleted', { id: 'sub_1', object: 'subscription', customer: 'cus_1', latest_invoice: null }),
      ),
    ).toEqual({ kind: 'subscription_cancelled', customerId: 'cus_1', subscriptionId: 'sub_1', latestInvoiceId: undefined });
  });

  it.each([
    ['payment_method.attached', {}],
    // Same id, new card data from the network (expiry, number): a new card for the case.
    ['payment_method.automatically_updated', { cardDataChanged: true }],
  ])('%s: card updated for the customer', (type, extra) => {
    expect(mapStripeEvent(event(type, { id: 'pm_new', object: 'payment_method', customer: 'cus_1' }))).toEqual({
      kind: 'card_updated',
      customerId: 'cus_1',
      paymentMethodId: 'pm_new',
      occurredAt: at,
      ...extra,
    });
    // Detached / never attached: nobody to tell.
    expect(mapStripeEvent(event(type, { id: 'pm_new', object: 'payment_method', customer: null })).kind).toBe('ignore');
  });

  it('customer.updated: only a change of the default payment method to a card counts', () => {
    const customer = (pm: string | null) => ({
      id: 'cus_1',
      object: 'customer',
      invoice_settings: { default_payment_method: pm },
    });
    expect(
      mapStripeEvent(event('customer.updated', customer('pm_new'), { invoice_settings: { default_payment_method: 'pm_old' } })),
    ).toEqual({
      kind: 'card_updated',
      customerId: 'cus_1',
      paymentMethodId: 'pm_new',
      occurredAt: at,
    });
    // First default ever (previous null) is a change too.
    expect(
      mapStripeEvent(event('customer.updated', customer('pm_new'), { invoice_settings: { default_payment_method: null } })).kind,
    ).toBe('card_updated');
    // Expanded default payment method.
    expect(
      mapStripeEvent(
        event(
          'customer.updated',
          { ...customer(null), invoice_settings: { default_payment_method: { id: 'pm_x' } } },
          {
            invoice_settings: { default_payment_method: 'pm_old' },
          },
        ),
      ),
    ).toMatchObject({ kind: 'card_updated', paymentMethodId: 'pm_x' });
    // Other changes: ignored.
    expect(mapStripeEvent(event('customer.updated', customer('pm_new'), { name: 'Old' })).kind).toBe('ignore');
    expect(mapStripeEvent(event('customer.updated', customer('pm_new'), { invoice_settings: { footer: 'x' } })).kind).toBe(
      'ignore',
    );
    expect(mapStripeEvent(event('customer.updated', customer('pm_new'))).kind).toBe('ignore');
    // Default removed: nothing to retry with.
    expect(
      mapStripeEvent(event('customer.updated', customer(null), { invoice_settings: { default_payment_method: 'pm_old' } })).kind,
    ).toBe('ignore');
  });

  it("customer.subscription.updated: a change of the subscription's own card counts, for that subscription's cases", () => {
    const sub = (pm: string | { id: string } | null) => ({
      id: 'sub_1',
      object: 'subscription',
      customer: 'cus_1',
      default_payment_method: pm,
    });
    expect(mapStripeEvent(event('customer.subscription.updated', sub('pm_new'), { default_payment_method: 'pm_old' }))).toEqual({
      kind: 'card_updated',
      customerId: 'cus_1',
      subscriptionId: 'sub_1',
      paymentMethodId: 'pm_new',
      occurredAt: at,
    });
    // A first card of its own, expanded.
    expect(
      mapStripeEvent(event('customer.subscription.updated', sub({ id: 'pm_x' }), { default_payment_method: null })),
    ).toMatchObject({ kind: 'card_updated', paymentMethodId: 'pm_x' });
    // Other changes (a renewal's status), and the card removed: ignored.
    expect(mapStripeEvent(event('customer.subscription.updated', sub('pm_new'), { status: 'past_due' })).kind).toBe('ignore');
    expect(mapStripeEvent(event('customer.subscription.updated', sub('pm_new'))).kind).toBe('ignore');
    expect(mapStripeEvent(event('customer.subscription.updated', sub(null), { default_payment_method: 'pm_old' })).kind).toBe(
      'ignore',
    );
    // The service's own update (a card update's charge made the card the subscription's): ignored.
    const own = {
      ...(event('customer.subscription.updated', sub('pm_new'), { default_payment_method: 'pm_old' }) as object),
      request: { id: 'req_1', idempotency_key: 'dunning-in_1/retry:card_update_1/subscription-card' },
    };
    expect(mapStripeEvent(own)).toEqual({ kind: 'ignore', reason: expect.stringContaining('already charged') });
  });

  it.each([
    'invoice.created',
    'invoice.finalized',
    'payment_intent.payment_failed',
    'customer.subscription.created',
    'charge.failed',
  ])('%s: acknowledged and ignored', (type) => {
    const a = mapStripeEvent(event(type, { id: 'x_1' }));
    expect(a).toEqual({ kind: 'ignore', reason: expect.stringContaining(type) });
  });
});

describe('customer.subscription.updated: what ends its cases (issue #20)', () => {
  const sub = (over: Record<string, unknown> = {}) => ({
    id: 'sub_1',
    object: 'subscription',
    customer: 'cus_1',
    latest_invoice: 'in_9',
    default_payment_method: null,
    status: 'past_due',
    cancel_at_period_end: false,
    cancel_at: null,
    pause_collection: null,
    ...over,
  });
  const ends = (reason: string) => ({
    kind: 'subscription_cancelled',
    customerId: 'cus_1',
    subscriptionId: 'sub_1',
    latestInvoiceId: 'in_9',
    reason,
  });

  it.each([
    ['cancelled now', { status: 'canceled' }, { status: 'past_due' }, 'subscription_deleted'],
    ['a failed sign-up expired', { status: 'incomplete_expired' }, { status: 'incomplete' }, 'subscription_deleted'],
    ['paused (trial ended without a card)', { status: 'paused' }, { status: 'trialing' }, 'subscription_paused'],
    [
      'scheduled to cancel at period end',
      { cancel_at_period_end: true },
      { cancel_at_period_end: false },
      'subscription_cancel_scheduled',
    ],
    ['scheduled to cancel at a date', { cancel_at: 1_800_000_000 }, { cancel_at: null }, 'subscription_cancel_scheduled'],
    [
      'collection paused',
      { pause_collection: { behavior: 'void', resumes_at: null } },
      { pause_collection: null },
      'collection_paused',
    ],
  ])('%s: cancelDunning of its cases', (_what, now, before, reason) => {
    expect(mapStripeEvent(event('customer.subscription.updated', sub(now), before))).toEqual(ends(reason));
  });

  it('anything else, or a state that did not change in this update, or one undone: ignored', () => {
    for (const [now, before] of [
      [{ status: 'active' }, { status: 'past_due' }],
      [{ status: 'past_due' }, { status: 'active' }],
      [{ cancel_at_period_end: false }, { cancel_at_period_end: true }],
      [{ pause_collection: null }, { pause_collection: { behavior: 'void' } }],
      [{ cancel_at_period_end: true, status: 'canceled' }, { metadata: {} }],
      [{ cancel_at_period_end: true }, undefined],
    ] as const) {
      expect(mapStripeEvent(event('customer.subscription.updated', sub(now), before)).kind, JSON.stringify(now)).toBe('ignore');
    }
  });
});

describe("customer.subscription.updated: the case's own last-chance pause (issue #23)", () => {
  const paused = {
    id: 'sub_1',
    object: 'subscription',
    customer: 'cus_1',
    latest_invoice: 'in_9',
    default_payment_method: null,
    status: 'past_due',
    cancel_at_period_end: false,
    cancel_at: null,
    pause_collection: { behavior: 'void', resumes_at: 1_800_000_000 },
  };
  const withKey = (key: string | null) => {
    const e = event('customer.subscription.updated', paused, { pause_collection: null });
    return { ...e, request: { id: 'req_1', idempotency_key: key } } as Stripe.Event;
  };

  it('made under the offer step key: ignored, so the case ends saved_by_offer and not collection_paused', () => {
    expect(mapStripeEvent(withKey('dunning-in_9/offer@10d/offer-subscription'))).toEqual({
      kind: 'ignore',
      reason: expect.stringContaining('saved_by_offer'),
    });
  });

  it("the business's own pause (another key, or the Dashboard's none) still ends the cases", () => {
    for (const key of [null, 'merchant-pause-1', 'dunning-in_9/end_action']) {
      expect(mapStripeEvent(withKey(key)), String(key)).toMatchObject({
        kind: 'subscription_cancelled',
        reason: 'collection_paused',
      });
    }
  });
});

describe('charge.dispute.created (issue #20)', () => {
  it('names the dispute, its charge and PaymentIntent (whose customer the webhook reads)', () => {
    const dispute = { id: 'dp_1', object: 'dispute', charge: 'ch_1', payment_intent: { id: 'pi_1' }, reason: 'fraudulent' };
    expect(mapStripeEvent(event('charge.dispute.created', dispute))).toEqual({
      kind: 'dispute_opened',
      disputeId: 'dp_1',
      chargeId: 'ch_1',
      paymentIntentId: 'pi_1',
      reason: 'fraudulent',
      occurredAt: at,
    });
    expect(mapStripeEvent(event('charge.dispute.created', { ...dispute, charge: 'in_1' }))).toMatchObject({
      kind: 'invalid',
      problem: { field: 'data.object.charge' },
    });
  });
});

describe('payment_method.detached (issue #20)', () => {
  it('names the customer it left (previous_attributes); detached from none: ignored', () => {
    const pm = { id: 'pm_1', object: 'payment_method', customer: null };
    expect(mapStripeEvent(event('payment_method.detached', pm, { customer: 'cus_1' }))).toEqual({
      kind: 'card_detached',
      customerId: 'cus_1',
      paymentMethodId: 'pm_1',
      occurredAt: at,
    });
    expect(mapStripeEvent(event('payment_method.detached', pm)).kind).toBe('ignore');
  });
});
