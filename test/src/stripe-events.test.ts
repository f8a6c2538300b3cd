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
