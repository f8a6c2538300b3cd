/**
 * The SMS activity through the real stripe-node and twilio-node SDKs against both sandboxes:
 * consent, E.164, opt-outs (21610 recorded on the customer), and no second text when an attempt
 * that sent is retried (the step's message is found by its reference).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDunningSms, type SmsSettings } from '../../activities/sms/sendSms';
import { SMS_CONSENT_KEY, SMS_OPT_OUT_KEY, smsReference, type SmsInput } from '../../domain/sms';
import { startStripeSandbox, type StripeSandbox } from '../../sandbox/stripe';
import { startTwilioSandbox, type TwilioSandbox } from '../../sandbox/twilio';
import { createStripeClient } from '../../src/providers/stripe';
import { createTwilioClient } from '../../src/providers/twilio';

const SID = `AC${'2'.repeat(32)}`;
const TOKEN = 'sms-send-test-token';
let stripeSandbox: StripeSandbox;
let sms: TwilioSandbox;
beforeAll(async () => {
  stripeSandbox = await startStripeSandbox({ webhookSecret: 'whsec_sms_send' });
  sms = await startTwilioSandbox({ accountSid: SID, authToken: TOKEN });
});
afterAll(async () => {
  await sms?.close();
  await stripeSandbox?.close();
});

const settings: SmsSettings = {
  from: '+15005550006',
  businessName: 'Acme',
  publicBaseUrl: 'https://billing.example.com',
  linkSecret: 'x'.repeat(32),
  linkTtlDays: 30,
  priceMicroUsdPerSegment: 8300,
};

let n = 0;
async function customer(opts: { phone?: string; consent?: string; metadata?: Record<string, string> }) {
  n++;
  const s = await stripeSandbox.createFailedInvoiceScenario({
    email: `sms-${n}@example.com`,
    amount: 4200,
    currency: 'usd',
    ...(opts.phone ? { phone: opts.phone } : {}),
    customerMetadata: { ...(opts.consent ? { [SMS_CONSENT_KEY]: opts.consent } : {}), ...opts.metadata },
  });
  const input: SmsInput = {
    key: `dunning-${s.invoiceId}/sms:payment_failed@0`,
    template: 'payment_failed',
    customerId: s.customerId,
    invoiceId: s.invoiceId,
    amountDue: 4200,
    currency: 'usd',
    invoiceNumber: 'INV-1',
    preferredLocales: [],
    endsAt: new Date(Date.now() + 14 * 86_400_000).toISOString(),
    stepStartedAt: new Date().toISOString(),
  };
  return { s, input };
}

const clients = () => ({
  stripe: createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: stripeSandbox.url, maxNetworkRetries: 0 }),
  twilio: createTwilioClient({ accountSid: SID, authToken: TOKEN, apiBase: sms.url }),
});
const to = (phone: string) => sms.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');

describe('sendDunningSms', () => {
  it('texts a consenting customer once, in their words, ending with the step’s reference and counting its cost', async () => {
    const { stripe, twilio } = clients();
    const { input } = await customer({ phone: '+15551110001', consent: 'true' });
    const r = await sendDunningSms(stripe, twilio, settings, input, Date.now());
    expect(r).toMatchObject({ kind: 'sent', to: '…0001', reused: false });
    const [m] = to('+15551110001');
    expect(m!.body).toMatch(
      /^Acme: Your payment of \$42\.00 \(invoice INV-1\) didn't go through\. Update your card: https:\/\/billing\.example\.com\/billing\/update\//,
    );
    expect(m!.body.endsWith(`Reply STOP to opt out. Ref ${smsReference(input.key)}`)).toBe(true);
    expect(r.kind === 'sent' && r.costMicroUsd).toBe(m!.numSegments * 8300);
  });

  it('a retried attempt finds the message its earlier attempt sent and sends no second one', async () => {
    const { stripe, twilio } = clients();
    const { input } = await customer({ phone: '+15551110002', consent: '2026-11-01' });
    const first = await sendDunningSms(stripe, twilio, settings, input, Date.now());
    const again = await sendDunningSms(stripe, twilio, settings, input, Date.now());
    expect(again).toMatchObject({ kind: 'sent', reused: true, sid: first.kind === 'sent' ? first.sid : 'x' });
    expect(to('+15551110002')).toHaveLength(1);
    // Another step of the same case is another message.
    await sendDunningSms(
      stripe,
      twilio,
      settings,
      { ...input, key: input.key.replace('payment_failed@0', 'reminder@3d'), template: 'reminder' },
      Date.now(),
    );
    expect(to('+15551110002')).toHaveLength(2);
  });

  it('a step that begins late, in the customer’s night, sends no text (checked when it begins, not only when planned)', async () => {
    const { stripe, twilio } = clients();
    const { input } = await customer({ phone: '+15551110009', consent: 'true' });
    const quiet = { start: 21, end: 8, timeZone: 'America/New_York' };
    const night = Date.parse('2026-12-08T04:30:00Z'); // 23:30 in New York
    const day = Date.parse('2026-12-08T15:00:00Z'); // 10:00 in New York
    const at = (ms: number) => ({ ...input, quiet, stepStartedAt: new Date(ms).toISOString() });
    expect(await sendDunningSms(stripe, twilio, settings, at(night), night)).toEqual({ kind: 'skipped', reason: 'quiet_hours' });
    expect(to('+15551110009')).toHaveLength(0);
    expect(await sendDunningSms(stripe, twilio, settings, at(day), day)).toMatchObject({ kind: 'sent' });
  });

  it('a text sent before the customer replied STOP is found and recorded as sent when the attempt is retried', async () => {
    const { stripe, twilio } = clients();
    const { s, input } = await customer({ phone: '+15551110010', consent: 'true' });
    const first = await sendDunningSms(stripe, twilio, settings, input, Date.now());
    await stripe.customers.update(s.customerId, { metadata: { [SMS_OPT_OUT_KEY]: new Date().toISOString() } });
    expect(await sendDunningSms(stripe, twilio, settings, input, Date.now())).toMatchObject({
      kind: 'sent',
      reused: true,
      sid: first.kind === 'sent' ? first.sid : 'x',
    });
  });

  it('an attempt whose answer was lost (sent, then a 500) is retried without a second text', async () => {
    const { stripe, twilio } = clients();
    const { input } = await customer({ phone: '+15551110003', consent: 'true' });
    sms.injectFault({ status: 500, count: 1, afterSend: true });
    await expect(sendDunningSms(stripe, twilio, settings, input, Date.now())).rejects.toMatchObject({
      type: 'TwilioUnavailable',
      nonRetryable: false,
    });
    expect(to('+15551110003')).toHaveLength(1);
    await expect(sendDunningSms(stripe, twilio, settings, input, Date.now())).resolves.toMatchObject({
      kind: 'sent',
      reused: true,
    });
    expect(to('+15551110003')).toHaveLength(1);
  });

  it('sends nothing without consent, without a valid E.164 number, or after an opt-out', async () => {
    const { stripe, twilio } = clients();
    const none = await customer({ phone: '+15551110004' });
    expect(await sendDunningSms(stripe, twilio, settings, none.input, Date.now())).toEqual({
      kind: 'skipped',
      reason: 'no_consent',
    });
    const unreadable = await customer({ phone: '+15551110004', consent: 'maybe' });
    expect(await sendDunningSms(stripe, twilio, settings, unreadable.input, Date.now())).toEqual({
      kind: 'skipped',
      reason: 'consent_unreadable',
    });
    const local = await customer({ phone: '0912 345 678', consent: 'true' });
    expect(await sendDunningSms(stripe, twilio, settings, local.input, Date.now())).toEqual({
      kind: 'skipped',
      reason: 'invalid_phone',
    });
    const nophone = await customer({ consent: 'true' });
    expect(await sendDunningSms(stripe, twilio, settings, nophone.input, Date.now())).toEqual({
      kind: 'skipped',
      reason: 'no_phone',
    });
    const stopped = await customer({
      phone: '+15551110004',
      consent: 'true',
      metadata: { [SMS_OPT_OUT_KEY]: '2026-12-01T00:00:00Z' },
    });
    expect(await sendDunningSms(stripe, twilio, settings, stopped.input, Date.now())).toEqual({
      kind: 'skipped',
      reason: 'opted_out',
    });
    expect(to('+15551110004')).toHaveLength(0);
  });

  it('Twilio’s 21610 (the number replied STOP) is an opt-out recorded on the customer, not a failure', async () => {
    const { stripe, twilio } = clients();
    const { s, input } = await customer({ phone: '+15551110005', consent: 'true' });
    await sms.inbound({ from: '+15551110005', to: settings.from, body: 'STOP' });
    expect(await sendDunningSms(stripe, twilio, settings, input, Date.now())).toEqual({ kind: 'opted_out', code: 21610 });
    const c = await stripe.customers.retrieve(s.customerId);
    expect(!('deleted' in c && c.deleted) && (c as { metadata: Record<string, string> }).metadata[SMS_OPT_OUT_KEY]).toMatch(
      /^\d{4}-/,
    );
  });

  it('another refusal (a number Twilio rejects) fails for good, with Twilio’s code', async () => {
    const { stripe, twilio } = clients();
    const { input } = await customer({ phone: '+15551110006', consent: 'true' });
    const bad = { ...settings, from: '' };
    await expect(sendDunningSms(stripe, twilio, bad, input, Date.now())).rejects.toMatchObject({
      type: 'TwilioRefused',
      nonRetryable: true,
      message: expect.stringContaining('21603'),
    });
  });
});
