/**
 * Emails through the workflow when Resend misbehaves: throttling and outages are retried until
 * the email goes out once; a daily quota is waited out, and the email sent when it resets; and
 * the email task queue's rate limit keeps a burst of failures under the provider's limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DunningStatus } from '../../domain/types';
import { eventually, startStack, type Stack } from './support/stack';

const until = (stack: Stack, invoiceId: string, what: string, ok: (s: DunningStatus) => boolean, timeoutMs = 30_000) =>
  stack.untilStatus(invoiceId, what, ok, timeoutMs);

describe('Resend failing', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('429s and a 500 for a while: the email still goes out, once', async () => {
    const before = stack.outbox.stats();
    // (The 500 first: Temporal's backoff grows with the attempt number, the 429s follow Retry-After.)
    stack.outbox.injectFault({ status: 500, count: 1 });
    stack.outbox.injectFault({ status: 429, count: 2, retryAfterSeconds: 0.2 });
    const s = await stack.sandbox.createFailedInvoiceScenario({ email: 'flaky@example.com', amount: 700, currency: 'usd' });
    const st = await until(stack, s.invoiceId, 'the first email', (x) => x.emails.length === 1);
    expect(st.emails[0]).toMatchObject({ template: 'payment_failed.insufficient_funds', messageId: expect.any(String) });
    expect(st.emails[0]!.error).toBeUndefined();
    const sent = stack.outbox.messages().filter((m) => m.to.includes('flaky@example.com'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.id).toBe(st.emails[0]!.messageId);
    const after = stack.outbox.stats();
    expect(after.requests - before.requests).toBe(4); // 500, 429, 429, then accepted
    expect(after.rateLimited - before.rateLimited).toBe(2);
    await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('an email accepted whose answer was lost: the retry sends the same body and is recorded as sent', async () => {
    // Resend took the email, the answer never came back: Temporal tries again seconds later. The
    // same Idempotency-Key with a body rendered anew would be refused (409) and the delivered
    // email recorded as failed; the same body gets the first message's id.
    stack.outbox.injectFault({ status: 500, count: 1, afterSend: true });
    const s = await stack.sandbox.createFailedInvoiceScenario({ email: 'lost@example.com', amount: 750, currency: 'usd' });
    const st = await until(stack, s.invoiceId, 'the first email', (x) => x.emails.length === 1);
    expect(st.emails[0]!.error).toBeUndefined();
    const sent = stack.outbox.messages().filter((m) => m.to.includes('lost@example.com'));
    expect(sent).toHaveLength(1);
    expect(st.emails[0]!.messageId).toBe(sent[0]!.id);
    await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('daily quota exceeded: the case waits on Resend until the quota resets, then the email goes out', async () => {
    // Resend says when the quota resets (Retry-After); here in 3 s.
    stack.outbox.injectFault({ status: 429, count: 1, name: 'daily_quota_exceeded', retryAfterSeconds: 3 });
    const s = await stack.sandbox.createFailedInvoiceScenario({ email: 'quota@example.com', amount: 800, currency: 'usd' });
    const blocked = await until(stack, s.invoiceId, 'blocked on the quota', (x) => x.blockedOn !== undefined);
    expect(blocked.state).toBe('active');
    expect(blocked.emails).toHaveLength(0); // not dropped: still to send
    expect(blocked.blockedOn).toMatchObject({ provider: 'resend', reason: expect.stringMatching(/daily_quota_exceeded/) });

    const st = await until(stack, s.invoiceId, 'the email, once the quota reset', (x) => x.emails.length === 1);
    expect(st.emails[0]).toMatchObject({ template: 'payment_failed.insufficient_funds', messageId: expect.any(String) });
    expect(st.emails[0]!.error).toBeUndefined();
    expect(st.blockedOn).toBeUndefined();
    expect(stack.outbox.messages().filter((m) => m.to.includes('quota@example.com'))).toHaveLength(1);

    // The case goes on: a new card recovers it, and that email goes out.
    stack.sandbox.setPaymentMethodBehaviour(s.paymentMethodId, { outcome: 'succeed' });
    await stack.api(`/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
    const done = await until(stack, s.invoiceId, 'recovery', (x) => x.state === 'recovered');
    expect(done.emails[1]).toMatchObject({ template: 'payment_recovered', messageId: expect.any(String) });
    expect(stack.outbox.messages().filter((m) => m.to.includes('quota@example.com'))).toHaveLength(2);
  });
});

async function burst(stack: Stack, tag: string) {
  const started = Date.now();
  const scenarios = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      stack.sandbox.createFailedInvoiceScenario({ email: `${tag}${i}@example.com`, amount: 1000 + i, currency: 'usd' }),
    ),
  );
  await eventually(
    () => (stack.outbox.messages().filter((m) => m.to.some((t) => t.startsWith(tag))).length === 8 ? true : undefined),
    40_000,
    'all 8 emails',
  );
  const elapsed = Date.now() - started;
  for (const s of scenarios) {
    const st = await until(stack, s.invoiceId, 'the email on the case', (x) => x.emails.length === 1);
    expect(st.emails[0]!.messageId).toBeDefined();
  }
  // Each exactly once, whatever was retried.
  for (let i = 0; i < 8; i += 1)
    expect(stack.outbox.messages().filter((m) => m.to.includes(`${tag}${i}@example.com`))).toHaveLength(1);
  await Promise.all(scenarios.map((s) => stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' })));
  return { elapsed, rateLimited: stack.outbox.stats().rateLimited };
}

describe('the email task queue rate limit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ outbox: { rateLimitPerSecond: 2 }, emailRatePerSecond: 2 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('provider limit 2/s, worker limit 2/s: a burst of 8 failures is paced, each email goes out once', async () => {
    const r = await burst(stack, 'burst');
    expect(r.elapsed).toBeGreaterThan(2500); // paced, not sent at once
    // The task-queue limit bounds all workers together but admits short bursts; the worker's pacer
    // (activities/email/pacer.ts) spaces its own sends to fit Resend's strict one-second window.
    // Without either (50/s) this burst meets 9 refusals.
    // A send's arrival can trail its start (the burst's first request opens the connection), so
    // the pacer's margin (5 %) makes a refusal rare, not impossible: one is retried after
    // Retry-After, and each email still goes out once (above).
    expect(r.rateLimited).toBeLessThanOrEqual(1);
  });
});
