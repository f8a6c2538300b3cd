/**
 * POST /webhooks/resend end to end: the outbox sends a signed `email.bounced` (or
 * `email.complained`) for Resend's test addresses, the route verifies it with the resend SDK and
 * signals the case, which records "email undeliverable" (status, dashboard, metric) and sends that
 * address no more email. Unsigned or badly signed deliveries are refused and record nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { svixSignature } from '../../sandbox/resend/webhooks';
import { startStack, type Stack } from './support/stack';

function bouncedEvent(invoiceId: string, to: string) {
  return JSON.stringify({
    type: 'email.bounced',
    created_at: new Date().toISOString(),
    data: {
      created_at: new Date().toISOString(),
      email_id: randomUUID(),
      from: 'Acme Billing <billing@acme.test>',
      to: [to],
      subject: 'Your payment failed',
      tags: { invoice_id: invoiceId, template: 'payment_failed' },
      bounce: { message: 'Mailbox does not exist', subType: 'General', type: 'Permanent' },
    },
  });
}

describe('Resend delivery webhooks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${stack.baseUrl}/webhooks/resend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('a bounce: recorded on the case, no more email to that address, on the dashboard and in /metrics', async () => {
    const address = 'bounced+ada@resend.dev';
    const s = await stack.sandbox.createFailedInvoiceScenario({ email: address, amount: 900, currency: 'usd' });
    const st = await stack.untilStatus(s.invoiceId, 'the bounce on the case', (x) => x.emailUndeliverable !== undefined);
    expect(st.emails).toHaveLength(1);
    expect(st.emailUndeliverable).toMatchObject({
      event: 'bounced',
      address,
      emailId: st.emails[0]!.messageId,
      reason: expect.stringMatching(/hard bounce/),
    });
    expect(st.state).toBe('active');

    // An operator's fresh link: refused, the address bounces.
    const link = await stack.api(`/api/invoices/${s.invoiceId}/resend-link`, { method: 'POST', body: '{}' });
    expect(link.status).toBe(409);
    expect(await link.json()).toMatchObject({ error: { reason: 'email_undeliverable' } });

    // The dashboard names the case.
    const page = await (await stack.api('/dashboard')).text();
    expect(page).toMatch(new RegExp(`data-invoice="${s.invoiceId}"[^]*?email undeliverable \\(bounced\\)`));
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/dunning_email_undeliverable_total\{event="bounced"\} [1-9]/);

    // Recovered with a new card: the confirmation is skipped and recorded, not sent.
    stack.sandbox.setPaymentMethodBehaviour(s.paymentMethodId, { outcome: 'succeed' });
    await stack.api(`/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
    const done = await stack.untilStatus(s.invoiceId, 'recovery', (x) => x.state === 'recovered');
    expect(done.emails[1]).toMatchObject({ template: 'payment_recovered', error: 'not sent: email undeliverable (bounced)' });
    expect(done.emails[1]!.messageId).toBeUndefined();
    expect(stack.outbox.messages().filter((m) => m.to.includes(address))).toHaveLength(1);
  });

  it('a complaint is recorded as such', async () => {
    const s = await stack.sandbox.createFailedInvoiceScenario({ email: 'complained@resend.dev', amount: 901, currency: 'usd' });
    const st = await stack.untilStatus(s.invoiceId, 'the complaint', (x) => x.emailUndeliverable !== undefined);
    expect(st.emailUndeliverable).toMatchObject({ event: 'complained', address: 'complained@resend.dev' });
    await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('missing or bad signature: 400, nothing recorded; another event type: 200, ignored', async () => {
    const s = await stack.sandbox.createFailedInvoiceScenario({ email: 'fine@example.com', amount: 902, currency: 'usd' });
    await stack.untilStatus(s.invoiceId, 'the first email', (x) => x.emails.length === 1);
    const body = bouncedEvent(s.invoiceId, 'fine@example.com');
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);

    expect((await post(body, {})).status).toBe(400);
    const forged = await post(body, {
      'svix-id': id,
      'svix-timestamp': String(ts),
      'svix-signature': svixSignature(`whsec_${Buffer.from('not the secret').toString('base64')}`, id, ts, body),
    });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: { code: 'bad_signature' } });
    // Signed for another body: the signature covers the raw bytes.
    const tampered = await post(body.replace('Mailbox', 'Mailbax'), {
      'svix-id': id,
      'svix-timestamp': String(ts),
      'svix-signature': svixSignature(stack.resendWebhookSecret, id, ts, body),
    });
    expect(tampered.status).toBe(400);
    // Signed long ago: a replay.
    const old = ts - 3600;
    const replayed = await post(body, {
      'svix-id': id,
      'svix-timestamp': String(old),
      'svix-signature': svixSignature(stack.resendWebhookSecret, id, old, body),
    });
    expect(replayed.status).toBe(400);

    const delivered = JSON.stringify({ ...JSON.parse(body), type: 'email.delivered' });
    const ok = await post(delivered, {
      'svix-id': id,
      'svix-timestamp': String(ts),
      'svix-signature': svixSignature(stack.resendWebhookSecret, id, ts, delivered),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ignored: expect.stringMatching(/email\.delivered/) });

    expect((await stack.status(s.invoiceId))!.emailUndeliverable).toBeUndefined();

    // The same bounce, signed: taken.
    const signed = await post(body, {
      'svix-id': id,
      'svix-timestamp': String(ts),
      'svix-signature': svixSignature(stack.resendWebhookSecret, id, ts, body),
    });
    expect(signed.status).toBe(200);
    expect(await signed.json()).toMatchObject({ signaled: [`dunning-${s.invoiceId}`] });
    const st = await stack.untilStatus(s.invoiceId, 'the bounce', (x) => x.emailUndeliverable !== undefined);
    expect(st.emailUndeliverable).toMatchObject({
      event: 'bounced',
      address: 'fine@example.com',
      reason: 'Mailbox does not exist',
    });
    await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('an email that is not a dunning email, or a case that has ended: 200, ignored', async () => {
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    const untagged = JSON.stringify({ ...JSON.parse(bouncedEvent('x', 'a@example.com')), data: { to: ['a@example.com'] } });
    const a = await post(untagged, {
      'svix-id': id,
      'svix-timestamp': String(ts),
      'svix-signature': svixSignature(stack.resendWebhookSecret, id, ts, untagged),
    });
    expect(a.status).toBe(200);
    expect(await a.json()).toMatchObject({ ignored: expect.stringMatching(/invoice_id/) });
    const noCase = bouncedEvent('in_never_dunned', 'a@example.com');
    const b = await post(noCase, {
      'svix-id': id,
      'svix-timestamp': String(ts),
      'svix-signature': svixSignature(stack.resendWebhookSecret, id, ts, noCase),
    });
    expect(b.status).toBe(200);
    expect(await b.json()).toMatchObject({ ignored: 'no running case for this invoice' });
  });
});
