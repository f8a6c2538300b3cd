/**
 * What the sandbox does for the reminders before a card expires (issue #24, part 3), through the
 * real SDK: `subscriptions.list` as Stripe answers it (the canceled ones left out unless asked
 * for, filters, newest first, pages with `starting_after` and the SDK's auto-pagination, `expand`
 * of the cards), a paid-up subscription on a card of a chosen expiry, and the network's account
 * updater (`payment_method.automatically_updated` with the old expiry).
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../src/providers/stripe';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe';

let sandbox: StripeSandbox;
let stripe: Stripe;
beforeAll(async () => {
  sandbox = await startStripeSandbox({ webhookSecret: 'whsec_subscription_list' });
  stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, maxNetworkRetries: 0 });
});
afterAll(async () => {
  await sandbox.close();
});

const active = (
  over: { cardExpires?: { month: number; year: number }; renewsInDays?: number; subscriptionCard?: boolean } = {},
) =>
  sandbox.createActiveSubscriptionScenario({
    email: `expiring-${Math.random().toString(36).slice(2)}@example.com`,
    amount: 1900,
    currency: 'usd',
    webhooks: false,
    ...over,
  });

describe('subscriptions.list in the Stripe sandbox', () => {
  it('lists every subscription but the canceled ones, newest first, in pages', async () => {
    const a = await active();
    const b = await active({ cardExpires: { month: 1, year: 2027 }, renewsInDays: 12 });
    const c = await active();
    await stripe.subscriptions.cancel(c.subscriptionId);
    const failed = await sandbox.createFailedInvoiceScenario({
      email: 'pastdue@example.com',
      amount: 500,
      currency: 'usd',
      webhooks: false,
    });

    const page1 = await stripe.subscriptions.list({ limit: 2 });
    expect(page1.object).toBe('list');
    expect(page1.data.map((s) => s.id)).toEqual([failed.subscriptionId, b.subscriptionId]);
    expect(page1.has_more).toBe(true);
    const page2 = await stripe.subscriptions.list({ limit: 2, starting_after: b.subscriptionId });
    expect(page2.data.map((s) => s.id)).toEqual([a.subscriptionId]);
    expect(page2.has_more).toBe(false);

    // The SDK's auto-pagination walks every page; `status` and `customer` filter as Stripe's do.
    const all: string[] = [];
    for await (const s of stripe.subscriptions.list({ status: 'all', limit: 1 })) all.push(s.id);
    expect(all).toEqual([failed.subscriptionId, c.subscriptionId, b.subscriptionId, a.subscriptionId]);
    expect((await stripe.subscriptions.list({ status: 'active' })).data.map((s) => s.id)).toEqual([
      b.subscriptionId,
      a.subscriptionId,
    ]);
    expect((await stripe.subscriptions.list({ status: 'canceled' })).data.map((s) => s.id)).toEqual([c.subscriptionId]);
    expect((await stripe.subscriptions.list({ customer: b.customerId })).data.map((s) => s.id)).toEqual([b.subscriptionId]);
    await expect(stripe.subscriptions.list({ status: 'nope' as Stripe.SubscriptionListParams.Status })).rejects.toMatchObject({
      statusCode: 400,
      param: 'status',
    });
  });

  it('a chosen expiry and renewal, and the cards expanded on the list', async () => {
    const s = await active({ cardExpires: { month: 12, year: 2026 }, renewsInDays: 20 });
    const own = await active({ cardExpires: { month: 2, year: 2027 }, subscriptionCard: true });
    const list = await stripe.subscriptions.list({
      customer: s.customerId,
      expand: ['data.default_payment_method', 'data.customer.invoice_settings.default_payment_method'],
    });
    const sub = list.data[0]!;
    expect(sub.default_payment_method).toBeNull();
    const customer = sub.customer as Stripe.Customer;
    const pm = customer.invoice_settings.default_payment_method as Stripe.PaymentMethod;
    expect(pm.card).toMatchObject({ exp_month: 12, exp_year: 2026, last4: '4242' });
    expect(sub.items.data[0]!.current_period_end).toBe(s.renewsAt);

    const ownSub = (await stripe.subscriptions.list({ customer: own.customerId, expand: ['data.default_payment_method'] }))
      .data[0]!;
    expect((ownSub.default_payment_method as Stripe.PaymentMethod).card).toMatchObject({ exp_month: 2, exp_year: 2027 });
  });

  it('the account updater refreshes the card and says so with the old expiry', async () => {
    const s = await active({ cardExpires: { month: 12, year: 2026 } });
    sandbox.automaticallyUpdateCard(s.paymentMethodId);
    const pm = await stripe.paymentMethods.retrieve(s.paymentMethodId);
    expect(pm.card).toMatchObject({ exp_month: 12, exp_year: 2029 });
    const event = sandbox.events().at(-1)!.event;
    expect(event.type).toBe('payment_method.automatically_updated');
    expect(event.data.previous_attributes).toEqual({ card: { exp_month: 12, exp_year: 2026 } });
    expect(event.data.object).toMatchObject({ id: s.paymentMethodId, customer: s.customerId });
  });
});
