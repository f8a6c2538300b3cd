/**
 * The Stripe calls of the last-chance offer (issue #23, part 5; activities/stripe/applyOffer.ts)
 * through the real stripe-node SDK against the sandbox: coupons and prices, a subscription's
 * discounts and price change, its pause, and the `customer.subscription.updated` each sends back
 * (with `previous_attributes` and the request's idempotency key, which tells the case its own pause).
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../src/providers/stripe';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe';
import { applyOffer } from '../../activities/stripe/applyOffer';

describe('stripe sandbox: what the last-chance offer uses', () => {
  let sandbox: StripeSandbox;
  let stripe: Stripe;

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ webhookSecret: 'whsec_offers' });
    stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const scenario = () =>
    sandbox.createFailedInvoiceScenario({
      email: 'offer@example.com',
      amount: 4900,
      currency: 'usd',
      decline: 'pm_card_chargeDeclinedInsufficientFunds',
    });
  const updates = (subscriptionId: string) =>
    sandbox
      .events()
      .filter(
        (r) => r.event.type === 'customer.subscription.updated' && (r.event.data.object as { id: string }).id === subscriptionId,
      )
      .map((r) => r.event);

  async function refusal(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
    try {
      await p;
    } catch (err) {
      return err as Stripe.errors.StripeError;
    }
    throw new Error('expected the call to fail');
  }

  it('coupons: created and read back; an unknown one is 404, a duplicate id 400', async () => {
    const c = await stripe.coupons.create({ id: 'STAY50', percent_off: 50, duration: 'repeating', duration_in_months: 3 });
    expect(c).toMatchObject({
      id: 'STAY50',
      object: 'coupon',
      percent_off: 50,
      duration: 'repeating',
      duration_in_months: 3,
      valid: true,
    });
    expect((await stripe.coupons.retrieve('STAY50')).id).toBe('STAY50');
    expect(await refusal(stripe.coupons.retrieve('NOPE'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(await refusal(stripe.coupons.create({ id: 'STAY50', percent_off: 10 }))).toMatchObject({
      statusCode: 400,
      code: 'resource_already_exists',
    });
    expect(await refusal(stripe.coupons.create({ duration: 'once' }))).toMatchObject({ statusCode: 400 });
  });

  it('discounts: a coupon added beside the ones kept, with the event Stripe sends; an unknown coupon refused', async () => {
    const s = await scenario();
    await stripe.coupons.create({ id: 'TEN', percent_off: 10, duration: 'forever' });
    await stripe.coupons.create({ id: 'HALF', percent_off: 50, duration: 'once' });
    const first = await stripe.subscriptions.update(s.subscriptionId, { discounts: [{ coupon: 'TEN' }] });
    expect(first.discounts).toHaveLength(1);
    const kept = first.discounts[0] as string;
    const both = await stripe.subscriptions.update(
      s.subscriptionId,
      { discounts: [{ discount: kept }, { coupon: 'HALF' }] },
      { idempotencyKey: 'k-discounts' },
    );
    expect(both.discounts).toHaveLength(2);
    expect(both.discounts[0]).toBe(kept);
    const expanded = await stripe.subscriptions.retrieve(s.subscriptionId, { expand: ['discounts'] });
    expect(expanded.discounts.map((d) => (d as Stripe.Discount).source.coupon)).toEqual(['TEN', 'HALF']);
    const last = updates(s.subscriptionId).at(-1)!;
    expect(last.data.previous_attributes).toEqual({ discounts: [kept] });
    expect(last.request).toMatchObject({ idempotency_key: 'k-discounts' });
    expect(await refusal(stripe.subscriptions.update(s.subscriptionId, { discounts: [{ coupon: 'GHOST' }] }))).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'discounts[0][coupon]',
    });
  });

  it('a price change without proration: the item moves, quantity 1, the event names the old items; prorations refused', async () => {
    const s = await scenario();
    const cheaper = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1900,
      recurring: { interval: 'month' },
      product_data: { name: 'Basic' },
    });
    const sub = await stripe.subscriptions.retrieve(s.subscriptionId);
    const item = sub.items.data[0]!;
    expect(
      await refusal(stripe.subscriptions.update(s.subscriptionId, { items: [{ id: item.id, price: cheaper.id }] })),
    ).toMatchObject({ statusCode: 400, param: 'proration_behavior' });
    const moved = await stripe.subscriptions.update(s.subscriptionId, {
      items: [{ id: item.id, price: cheaper.id }],
      proration_behavior: 'none',
    });
    expect(moved.items.data[0]).toMatchObject({ id: item.id, price: { id: cheaper.id, unit_amount: 1900 }, quantity: 1 });
    const last = updates(s.subscriptionId).at(-1)!;
    expect((last.data.previous_attributes as { items: Stripe.ApiList<Stripe.SubscriptionItem> }).items.data[0]!.price.id).toBe(
      item.price.id,
    );
    const eur = await stripe.prices.create({
      currency: 'eur',
      unit_amount: 900,
      recurring: { interval: 'month' },
      product_data: { name: 'EU' },
    });
    expect(
      await refusal(
        stripe.subscriptions.update(s.subscriptionId, { items: [{ id: item.id, price: eur.id }], proration_behavior: 'none' }),
      ),
    ).toMatchObject({ statusCode: 400 });
    expect(
      await refusal(
        stripe.subscriptions.update(s.subscriptionId, {
          items: [{ id: 'si_nope', price: cheaper.id }],
          proration_behavior: 'none',
        }),
      ),
    ).toMatchObject({ statusCode: 404 });
  });

  it('applyOffer, pause: pause_collection with its end, the invoice written off; a retried call changes nothing more', async () => {
    const s = await scenario();
    const resumesAt = Math.floor(Date.now() / 1000) + 30 * 86_400;
    const input = {
      invoiceId: s.invoiceId,
      subscriptionId: s.subscriptionId,
      offer: { kind: 'pause' as const, for: '30d' },
      key: `dunning-${s.invoiceId}/offer@10d`,
      resumesAt,
    };
    expect(await applyOffer(stripe, input)).toMatchObject({ applied: true });
    const sub = await stripe.subscriptions.retrieve(s.subscriptionId);
    expect(sub.pause_collection).toEqual({ behavior: 'void', resumes_at: resumesAt });
    expect((await stripe.invoices.retrieve(s.invoiceId)).status).toBe('uncollectible');
    const paused = updates(s.subscriptionId).at(-1)!;
    expect(paused.data.previous_attributes).toEqual({ pause_collection: null });
    expect(paused.request?.idempotency_key).toBe(`dunning-${s.invoiceId}/offer@10d/offer-subscription`);
    const before = sandbox.events().length;
    expect(await applyOffer(stripe, input)).toMatchObject({ applied: true });
    expect(sandbox.events().length).toBe(before);
  });

  it('applyOffer: an offer in place at Stripe is applied even when closing the failed invoice is then refused', async () => {
    const s = await scenario();
    // Someone closes the invoice between the activity's read and its own close: Stripe refuses that (400).
    const invoices = Object.assign(Object.create(stripe.invoices) as typeof stripe.invoices, {
      markUncollectible: async (id: string, params?: Stripe.InvoiceMarkUncollectibleParams, o?: Stripe.RequestOptions) => {
        await stripe.invoices.voidInvoice(id);
        return stripe.invoices.markUncollectible(id, params, o);
      },
    });
    const racing = Object.create(stripe, { invoices: { value: invoices } }) as Stripe;
    const input = {
      invoiceId: s.invoiceId,
      subscriptionId: s.subscriptionId,
      offer: { kind: 'pause' as const, for: '30d' },
      key: `dunning-${s.invoiceId}/offer@10d`,
      resumesAt: Math.floor(Date.now() / 1000) + 30 * 86_400,
    };
    const result = await applyOffer(racing, input);
    expect(result).toMatchObject({ applied: true });
    expect(result.detail).toMatch(/could not mark the failed invoice uncollectible/);
    expect((await stripe.subscriptions.retrieve(s.subscriptionId)).pause_collection).not.toBeNull();
  });

  it('applyOffer, coupon with failedInvoice void; a closed invoice is not the case to save; a missing coupon is refused', async () => {
    const s = await scenario();
    await stripe.coupons.create({ id: 'LAST25', percent_off: 25, duration: 'forever' });
    const key = `dunning-${s.invoiceId}/offer@9d`;
    const coupon = { kind: 'coupon' as const, coupon: 'LAST25', failedInvoice: 'void' as const };
    expect(
      await applyOffer(stripe, { invoiceId: s.invoiceId, subscriptionId: s.subscriptionId, offer: coupon, key }),
    ).toMatchObject({ applied: true });
    expect((await stripe.invoices.retrieve(s.invoiceId)).status).toBe('void');

    const paid = await scenario();
    await stripe.invoices.voidInvoice(paid.invoiceId);
    expect(
      await applyOffer(stripe, { invoiceId: paid.invoiceId, subscriptionId: paid.subscriptionId, offer: coupon, key: 'k2' }),
    ).toEqual({ applied: false, invoiceStatus: 'void', detail: 'invoice void' });

    const missing = await scenario();
    await expect(
      applyOffer(stripe, {
        invoiceId: missing.invoiceId,
        subscriptionId: missing.subscriptionId,
        offer: { kind: 'coupon', coupon: 'GHOST' },
        key: 'k3',
      }),
    ).rejects.toMatchObject({ nonRetryable: true });
    expect((await stripe.invoices.retrieve(missing.invoiceId)).status).toBe('open');
  });
});
