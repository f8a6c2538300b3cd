/**
 * What the sandbox does for another saved card (issue #23, part 4), through the real SDK: the
 * customer's cards are listed (`customers.listPaymentMethods`, `paymentMethods.list`), an invoice
 * is paid with one of them (`invoices.pay(id, { payment_method })`) without moving any default,
 * a detached card is neither listed nor chargeable, and an expired card is listed but declines.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../src/providers/stripe';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe';

let sandbox: StripeSandbox;
let stripe: Stripe;
beforeAll(async () => {
  sandbox = await startStripeSandbox({ webhookSecret: 'whsec_other_cards' });
  stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, maxNetworkRetries: 0 });
});
afterAll(async () => {
  await sandbox.close();
});

async function failedRenewalWithSecondCard(opts: { expired?: boolean } = {}) {
  const s = await sandbox.createFailedInvoiceScenario({
    email: `other-${Math.random().toString(36).slice(2)}@example.com`,
    amount: 2900,
    currency: 'usd',
    decline: 'pm_card_chargeDeclinedInsufficientFunds',
  });
  const { paymentMethodId: second } = await sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_mastercard', {
    makeDefault: false,
    ...opts,
  });
  return { s, second };
}

async function rejection(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await p;
  } catch (err) {
    return err as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

describe('another saved card in the Stripe sandbox', () => {
  it("lists the customer's cards, newest first, with brand, last4, expiry and fingerprint", async () => {
    const { s, second } = await failedRenewalWithSecondCard();
    const list = await stripe.customers.listPaymentMethods(s.customerId, { type: 'card', limit: 10 });
    expect(list.object).toBe('list');
    expect(list.data.map((pm) => pm.id)).toEqual([second, s.paymentMethodId]);
    expect(list.data[0]!.card).toMatchObject({ brand: 'mastercard', last4: '4444', exp_month: 12 });
    expect(list.data[0]!.card!.fingerprint).not.toBe(list.data[1]!.card!.fingerprint);
    // paymentMethods.list with `customer` answers the same cards; without it Stripe refuses.
    const same = await stripe.paymentMethods.list({ customer: s.customerId, type: 'card' });
    expect(same.data.map((pm) => pm.id)).toEqual([second, s.paymentMethodId]);
    expect((await rejection(stripe.paymentMethods.list({ type: 'card' }))).statusCode).toBe(400);
    // Another type: none of these cards.
    expect((await stripe.customers.listPaymentMethods(s.customerId, { type: 'us_bank_account' })).data).toEqual([]);
  });

  it('pays the invoice with the named card and leaves every default where it was', async () => {
    const { s, second } = await failedRenewalWithSecondCard();
    const paid = await stripe.invoices.pay(s.invoiceId, { payment_method: second, off_session: true });
    expect(paid.status).toBe('paid');
    // The charge was the second card's; the customer's default, the subscription's and the
    // invoice's own default payment method are unchanged (the parameter only names what is charged).
    const charge = sandbox.charges().at(-1)!;
    expect(charge).toMatchObject({ invoiceId: s.invoiceId, paymentMethodId: second, outcome: 'succeeded' });
    const customer = (await stripe.customers.retrieve(s.customerId)) as Stripe.Customer;
    expect(customer.invoice_settings.default_payment_method).toBe(s.paymentMethodId);
    expect(paid.default_payment_method).toBeNull();
    const sub = await stripe.subscriptions.retrieve(s.subscriptionId);
    expect(sub.default_payment_method).toBeNull();
    const pi = await stripe.paymentIntents.retrieve(s.paymentIntentId);
    expect(pi.payment_method).toBe(second);
  });

  it('a detached card is no longer listed, and paying with it is refused (400), nothing charged', async () => {
    const { s, second } = await failedRenewalWithSecondCard();
    await stripe.paymentMethods.detach(second);
    const list = await stripe.customers.listPaymentMethods(s.customerId, { type: 'card' });
    expect(list.data.map((pm) => pm.id)).toEqual([s.paymentMethodId]);
    const before = sandbox.charges().length;
    const err = await rejection(stripe.invoices.pay(s.invoiceId, { payment_method: second }));
    expect(err).toBeInstanceOf(Error);
    expect(err.type).toBe('StripeInvalidRequestError');
    expect(sandbox.charges()).toHaveLength(before);
    expect((await stripe.invoices.retrieve(s.invoiceId)).status).toBe('open');
  });

  it('an expired card is still listed, and paying with it declines expired_card (402)', async () => {
    const { s, second } = await failedRenewalWithSecondCard({ expired: true });
    const listed = (await stripe.customers.listPaymentMethods(s.customerId, { type: 'card' })).data.find(
      (pm) => pm.id === second,
    );
    const now = new Date();
    const { exp_month, exp_year } = listed!.card!;
    expect(Date.UTC(exp_year, exp_month, 1)).toBeLessThanOrEqual(now.getTime());
    const err = await rejection(stripe.invoices.pay(s.invoiceId, { payment_method: second }));
    expect(err.type).toBe('StripeCardError');
    expect(err.code).toBe('expired_card');
    expect(err.decline_code).toBe('expired_card');
    expect(sandbox.charges().at(-1)).toMatchObject({ paymentMethodId: second, outcome: 'declined' });
  });

  it('a scenario can save other cards and customer metadata before the renewal fails', async () => {
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'saved@example.com',
      amount: 2900,
      currency: 'usd',
      timeZone: 'Europe/Paris',
      customerMetadata: { dunning_other_cards_consent: 'true' },
      savedCards: ['pm_card_mastercard', 'pm_card_amex'],
    });
    expect(s.savedPaymentMethodIds).toHaveLength(2);
    const customer = (await stripe.customers.retrieve(s.customerId)) as Stripe.Customer;
    expect(customer.metadata).toEqual({ dunning_other_cards_consent: 'true', timezone: 'Europe/Paris' });
    // The declining card stays the default; the saved ones are listed beside it.
    expect(customer.invoice_settings.default_payment_method).toBe(s.paymentMethodId);
    const listed = await stripe.customers.listPaymentMethods(s.customerId, { type: 'card' });
    expect(new Set(listed.data.map((pm) => pm.id))).toEqual(new Set([s.paymentMethodId, ...s.savedPaymentMethodIds!]));
    await expect(
      sandbox.createFailedInvoiceScenario({ email: 'x@example.com', amount: 1, currency: 'usd', savedCards: ['pm_nope'] }),
    ).rejects.toThrow(/Unknown test card/);
  });

  it("a card of another customer cannot pay this customer's invoice", async () => {
    const { s } = await failedRenewalWithSecondCard();
    const other = await failedRenewalWithSecondCard();
    const err = await rejection(stripe.invoices.pay(s.invoiceId, { payment_method: other.second }));
    expect(err.type).toBe('StripeInvalidRequestError');
    expect(err.param).toBe('payment_method');
  });
});
