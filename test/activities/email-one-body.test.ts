// One email step, one body: every try of the email activity renders the same links (their issue
// time comes from the workflow), so a retry after a lost answer is the same request under the same
// Idempotency-Key, and Resend (here the outbox, which refuses a changed body with 409 as Resend
// does) answers with the first message's id instead of refusing it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEmailActivities } from '../../activities';
import type { EmailSettings } from '../../activities/email/dunningEmail';
import type { DunningEmailInput } from '../../domain/providerTypes';
import { startResendOutbox, type ResendOutbox } from '../../sandbox/resend';
import { createResendClient } from '../../src/providers/resend';

let outbox: ResendOutbox;
beforeEach(async () => {
  outbox = await startResendOutbox({ port: 0 });
});
afterEach(async () => {
  vi.useRealTimers();
  await outbox.close();
});

const settings: EmailSettings = {
  from: 'Billing <billing@example.com>',
  businessName: 'Acme',
  publicBaseUrl: 'https://billing.example.com',
  linkSecret: 'secret',
  linkTtlDays: 30,
};

const T0 = Date.parse('2026-12-01T10:00:00Z');

function input(over: Partial<DunningEmailInput> = {}): DunningEmailInput {
  return {
    template: 'payment_failed',
    to: 'ada@example.org',
    preferredLocales: [],
    declineCategory: 'insufficient_funds',
    idempotencyKey: `dunning-in_1/email:first/${Math.random()}`,
    invoiceId: 'in_1',
    customerId: 'cus_1',
    amountDue: 1999,
    currency: 'usd',
    issuedAt: new Date(T0).toISOString(),
    ...over,
  };
}

describe('sendDunningEmail tries', () => {
  it('a try seconds later sends the same body: the same message, not a 409', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const activities = createEmailActivities(createResendClient({ apiKey: 're_test', baseUrl: outbox.url }), settings);
    const email = input();
    vi.setSystemTime(T0 + 1_000);
    const first = await activities.sendDunningEmail(email);
    // Temporal's retry after a lost answer: 5 s later, on another worker's clock.
    vi.setSystemTime(T0 + 6_000);
    const retried = await activities.sendDunningEmail(email);
    expect(retried.messageId).toBe(first.messageId);
    expect(outbox.messages()).toHaveLength(1);
  });

  it("the links' lifetime starts at the issue time the workflow chose", async () => {
    const activities = createEmailActivities(createResendClient({ apiKey: 're_test', baseUrl: outbox.url }), settings);
    await activities.sendDunningEmail(input());
    const [m] = outbox.messages();
    const token = /\/billing\/update\/([\w-]+)\.[\w-]+/.exec(m!.text ?? '')?.[1];
    const claims = JSON.parse(Buffer.from(token!, 'base64url').toString('utf8')) as { e: number };
    expect(claims.e).toBe(T0 / 1000 + 30 * 86_400);
  });
});
