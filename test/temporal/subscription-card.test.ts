/**
 * A subscription with its own default card (issue #20 point 1), end to end on the real stack
 * (worker, API, Stripe sandbox, outbox): the case charges the card Stripe would charge, a card
 * update charges the customer's new card and makes it the subscription's, and the subscription's
 * own card changing is a card update. Webhooks are delivered by the test, so that each step is
 * the one under test.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DunningStatus } from '../../domain/types';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ stripeWebhooks: false });
});
afterAll(async () => {
  await stack?.close();
});

const until = (invoiceId: string, what: string, ok: (s: DunningStatus) => boolean) => stack.untilStatus(invoiceId, what, ok);

/**
 * The renewal charged the subscription's own card, which declined; the customer's default is
 * another card (one that declines too, so that charging it by mistake shows as an attempt).
 */
async function subscriptionWithOwnCard() {
  const email = `subcard-${randomBytes(4).toString('hex')}@example.com`;
  const s = await stack.sandbox.createFailedInvoiceScenario({
    email,
    amount: 2500,
    currency: 'usd',
    decline: 'pm_card_chargeDeclinedInsufficientFunds',
    subscriptionCard: { customerDefault: 'pm_card_chargeDeclined' },
  });
  const failed = stack.eventsFor('invoice.payment_failed', s.invoiceId)[0]!;
  expect((await stack.deliver(failed)).status).toBe(200);
  await eventually(() => stack.outbox.messages().find((m) => m.to.includes(email)), 30_000, 'the first email');
  return { ...s, email };
}

const chargesOf = (invoiceId: string) => stack.sandbox.charges().filter((c) => c.invoiceId === invoiceId);

describe('a subscription with its own card', () => {
  it("at the start, the customer's other default is not taken for a new card: nothing is charged", async () => {
    const s = await subscriptionWithOwnCard();
    // Long enough for the start's card check to have charged (it runs right after the first email).
    await new Promise((r) => setTimeout(r, 2000));
    const st = await stack.status(s.invoiceId);
    expect(st?.state).toBe('active');
    expect(st?.attempts).toEqual([]);
    expect(st?.emails.map((e) => e.template)).not.toContain('new_card_declined');
    expect(chargesOf(s.invoiceId).map((c) => c.paymentMethodId)).toEqual([s.paymentMethodId]);
  });

  it("a card update with no card named charges the customer's new default and makes it the subscription's", async () => {
    const s = await subscriptionWithOwnCard();
    // The Billing Portal sets the customer's default (its events are not delivered here); then
    // the billing page calls the API without naming the card.
    const { paymentMethodId: newCard } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa', {
      makeDefault: true,
    });
    const res = await stack.api(`/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    const st = await until(s.invoiceId, 'recovered', (x) => x.state === 'recovered');
    expect(st.outcome).toBe('card_updated');
    expect(chargesOf(s.invoiceId).map((c) => [c.paymentMethodId, c.outcome])).toEqual([
      [s.paymentMethodId, 'declined'],
      [newCard, 'succeeded'],
    ]);
    // The next renewal charges the new card, not the subscription's old one.
    const sub = await stack.stripe.subscriptions.retrieve(s.subscriptionId);
    expect(sub.default_payment_method).toBe(newCard);
    // That change's own event is known as ours: it is no card update of its own.
    const echo = stack
      .eventsFor('customer.subscription.updated', s.subscriptionId)
      .find((e) => e.data.previous_attributes && 'default_payment_method' in e.data.previous_attributes)!;
    expect(echo.request?.idempotency_key).toMatch(/\/subscription-card$/);
    const answer = await stack.deliver(echo);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ received: true, ignored: expect.stringContaining('already charged') });
  });

  it('a named card that declines still becomes the subscription card: the later retries charge it', async () => {
    const s = await subscriptionWithOwnCard();
    const { paymentMethodId: chosen } = await stack.sandbox.attachTestPaymentMethod(
      s.customerId,
      'pm_card_chargeDeclinedInsufficientFunds',
      { makeDefault: false },
    );
    const res = await stack.api(`/api/invoices/${s.invoiceId}/payment-method-updated`, {
      method: 'POST',
      body: JSON.stringify({ paymentMethodId: chosen }),
    });
    expect(res.status).toBe(202);
    const st = await until(s.invoiceId, 'the card update declined', (x) => x.attempts.length === 1);
    expect(st.attempts[0]).toMatchObject({ trigger: 'payment_method_updated', outcome: 'declined' });
    expect(chargesOf(s.invoiceId).at(-1)?.paymentMethodId).toBe(chosen);
    expect((await stack.stripe.subscriptions.retrieve(s.subscriptionId)).default_payment_method).toBe(chosen);
  });

  it('the subscription getting a new card of its own (customer.subscription.updated) is a card update', async () => {
    const s = await subscriptionWithOwnCard();
    const { paymentMethodId: newCard } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa', {
      makeDefault: false,
    });
    // As the merchant's app or a support agent would, through the API.
    await stack.stripe.subscriptions.update(s.subscriptionId, { default_payment_method: newCard });
    const event = stack.eventsFor('customer.subscription.updated', s.subscriptionId).at(-1)!;
    expect((await stack.deliver(event)).status).toBe(200);
    const st = await until(s.invoiceId, 'recovered', (x) => x.state === 'recovered');
    expect(st.outcome).toBe('card_updated');
    expect(chargesOf(s.invoiceId).at(-1)).toMatchObject({ paymentMethodId: newCard, outcome: 'succeeded' });
  });
});
