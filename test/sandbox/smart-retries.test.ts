import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../src/providers/stripe';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe';

// Stripe's own retry schedule in the sandbox, through the real SDK: what its attempts look like in
// the invoice and its events, and that `auto_advance: false` stops them, as at Stripe.

describe('stripe sandbox Smart Retries', () => {
  let sandbox: StripeSandbox;
  let stripe: Stripe;

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ webhookSecret: 'whsec_smart_retries' });
    stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const failures = (invoiceId: string) =>
    sandbox
      .events()
      .filter((r) => r.event.type === 'invoice.payment_failed' && (r.event.data.object as { id: string }).id === invoiceId)
      .map((r) => ({ request: r.event.request, invoice: r.event.data.object as Stripe.Invoice }));

  it('off by default: no next_payment_attempt, and no automatic attempt to make', async () => {
    const s = await sandbox.createFailedInvoiceScenario({ email: 'off@example.com', amount: 1000, currency: 'usd' });
    expect((await stripe.invoices.retrieve(s.invoiceId)).next_payment_attempt).toBeNull();
    expect(sandbox.runAutomaticAttempt(s.invoiceId)).toEqual({ attempted: false, reason: 'no_attempt_scheduled' });
  });

  it('retries on its schedule: request.id null, attempt_count up, next_payment_attempt null on the last', async () => {
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'on@example.com',
      amount: 1000,
      currency: 'usd',
      smartRetries: { attempts: 3, intervalSeconds: 3600 },
    });
    const first = failures(s.invoiceId);
    expect(first).toHaveLength(1);
    expect(first[0]!.request.id).toBeNull();
    expect(first[0]!.invoice.attempt_count).toBe(1);
    // Set on the first failure already.
    expect(first[0]!.invoice.next_payment_attempt).toBeGreaterThan(Date.now() / 1000);

    expect(sandbox.runAutomaticAttempt(s.invoiceId)).toMatchObject({ attempted: true, outcome: 'declined', attemptCount: 2 });
    expect(sandbox.runAutomaticAttempt(s.invoiceId)).toMatchObject({
      attempted: true,
      outcome: 'declined',
      attemptCount: 3,
      nextPaymentAttempt: null,
    });
    const all = failures(s.invoiceId);
    expect(all.map((f) => [f.request.id, f.invoice.attempt_count, f.invoice.next_payment_attempt !== null])).toEqual([
      [null, 1, true],
      [null, 2, true],
      [null, 3, false],
    ]);
    expect(
      sandbox
        .charges()
        .filter((c) => c.invoiceId === s.invoiceId)
        .map((c) => c.source),
    ).toEqual(['automatic', 'automatic', 'automatic']);
    expect(sandbox.runAutomaticAttempt(s.invoiceId)).toEqual({ attempted: false, reason: 'no_attempt_scheduled' });
  });

  it('makes no automatic attempt while auto_advance is false, and resumes the schedule when it is true again', async () => {
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'paused@example.com',
      amount: 1000,
      currency: 'usd',
      smartRetries: true,
    });
    const paused = await stripe.invoices.update(s.invoiceId, { auto_advance: false }, { idempotencyKey: 'pause-1' });
    expect(paused.auto_advance).toBe(false);
    expect(paused.next_payment_attempt).toBeNull();
    const updated = sandbox
      .events()
      .filter((r) => r.event.type === 'invoice.updated' && (r.event.data.object as { id: string }).id === s.invoiceId);
    expect(updated).toHaveLength(1);
    expect(updated[0]!.event.data.previous_attributes).toMatchObject({ auto_advance: true });
    // The same request again changes nothing and emits nothing.
    await stripe.invoices.update(s.invoiceId, { auto_advance: false });
    expect(sandbox.events().filter((r) => r.event.type === 'invoice.updated')).toHaveLength(1);

    expect(sandbox.runAutomaticAttempt(s.invoiceId)).toEqual({ attempted: false, reason: 'auto_advance_off' });
    expect(sandbox.charges().filter((c) => c.invoiceId === s.invoiceId)).toHaveLength(1);

    // Our own charges still go through with auto_advance off.
    await expect(stripe.invoices.pay(s.invoiceId, {}, { idempotencyKey: 'ours-1' })).rejects.toMatchObject({
      type: 'StripeCardError',
    });
    expect((await stripe.invoices.retrieve(s.invoiceId)).attempt_count).toBe(1);

    const resumed = await stripe.invoices.update(s.invoiceId, { auto_advance: true });
    expect(resumed.next_payment_attempt).toBeGreaterThan(Date.now() / 1000);
    expect(sandbox.runAutomaticAttempt(s.invoiceId)).toMatchObject({ attempted: true, attemptCount: 2 });
  });

  it('refuses auto_advance on a paid invoice, and is drivable over HTTP', async () => {
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'http@example.com',
      amount: 1000,
      currency: 'usd',
      smartRetries: { attempts: 2 },
    });
    const res = await fetch(`${sandbox.url}/_sandbox/invoices/${s.invoiceId}/automatic_attempt`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ attempted: true, attemptCount: 2, nextPaymentAttempt: null });
    await stripe.invoices.pay(s.invoiceId, { paid_out_of_band: true });
    await expect(stripe.invoices.update(s.invoiceId, { auto_advance: false })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'auto_advance',
    });
  });
});
