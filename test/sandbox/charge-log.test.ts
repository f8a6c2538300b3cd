/**
 * What the Stripe sandbox tells test code so that it can count double charges and deliver events
 * itself: every charge attempt with its idempotency key and outcome, customers whose events are
 * recorded but not delivered, and cards of their own per customer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../src/providers/stripe';
import { startStripeSandbox, type ChargeRecord, type StripeEventRecord, type StripeSandbox } from '../../sandbox/stripe';

describe('stripe sandbox charge log and per-customer switches', () => {
  let sandbox: StripeSandbox;
  let stripe: Stripe;
  let receiver: Server;
  const delivered: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        delivered.push((JSON.parse(body) as { id: string }).id);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as AddressInfo;
    sandbox = await startStripeSandbox({ webhookSecret: 'whsec_test', webhookUrl: `http://127.0.0.1:${port}/` });
    stripe = createStripeClient({ secretKey: 'sk_test_x', apiBase: sandbox.url, maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
    await new Promise((r) => receiver.close(r));
  });

  it('records each charge that reached the card, with its key and outcome, and no replay or refusal', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'c@example.com', amount: 500, currency: 'usd' });
    await expect(stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: 'k-1' })).rejects.toBeInstanceOf(
      Stripe.errors.StripeCardError,
    );
    // The same key again: Stripe replays the saved answer, the card is not charged again.
    await expect(stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: 'k-1' })).rejects.toBeInstanceOf(
      Stripe.errors.StripeCardError,
    );
    const { paymentMethodId } = await sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa');
    await stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: 'k-2' });
    // Paid: a further pay is refused before any charge.
    await expect(stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: 'k-3' })).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );

    const res = await fetch(`${sandbox.url}/_sandbox/charges?invoice=${s.invoiceId}`);
    const { data } = (await res.json()) as { data: ChargeRecord[] };
    expect(data.map((c) => [c.source, c.idempotencyKey, c.outcome])).toEqual([
      ['automatic', null, 'declined'],
      ['api', 'k-1', 'declined'],
      ['api', 'k-2', 'succeeded'],
    ]);
    expect(data[0]).toMatchObject({ paymentMethodId: s.paymentMethodId, declineCode: 'insufficient_funds' });
    expect(data[2]!.paymentMethodId).toBe(paymentMethodId);
    expect(sandbox.charges().filter((c) => c.invoiceId === s.invoiceId)).toHaveLength(3);
  });

  it('mutes the events of a customer created with webhooks: false, and lists its events by customer', async () => {
    const loud = await sandbox.createFailedInvoiceScenario({ email: 'loud@example.com', amount: 500, currency: 'usd' });
    const quiet = await sandbox.createFailedInvoiceScenario({
      email: 'quiet@example.com',
      amount: 500,
      currency: 'usd',
      webhooks: false,
    });
    await stripe.invoices.voidInvoice(quiet.invoiceId);
    await sandbox.flushWebhooks();

    const res = await fetch(`${sandbox.url}/_sandbox/events?customer=${quiet.customerId}`);
    const { data } = (await res.json()) as { data: StripeEventRecord[] };
    expect(data.map((r) => r.event.type)).toEqual(
      expect.arrayContaining(['customer.created', 'invoice.payment_failed', 'invoice.voided', 'customer.subscription.created']),
    );
    expect(data.every((r) => r.delivery.status === 'muted')).toBe(true);
    expect(delivered.some((id) => data.some((r) => r.event.id === id))).toBe(false);
    const loudFailed = sandbox
      .events()
      .find((r) => r.event.type === 'invoice.payment_failed' && (r.event.data.object as { id: string }).id === loud.invoiceId);
    expect(delivered).toContain(loudFailed!.event.id);
  });

  it('gives the cards of an ownCards customer fingerprints of their own', async () => {
    const a = await sandbox.createFailedInvoiceScenario({
      email: 'a1@example.com',
      amount: 500,
      currency: 'usd',
      ownCards: true,
    });
    const b = await sandbox.createFailedInvoiceScenario({
      email: 'b1@example.com',
      amount: 500,
      currency: 'usd',
      ownCards: true,
    });
    const shared = await sandbox.createFailedInvoiceScenario({ email: 'c1@example.com', amount: 500, currency: 'usd' });
    const fingerprint = async (pm: string) => (await stripe.paymentMethods.retrieve(pm)).card!.fingerprint;
    expect(await fingerprint(a.paymentMethodId)).not.toBe(await fingerprint(b.paymentMethodId));
    const visaA = await sandbox.attachTestPaymentMethod(a.customerId, 'pm_card_visa');
    const visaB = await sandbox.attachTestPaymentMethod(b.customerId, 'pm_card_visa');
    expect(await fingerprint(visaA.paymentMethodId)).not.toBe(await fingerprint(visaB.paymentMethodId));
    // The same card attached again by the same customer keeps its fingerprint, as in Stripe.
    const visaA2 = await sandbox.attachTestPaymentMethod(a.customerId, 'pm_card_visa');
    expect(await fingerprint(visaA2.paymentMethodId)).toBe(await fingerprint(visaA.paymentMethodId));
    // Without the switch, test cards share the fingerprint of their number.
    const other = await sandbox.createFailedInvoiceScenario({ email: 'd1@example.com', amount: 500, currency: 'usd' });
    expect(await fingerprint(shared.paymentMethodId)).toBe(await fingerprint(other.paymentMethodId));
  });
});
