import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
import { createStripeClient } from '../../src/providers/stripe';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe';

// The real stripe-node SDK against the sandbox: if a shape, status or header differs from what the
// SDK expects of Stripe, these fail.

const SECRET = 'whsec_sandbox_test_secret';

function client(sandbox: StripeSandbox, maxNetworkRetries = 0): Stripe {
  return createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, maxNetworkRetries });
}

async function rejection(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await p;
  } catch (err) {
    return err as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

function eventsOf(sandbox: StripeSandbox, type: string, objectId?: string) {
  return sandbox
    .events()
    .filter((r) => r.event.type === type && (!objectId || (r.event.data.object as { id?: string }).id === objectId));
}

describe('stripe sandbox with the real SDK', () => {
  let sandbox: StripeSandbox;
  let stripe: Stripe;

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ webhookSecret: SECRET });
    stripe = client(sandbox);
  });
  afterAll(async () => {
    await sandbox.close();
  });
  afterEach(() => sandbox.clearFaults());

  it('creates a failed renewal: customer, declining default card, past_due subscription, open invoice', async () => {
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'ada@example.com',
      name: 'Ada',
      preferredLocales: ['fr-FR'],
      timeZone: 'Europe/Paris',
      amount: 4900,
      currency: 'EUR',
      decline: 'pm_card_chargeDeclinedInsufficientFunds',
    });
    expect(s.customerId).toMatch(/^cus_/);
    expect(s.paymentMethodId).toMatch(/^pm_/);
    expect(s.subscriptionId).toMatch(/^sub_/);
    expect(s.invoiceId).toMatch(/^in_/);

    const invoice = await stripe.invoices.retrieve(s.invoiceId);
    expect(invoice).toMatchObject({
      object: 'invoice',
      livemode: false,
      status: 'open',
      amount_due: 4900,
      amount_paid: 0,
      amount_remaining: 4900,
      currency: 'eur',
      customer: s.customerId,
      attempt_count: 1,
      attempted: true,
      billing_reason: 'subscription_cycle',
      collection_method: 'charge_automatically',
      parent: { type: 'subscription_details', subscription_details: { subscription: s.subscriptionId } },
    });
    expect(invoice.number).toMatch(/^[A-Z0-9]{8}-0001$/);
    expect(typeof invoice.created).toBe('number');
    const sub = await stripe.subscriptions.retrieve(s.subscriptionId);
    const priceId = sub.items.data[0]?.price.id;
    expect(priceId).toMatch(/^price_/);
    expect(invoice.lines.data[0]?.pricing?.price_details?.price).toBe(priceId);
    expect(sub.status).toBe('past_due');
    expect(sub.customer).toBe(s.customerId);

    const customer = (await stripe.customers.retrieve(s.customerId)) as Stripe.Customer;
    expect(customer.email).toBe('ada@example.com');
    expect(customer.preferred_locales).toEqual(['fr-FR']);
    expect(customer.metadata.timezone).toBe('Europe/Paris');
    expect(customer.invoice_settings.default_payment_method).toBe(s.paymentMethodId);

    const page = await fetch(invoice.hosted_invoice_url ?? '');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(invoice.number ?? 'missing');

    const failed = eventsOf(sandbox, 'invoice.payment_failed', s.invoiceId);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.event).toMatchObject({
      object: 'event',
      api_version: STRIPE_API_VERSION,
      livemode: false,
      request: { id: null },
    });
    expect(failed[0]?.event.id).toMatch(/^evt_/);
    expect(failed[0]?.delivery.status).toBe('not_configured');
  });

  it('surfaces a decline from invoices.pay as StripeCardError, and the PaymentIntent keeps last_payment_error', async () => {
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'max@example.com',
      amount: 1500,
      currency: 'usd',
      decline: {
        brand: 'mastercard',
        declineCode: 'do_not_honor',
        adviceCode: 'do_not_try_again',
        networkDeclineCode: '05',
        networkAdviceCode: '03',
      },
    });
    const err = await rejection(stripe.invoices.pay(s.invoiceId, { off_session: true }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.statusCode).toBe(402);
    expect(err.code).toBe('card_declined');
    expect(err.decline_code).toBe('do_not_honor');
    expect(err.advice_code).toBe('do_not_try_again');
    expect(err.network_decline_code).toBe('05');
    expect(err.network_advice_code).toBe('03');
    expect(err.payment_intent?.id).toBe(s.paymentIntentId);
    expect(err.requestId).toMatch(/^req_/);

    const payments = await stripe.invoicePayments.list({ invoice: s.invoiceId, expand: ['data.payment.payment_intent'] });
    expect(payments.data).toHaveLength(1);
    const payment = payments.data[0] as Stripe.InvoicePayment;
    expect(payment).toMatchObject({
      object: 'invoice_payment',
      invoice: s.invoiceId,
      is_default: true,
      status: 'open',
      amount_requested: 1500,
    });
    expect(payment.payment.type).toBe('payment_intent');
    const pi = payment.payment.payment_intent as Stripe.PaymentIntent;
    expect(pi.object).toBe('payment_intent');
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'do_not_honor',
      advice_code: 'do_not_try_again',
      network_decline_code: '05',
      network_advice_code: '03',
      payment_method: { id: s.paymentMethodId, card: { brand: 'mastercard', last4: '5100' } },
    });
    expect(pi.last_payment_error?.payment_method?.card?.fingerprint).toMatch(/^[A-Za-z0-9]{16}$/);

    // A manual attempt after the first does not move Stripe's attempt_count.
    const invoice = await stripe.invoices.retrieve(s.invoiceId);
    expect(invoice.attempt_count).toBe(1);
    expect(eventsOf(sandbox, 'invoice.payment_failed', s.invoiceId)).toHaveLength(2);

    // The id without expand stays a string.
    const plain = await stripe.invoicePayments.list({ invoice: s.invoiceId });
    expect(plain.data[0]?.payment.payment_intent).toBe(s.paymentIntentId);
    const retrieved = await stripe.paymentIntents.retrieve(s.paymentIntentId, { expand: ['payment_method'] });
    expect(retrieved.last_payment_error?.decline_code).toBe('do_not_honor');
    expect((retrieved.payment_method as Stripe.PaymentMethod).id).toBe(s.paymentMethodId);
    // `last_payment_error.payment_method` is always an object, so (as in Stripe) it is not expandable.
    const notExpandable = await rejection(
      stripe.paymentIntents.retrieve(s.paymentIntentId, { expand: ['last_payment_error.payment_method'] }),
    );
    expect(notExpandable.statusCode).toBe(400);
  });

  it('replays an idempotent pay instead of charging twice, and rejects the key with other params', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'idem@example.com', amount: 900, currency: 'usd' });
    const key = `retry-${s.invoiceId}-1`;
    const first = await rejection(stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: key }));
    const second = await rejection(stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: key }));
    expect(first.decline_code).toBe('insufficient_funds');
    expect(second.decline_code).toBe('insufficient_funds');
    expect(second.headers?.['idempotent-replayed']).toBe('true');
    // One attempt for two calls: the scenario's attempt plus this one.
    expect(eventsOf(sandbox, 'invoice.payment_failed', s.invoiceId)).toHaveLength(2);

    sandbox.setPaymentMethodBehaviour(s.paymentMethodId, { outcome: 'succeed' });
    const payKey = `retry-${s.invoiceId}-2`;
    const paid = await stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: payKey });
    const replay = await stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: payKey });
    expect(paid.status).toBe('paid');
    expect(replay.status).toBe('paid');
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(eventsOf(sandbox, 'invoice.paid', s.invoiceId)).toHaveLength(1);
    expect(eventsOf(sandbox, 'payment_intent.succeeded', s.paymentIntentId)).toHaveLength(1);

    const mismatch = await rejection(stripe.invoices.pay(s.invoiceId, { off_session: false }, { idempotencyKey: payKey }));
    expect(mismatch).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(mismatch.statusCode).toBe(400);

    // A fresh attempt on a paid invoice is Stripe's 400, not a second charge.
    const again = await rejection(stripe.invoices.pay(s.invoiceId));
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(again.message).toBe('Invoice is already paid');
  });

  it('lets a card start succeeding: pay marks the invoice paid, reactivates the subscription, emits invoice.paid', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'later@example.com', amount: 2500, currency: 'gbp' });
    await rejection(stripe.invoices.pay(s.invoiceId));
    sandbox.setPaymentMethodBehaviour(s.paymentMethodId, { outcome: 'succeed' });
    const invoice = await stripe.invoices.pay(s.invoiceId, { off_session: true });
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 2500, amount_remaining: 0 });
    expect(invoice.status_transitions.paid_at).toEqual(expect.any(Number));
    expect((await stripe.subscriptions.retrieve(s.subscriptionId)).status).toBe('active');
    const pi = await stripe.paymentIntents.retrieve(s.paymentIntentId);
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 2500, last_payment_error: null });
    const payments = await stripe.invoicePayments.list({ invoice: s.invoiceId });
    expect(payments.data[0]).toMatchObject({ status: 'paid', amount_paid: 2500 });

    const paidEvents = eventsOf(sandbox, 'invoice.paid', s.invoiceId);
    expect(paidEvents).toHaveLength(1);
    expect(paidEvents[0]?.event.data.object).toMatchObject({ status: 'paid' });
    expect(eventsOf(sandbox, 'invoice.payment_succeeded', s.invoiceId)).toHaveLength(1);
    const subUpdated = eventsOf(sandbox, 'customer.subscription.updated', s.subscriptionId).at(-1);
    expect(subUpdated?.event.data.previous_attributes).toEqual({ status: 'past_due' });
    // The event made by an API request names that request.
    expect(paidEvents[0]?.event.request?.id).toMatch(/^req_/);
  });

  it("with subscriptionCard, the subscription has its own card, which Stripe charges before the customer's default", async () => {
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'own-card@example.com',
      amount: 1500,
      currency: 'usd',
      decline: 'pm_card_chargeDeclinedInsufficientFunds',
      subscriptionCard: { customerDefault: 'pm_card_visa' },
    });
    const sub = await stripe.subscriptions.retrieve(s.subscriptionId);
    const customer = (await stripe.customers.retrieve(s.customerId)) as Stripe.Customer;
    expect(sub.default_payment_method).toBe(s.paymentMethodId);
    expect(customer.invoice_settings.default_payment_method).toBe(s.customerDefaultPaymentMethodId);
    expect(s.customerDefaultPaymentMethodId).not.toBe(s.paymentMethodId);
    const charged = () => sandbox.charges().filter((c) => c.invoiceId === s.invoiceId);
    // The renewal's own attempt, and a pay without a card, charge the subscription's card.
    expect(charged().map((c) => c.paymentMethodId)).toEqual([s.paymentMethodId]);
    expect((await rejection(stripe.invoices.pay(s.invoiceId))).type).toBe('StripeCardError');
    expect(charged().at(-1)?.paymentMethodId).toBe(s.paymentMethodId);
    // Without a card of its own, the customer's default (which succeeds).
    await stripe.subscriptions.update(s.subscriptionId, { default_payment_method: '' });
    expect((await stripe.invoices.pay(s.invoiceId)).status).toBe('paid');
    expect(charged().at(-1)).toMatchObject({ paymentMethodId: s.customerDefaultPaymentMethodId, outcome: 'succeeded' });
  });

  it('with customerId, a second subscription of the same customer fails on their default card', async () => {
    const first = await sandbox.createFailedInvoiceScenario({ email: 'two-subs@example.com', amount: 1500, currency: 'usd' });
    const second = await sandbox.createFailedInvoiceScenario({
      email: 'two-subs@example.com',
      amount: 900,
      currency: 'usd',
      customerId: first.customerId,
    });
    expect(second.customerId).toBe(first.customerId);
    expect(second.paymentMethodId).toBe(first.paymentMethodId);
    expect(second.subscriptionId).not.toBe(first.subscriptionId);
    const invoice = await stripe.invoices.retrieve(second.invoiceId);
    expect(invoice).toMatchObject({ customer: first.customerId, status: 'open', amount_remaining: 900, attempt_count: 1 });
    expect(await stripe.subscriptions.retrieve(second.subscriptionId)).toMatchObject({ customer: first.customerId });
    expect(eventsOf(sandbox, 'invoice.payment_failed', second.invoiceId)).toHaveLength(1);
    // Unknown customer, or options that belong to a new customer's card: refused, nothing made.
    await expect(
      sandbox.createFailedInvoiceScenario({ email: 'x@example.com', amount: 100, currency: 'usd', customerId: 'cus_nope' }),
    ).rejects.toThrow(/No such customer/);
    await expect(
      sandbox.createFailedInvoiceScenario({
        email: 'x@example.com',
        amount: 100,
        currency: 'usd',
        customerId: first.customerId,
        decline: 'pm_card_chargeDeclinedExpiredCard',
      }),
    ).rejects.toThrow(/set its behaviour instead/);
  });

  it('refuses a subscriptionCard scenario with an unknown test card', async () => {
    await expect(
      sandbox.createFailedInvoiceScenario({
        email: 'x@example.com',
        amount: 100,
        currency: 'usd',
        subscriptionCard: { customerDefault: 'pm_card_nope' },
      }),
    ).rejects.toThrow(/Unknown test payment method/);
  });

  it('a bank debit: pay answers 200 with the invoice still open and its PaymentIntent processing; it settles or fails later', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'ach@example.com', amount: 4000, currency: 'usd' });
    const { paymentMethodId } = await sandbox.attachTestPaymentMethod(s.customerId, 'pm_usBankAccount_success');
    const pm = await stripe.paymentMethods.retrieve(paymentMethodId);
    expect(pm).toMatchObject({ type: 'us_bank_account', us_bank_account: { last4: '6789', bank_name: 'STRIPE TEST BANK' } });

    const invoice = await stripe.invoices.pay(s.invoiceId, { off_session: true });
    // At this API version the invoice has no payment_intent: the PaymentIntent is reached through its payments.
    expect(invoice).toMatchObject({ status: 'open', amount_paid: 0, amount_remaining: 4000 });
    const payments = await stripe.invoicePayments.list({ invoice: s.invoiceId, expand: ['data.payment.payment_intent'] });
    expect(payments.data[0]).toMatchObject({ status: 'open', payment: { payment_intent: { status: 'processing' } } });
    expect(eventsOf(sandbox, 'payment_intent.processing', s.paymentIntentId)).toHaveLength(1);
    expect(eventsOf(sandbox, 'invoice.paid', s.invoiceId)).toHaveLength(0);
    expect(
      sandbox
        .charges()
        .filter((c) => c.invoiceId === s.invoiceId)
        .at(-1),
    ).toMatchObject({ outcome: 'processing' });
    // No second debit while the first is under way.
    const again = await rejection(stripe.invoices.pay(s.invoiceId, { off_session: true }));
    expect(again).toMatchObject({ type: 'StripeInvalidRequestError', code: 'payment_intent_unexpected_state' });

    // Days later the bank returns it (ACH R01): Stripe's own events, no request.
    const failedBefore = eventsOf(sandbox, 'invoice.payment_failed', s.invoiceId).length;
    const settle = (invoiceId: string, body: object) =>
      fetch(`${sandbox.url}/_sandbox/invoices/${invoiceId}/settle`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await settle(s.invoiceId, { outcome: 'fail', code: 'insufficient_funds' })).status).toBe(200);
    const failed = eventsOf(sandbox, 'invoice.payment_failed', s.invoiceId);
    expect(failed).toHaveLength(failedBefore + 1);
    expect(failed.at(-1)?.event.request).toEqual({ id: null, idempotency_key: null });
    const pi = await stripe.paymentIntents.retrieve(s.paymentIntentId);
    expect(pi).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'insufficient_funds' } });
    expect((await stripe.invoices.retrieve(s.invoiceId)).status).toBe('open');
    // Nothing is processing any more: settling again is refused.
    expect((await settle(s.invoiceId, { outcome: 'succeed' })).status).toBe(400);

    // A second debit settles: the invoice is paid by Stripe itself.
    expect((await stripe.invoices.pay(s.invoiceId, { off_session: true })).status).toBe('open');
    expect((await settle(s.invoiceId, { outcome: 'succeed' })).status).toBe(200);
    expect(await stripe.invoices.retrieve(s.invoiceId)).toMatchObject({ status: 'paid', amount_paid: 4000 });
    const paid = eventsOf(sandbox, 'invoice.paid', s.invoiceId);
    expect(paid).toHaveLength(1);
    expect(paid[0]?.event.request?.id).toBeNull();
  });

  it('asks for authentication with a 3-D Secure card', async () => {
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'sca@example.com',
      amount: 700,
      currency: 'eur',
      decline: 'pm_card_authenticationRequired',
    });
    const err = await rejection(stripe.invoices.pay(s.invoiceId));
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.code).toBe('invoice_payment_intent_requires_action');
    const pi = await stripe.paymentIntents.retrieve(s.paymentIntentId);
    expect(pi.status).toBe('requires_action');
    expect(pi.last_payment_error?.code).toBe('authentication_required');
    expect(eventsOf(sandbox, 'invoice.payment_action_required', s.invoiceId).length).toBeGreaterThan(0);

    // On-session too: the server cannot authenticate for the customer; the hosted page can.
    const onSession = await rejection(stripe.invoices.pay(s.invoiceId, { off_session: false }));
    expect(onSession.code).toBe('invoice_payment_intent_requires_action');
    expect((await stripe.invoices.retrieve(s.invoiceId)).status).toBe('open');
    const page = await fetch(s.hostedInvoiceUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_authenticationRequired',
    });
    expect(page.status).toBe(200);
    expect((await stripe.invoices.retrieve(s.invoiceId)).status).toBe('paid');
  });

  it('attaches test cards as clones with a stable fingerprint, and reports a default change on customer.updated', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'cards@example.com', amount: 1000, currency: 'usd' });
    const a = await stripe.paymentMethods.attach('pm_card_visa', { customer: s.customerId });
    const b = await stripe.paymentMethods.attach('pm_card_visa', { customer: s.customerId });
    expect(a.id).toMatch(/^pm_/);
    expect(a.id).not.toBe('pm_card_visa');
    expect(a.id).not.toBe(b.id);
    expect(a.customer).toBe(s.customerId);
    expect(a.card).toMatchObject({
      brand: 'visa',
      last4: '4242',
      country: 'US',
      exp_month: expect.any(Number),
      exp_year: expect.any(Number),
    });
    expect(a.card?.fingerprint).toBe(b.card?.fingerprint);
    const failing = await stripe.paymentMethods.retrieve(s.paymentMethodId);
    expect(failing.card?.fingerprint).not.toBe(a.card?.fingerprint);
    expect(eventsOf(sandbox, 'payment_method.attached', a.id)).toHaveLength(1);

    const updated = await stripe.customers.update(s.customerId, { invoice_settings: { default_payment_method: a.id } });
    expect(updated.invoice_settings.default_payment_method).toBe(a.id);
    const change = eventsOf(sandbox, 'customer.updated', s.customerId).at(-1);
    expect(change?.event.data.previous_attributes).toEqual({ invoice_settings: { default_payment_method: s.paymentMethodId } });

    const notAttached = await rejection(
      stripe.customers.update(s.customerId, { invoice_settings: { default_payment_method: 'pm_unknown' } }),
    );
    expect(notAttached.statusCode).toBe(404);
    expect(notAttached.param).toBe('invoice_settings[default_payment_method]');

    const paid = await stripe.invoices.pay(s.invoiceId);
    expect(paid.status).toBe('paid');
  });

  it('updates, pauses and cancels subscriptions; voids and marks invoices uncollectible, with events', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'ops@example.com', amount: 1000, currency: 'usd' });
    const paused = await stripe.subscriptions.update(s.subscriptionId, { pause_collection: { behavior: 'void' } });
    expect(paused.pause_collection).toEqual({ behavior: 'void', resumes_at: null });
    const resumed = await stripe.subscriptions.update(s.subscriptionId, { pause_collection: '' });
    expect(resumed.pause_collection).toBeNull();

    const uncollectible = await stripe.invoices.markUncollectible(s.invoiceId);
    expect(uncollectible.status).toBe('uncollectible');
    expect(eventsOf(sandbox, 'invoice.marked_uncollectible', s.invoiceId)).toHaveLength(1);
    const voided = await stripe.invoices.voidInvoice(s.invoiceId);
    expect(voided.status).toBe('void');
    expect(eventsOf(sandbox, 'invoice.voided', s.invoiceId)).toHaveLength(1);
    const payVoid = await rejection(stripe.invoices.pay(s.invoiceId));
    expect(payVoid.statusCode).toBe(400);

    const canceled = await stripe.subscriptions.cancel(s.subscriptionId);
    expect(canceled.status).toBe('canceled');
    expect(eventsOf(sandbox, 'customer.subscription.deleted', s.subscriptionId)).toHaveLength(1);

    const list = await stripe.invoices.list({ customer: s.customerId, limit: 10 });
    expect(list.object).toBe('list');
    expect(list.data.map((i) => i.id)).toEqual([s.invoiceId]);
  });

  it('answers Stripe-shaped errors: 404 resource_missing, 400 unknown parameter, 401 without a key', async () => {
    const res = await fetch(`${sandbox.url}/v1/customers/cus_missing`, { headers: { authorization: 'Bearer sk_test_x' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(await res.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'resource_missing',
        doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
        message: "No such customer: 'cus_missing'",
        param: 'id',
      },
    });
    const viaSdk = await rejection(stripe.invoices.retrieve('in_missing'));
    expect(viaSdk).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(viaSdk.code).toBe('resource_missing');

    const unknown = await rejection(
      stripe.customers.create({ email: 'x@example.com', colour: 'blue' } as Stripe.CustomerCreateParams),
    );
    expect(unknown.statusCode).toBe(400);
    expect(unknown.code).toBe('parameter_unknown');
    expect(unknown.param).toBe('colour');

    const anonymous = await fetch(`${sandbox.url}/v1/customers/cus_missing`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const live = await rejection(
      createStripeClient({ secretKey: 'sk_live_nope', apiBase: sandbox.url, maxNetworkRetries: 0 }).customers.retrieve('cus_x'),
    );
    expect(live).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('injects faults: 500 and 429 reach the caller; a 503 is retried by the SDK itself', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'faults@example.com', amount: 1000, currency: 'usd' });
    sandbox.injectFault({ pathPattern: '^GET /v1/invoices/', status: 500, count: 1 });
    const e500 = await rejection(stripe.invoices.retrieve(s.invoiceId));
    expect(e500).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(e500.statusCode).toBe(500);
    expect(e500.type).toBe('StripeAPIError');
    expect((await stripe.invoices.retrieve(s.invoiceId)).id).toBe(s.invoiceId);

    // Stripe-Should-Retry: false on 429, so even a retrying client surfaces it at once.
    sandbox.injectFault({ pathPattern: '^POST /v1/invoices/.+/pay$', status: 429, count: 1 });
    const e429 = await rejection(client(sandbox, 2).invoices.pay(s.invoiceId));
    expect(e429).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(e429.headers?.['stripe-should-retry']).toBe('false');
    // The fault answered before anything ran: no payment attempt was made.
    expect(eventsOf(sandbox, 'invoice.payment_failed', s.invoiceId)).toHaveLength(1);

    sandbox.injectFault({ pathPattern: '^GET /v1/customers/', status: 503, count: 1 });
    const retrying = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, maxNetworkRetries: 1 });
    const customer = await retrying.customers.retrieve(s.customerId);
    expect(customer.id).toBe(s.customerId);
  });

  it('serves the Billing Portal: the session URL shows a card form; submitting it sets a new default and redirects', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'portal@example.com', amount: 3000, currency: 'usd' });
    const session = await stripe.billingPortal.sessions.create({
      customer: s.customerId,
      return_url: 'http://127.0.0.1:9/app',
      locale: 'vi',
      flow_data: {
        type: 'payment_method_update',
        after_completion: { type: 'redirect', redirect: { return_url: 'http://127.0.0.1:9/billing/done' } },
      },
    });
    expect(session).toMatchObject({
      object: 'billing_portal.session',
      customer: s.customerId,
      return_url: 'http://127.0.0.1:9/app',
      locale: 'vi',
      flow: {
        type: 'payment_method_update',
        after_completion: {
          type: 'redirect',
          redirect: { return_url: 'http://127.0.0.1:9/billing/done' },
          hosted_confirmation: null,
        },
      },
    });
    expect(session.id).toMatch(/^bps_/);
    expect(session.url).toBe(`${sandbox.url}/_sandbox/portal/${session.id}`);

    const page = await fetch(session.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(html).toContain('value="pm_card_visa"');

    const submit = await fetch(session.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_mastercard',
      redirect: 'manual',
    });
    expect(submit.status).toBe(303);
    expect(submit.headers.get('location')).toBe('http://127.0.0.1:9/billing/done');

    const customer = (await stripe.customers.retrieve(s.customerId)) as Stripe.Customer;
    const newPm = customer.invoice_settings.default_payment_method as string;
    expect(newPm).not.toBe(s.paymentMethodId);
    expect((await stripe.paymentMethods.retrieve(newPm)).card?.brand).toBe('mastercard');
    expect(eventsOf(sandbox, 'payment_method.attached', newPm)).toHaveLength(1);
    const change = eventsOf(sandbox, 'customer.updated', s.customerId).at(-1);
    expect(change?.event.data.previous_attributes).toEqual({ invoice_settings: { default_payment_method: s.paymentMethodId } });

    expect((await stripe.invoices.pay(s.invoiceId)).status).toBe('paid');

    // As Stripe: without after_completion the flow ends on the portal (homepage), whose link
    // leads to return_url; return_url is where a customer goes who leaves, not a completion.
    const plain = await stripe.billingPortal.sessions.create({
      customer: s.customerId,
      return_url: 'http://127.0.0.1:9/app',
      flow_data: { type: 'payment_method_update' },
    });
    expect(plain.flow?.after_completion.type).toBe('portal_homepage');
    const done = await fetch(plain.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa',
      redirect: 'manual',
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('href="http://127.0.0.1:9/app"');
    await expect(
      stripe.billingPortal.sessions.create({
        customer: s.customerId,
        flow_data: { type: 'payment_method_update', after_completion: { type: 'redirect' } },
      }),
    ).rejects.toThrow(/flow_data\[after_completion\]\[redirect\]\[return_url\]/);
  });

  it('takes a payment on the hosted invoice page', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'hosted@example.com', amount: 1200, currency: 'usd' });
    const res = await fetch(s.hostedInvoiceUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Payment succeeded');
    expect((await stripe.invoices.retrieve(s.invoiceId)).status).toBe('paid');
    expect(eventsOf(sandbox, 'invoice.paid', s.invoiceId)).toHaveLength(1);
  });

  it('is drivable over HTTP by another process: scenario, behaviour, attach, events', async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/scenarios/failed-invoice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'cli@example.com',
        amount: 1999,
        currency: 'usd',
        decline: { declineCode: 'insufficient_funds', adviceCode: 'try_again_later' },
      }),
    });
    expect(res.status).toBe(201);
    const s = (await res.json()) as { invoiceId: string; paymentMethodId: string; customerId: string };
    expect(s.invoiceId).toMatch(/^in_/);

    const bad = await fetch(`${sandbox.url}/_sandbox/scenarios/failed-invoice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'not-an-email', amount: 10, currency: 'usd' }),
    });
    expect(bad.status).toBe(400);

    const behaviour = await fetch(`${sandbox.url}/_sandbox/payment_methods/${s.paymentMethodId}/behaviour`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'succeed' }),
    });
    expect(behaviour.status).toBe(200);
    expect((await stripe.invoices.pay(s.invoiceId)).status).toBe('paid');

    const attach = await fetch(`${sandbox.url}/_sandbox/customers/${s.customerId}/payment_methods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ testPaymentMethod: 'pm_card_visa' }),
    });
    expect(attach.status).toBe(201);

    const events = (await (await fetch(`${sandbox.url}/_sandbox/events?type=invoice.paid`)).json()) as {
      data: { event: { data: { object: { id: string } } } }[];
    };
    expect(events.data.some((r) => r.event.data.object.id === s.invoiceId)).toBe(true);
  });
});

describe('stripe sandbox webhooks', () => {
  let receiver: Server;
  let receiverUrl: string;
  const received: { body: string; headers: IncomingHttpHeaders }[] = [];
  let failNext = 0;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failNext > 0) {
          failNext -= 1;
          res.statusCode = 503;
          return res.end();
        }
        received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/stripe`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('signs each event so stripe.webhooks.constructEvent verifies it, and retries a failed delivery', async () => {
    const sandbox = await startStripeSandbox({
      webhookSecret: SECRET,
      webhookUrl: receiverUrl,
      webhookRetryDelaysMs: [20, 20, 20, 20],
    });
    try {
      failNext = 1; // the first delivery (customer.created) is refused once
      const s = await sandbox.createFailedInvoiceScenario({ email: 'hook@example.com', amount: 1000, currency: 'usd' });
      await sandbox.flushWebhooks(5000);

      const stripe = client(sandbox);
      const verified = received.map((r) =>
        stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, SECRET),
      );
      const failed = verified.find((e) => e.type === 'invoice.payment_failed');
      expect(failed).toBeDefined();
      expect((failed?.data.object as Stripe.Invoice).id).toBe(s.invoiceId);
      expect(failed?.api_version).toBe(STRIPE_API_VERSION);
      expect(failed?.pending_webhooks).toBe(1);
      // First tries go out in order (the invoice is finalized before it fails); a refused delivery
      // is retried on its own timer and may land after later events, as with Stripe.
      const types = verified.map((e) => e.type);
      expect(types.indexOf('invoice.finalized')).toBeGreaterThanOrEqual(0);
      expect(types.indexOf('invoice.finalized')).toBeLessThan(types.indexOf('invoice.payment_failed'));

      expect(() =>
        stripe.webhooks.constructEvent(
          received[0]?.body ?? '',
          received[0]?.headers['stripe-signature'] as string,
          'whsec_wrong',
        ),
      ).toThrow(Stripe.errors.StripeSignatureVerificationError);

      const records = sandbox.events();
      expect(records.every((r) => r.delivery.status === 'delivered')).toBe(true);
      const retried = records.find((r) => r.event.type === 'customer.created');
      expect(retried?.delivery.attempts.map((a) => a.status)).toEqual([503, 200]);
    } finally {
      await sandbox.close();
    }
  });

  it('gives up after the bounded number of tries', async () => {
    const sandbox = await startStripeSandbox({
      webhookSecret: SECRET,
      webhookUrl: 'http://127.0.0.1:9/unreachable',
      webhookRetryDelaysMs: [10, 10],
    });
    try {
      await sandbox.createFailedInvoiceScenario({ email: 'nobody@example.com', amount: 1000, currency: 'usd' });
      await sandbox.flushWebhooks(5000);
      const record = sandbox.events()[0];
      expect(record?.delivery.status).toBe('failed');
      expect(record?.delivery.attempts).toHaveLength(3);
      expect(record?.delivery.attempts[0]?.error).toBeTruthy();
    } finally {
      await sandbox.close();
    }
  });
});

describe('stripe sandbox persistence', () => {
  it('keeps customers and invoices across a restart when given a data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stripe-sandbox-'));
    try {
      const dataFile = join(dir, 'stripe.json');
      const first = await startStripeSandbox({ webhookSecret: SECRET, dataFile });
      const s = await first.createFailedInvoiceScenario({ email: 'keep@example.com', amount: 1000, currency: 'usd' });
      await first.close();

      const second = await startStripeSandbox({ webhookSecret: SECRET, dataFile });
      try {
        const invoice = await client(second).invoices.retrieve(s.invoiceId);
        expect(invoice.status).toBe('open');
        expect(invoice.hosted_invoice_url?.startsWith(second.url)).toBe(true);
        expect(second.events().length).toBeGreaterThan(0);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
