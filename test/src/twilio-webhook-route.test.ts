/**
 * POST /webhooks/twilio: the Twilio sandbox posts the customer's STOP and START exactly as Twilio
 * does (signed over the public URL, delivered to the local port as a proxy would); the route
 * verifies the signature with twilio's validateRequest and records the opt-out on the Stripe
 * customer found by phone. A forged or misaddressed request records nothing.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMS_CONSENT_KEY, SMS_OPT_OUT_KEY } from '../../domain/sms';
import { startStripeSandbox, type StripeSandbox } from '../../sandbox/stripe';
import { startTwilioSandbox, type TwilioSandbox } from '../../sandbox/twilio';
import { twilioWebhookRouter } from '../../src/http/twilioWebhookRoute';
import { createStripeClient } from '../../src/providers/stripe';
import { createTwilioClient } from '../../src/providers/twilio';

const PUBLIC = 'https://billing.example.com';
const SID = `AC${'3'.repeat(32)}`;
const TOKEN = 'webhook-route-token';
let stripeSandbox: StripeSandbox;
let sms: TwilioSandbox;
let server: Server;
let local: string;
beforeAll(async () => {
  stripeSandbox = await startStripeSandbox({ webhookSecret: 'whsec_twilio_route' });
  const stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: stripeSandbox.url, maxNetworkRetries: 0 });
  const app = express();
  app.use(twilioWebhookRouter({ authToken: TOKEN, publicBaseUrl: PUBLIC, stripe, log: () => undefined }));
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  local = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/twilio`;
  sms = await startTwilioSandbox({
    accountSid: SID,
    authToken: TOKEN,
    webhook: { url: `${PUBLIC}/webhooks/twilio`, deliverTo: local },
  });
});
afterAll(async () => {
  await sms?.close();
  await new Promise((r) => server?.close(r));
  await stripeSandbox?.close();
});

const optOut = async (customerId: string) => {
  const stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: stripeSandbox.url });
  const c = (await stripe.customers.retrieve(customerId)) as { metadata: Record<string, string> };
  return c.metadata[SMS_OPT_OUT_KEY];
};

describe('POST /webhooks/twilio', () => {
  it('records STOP on the customer with that phone, and START clears it', async () => {
    const phone = '+15553330001';
    const s = await stripeSandbox.createFailedInvoiceScenario({
      email: 'stop@example.com',
      amount: 1000,
      currency: 'usd',
      phone,
      customerMetadata: { [SMS_CONSENT_KEY]: 'true' },
    });
    await createTwilioClient({ accountSid: SID, authToken: TOKEN, apiBase: sms.url }).messages.create({
      to: phone,
      from: '+15005550006',
      body: 'Your payment failed',
    });
    expect(await sms.inbound({ from: phone, body: 'Stop' })).toEqual({ status: 200 });
    expect(await optOut(s.customerId)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await sms.inbound({ from: phone, body: 'START' })).toEqual({ status: 200 });
    expect(await optOut(s.customerId)).toBeUndefined();
  });

  it('refuses a request signed over another URL or with another token (403), and records nothing', async () => {
    const phone = '+15553330002';
    const s = await stripeSandbox.createFailedInvoiceScenario({
      email: 'forged@example.com',
      amount: 1000,
      currency: 'usd',
      phone,
    });
    const fields = {
      From: phone,
      To: '+15005550006',
      Body: 'STOP',
      OptOutType: 'STOP',
      AccountSid: SID,
      MessageSid: `SM${'1'.repeat(32)}`,
    };
    for (const signature of [
      twilio.getExpectedTwilioSignature(TOKEN, local, fields), // the local URL, not the public one
      twilio.getExpectedTwilioSignature('another-token', `${PUBLIC}/webhooks/twilio`, fields),
      '',
    ]) {
      const res = await fetch(local, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(signature ? { 'x-twilio-signature': signature } : {}),
        },
        body: new URLSearchParams(fields).toString(),
      });
      expect(res.status).toBe(403);
    }
    expect(await optOut(s.customerId)).toBeUndefined();
    // The same fields signed as Twilio would: taken.
    const ok = await fetch(local, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC}/webhooks/twilio`, fields),
      },
      body: new URLSearchParams(fields).toString(),
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<Response/>');
    expect(await optOut(s.customerId)).toBeDefined();
  });
});
