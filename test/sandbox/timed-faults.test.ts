/**
 * Storms and outages of both sandboxes, injected at run time over HTTP as the chaos suite does
 * (another process), seen through the real SDKs.
 */
import type { Resend } from 'resend';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResendClient } from '../../src/providers/resend';
import { createStripeClient } from '../../src/providers/stripe';
import { startResendOutbox, type ResendOutbox } from '../../sandbox/resend';
import { startStripeSandbox, type StripeSandbox } from '../../sandbox/stripe';
import { TimedFaults } from '../../sandbox/timedFaults';

const post = (url: string, body: unknown, method = 'POST') =>
  fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('TimedFaults', () => {
  it('fails the given fraction of matching requests until the duration is over', () => {
    let now = 0;
    const draws = [0.1, 0.9, 0.3, 0.7];
    const faults = new TimedFaults<{ status: number; durationMs: number; rate?: number; pathPattern?: string }>(
      () => draws.shift() ?? 0,
      () => now,
    );
    faults.add({ status: 503, rate: 0.5, durationMs: 1000, pathPattern: '^POST ' });
    expect(faults.take('GET', '/v1/invoices/in_1')).toBeUndefined(); // does not match: no draw used
    expect(faults.take('POST', '/v1/x')?.status).toBe(503); // 0.1 < 0.5
    expect(faults.take('POST', '/v1/x')).toBeUndefined(); // 0.9
    expect(faults.active()[0]).toMatchObject({ hits: 1, rate: 0.5 });
    now = 1000;
    expect(faults.take('POST', '/v1/x')).toBeUndefined();
    expect(faults.active()).toEqual([]);
  });

  it('lets every matching fault draw in turn', () => {
    const draws = [0.6, 0.2];
    const faults = new TimedFaults<{ status: number; durationMs: number; rate?: number }>(() => draws.shift() ?? 1);
    faults.add({ status: 500, rate: 0.5, durationMs: 1000 });
    faults.add({ status: 503, rate: 0.5, durationMs: 1000 });
    expect(faults.take('GET', '/v1/x')?.status).toBe(503); // 0.6 misses the 500 storm, 0.2 hits the 503 one
  });

  it('rejects a rate outside (0, 1] and a duration that is not positive', () => {
    const faults = new TimedFaults();
    expect(() => faults.add({ status: 500, rate: 0, durationMs: 10 })).toThrow(RangeError);
    expect(() => faults.add({ status: 500, durationMs: 0 })).toThrow(RangeError);
  });
});

describe('stripe sandbox storms and outages', () => {
  let sandbox: StripeSandbox;
  let stripe: Stripe;
  beforeAll(async () => {
    sandbox = await startStripeSandbox({ webhookSecret: 'whsec_test' });
    stripe = createStripeClient({ secretKey: 'sk_test_x', apiBase: sandbox.url, maxNetworkRetries: 0 });
  });
  afterAll(() => sandbox.close());

  it('answers every request of an outage with the injected status until it ends, and lists it', async () => {
    const added = await post(`${sandbox.url}/_sandbox/faults`, { status: 503, durationMs: 400 });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ status: 503, rate: 1, hits: 0 });
    const listed = (await (await fetch(`${sandbox.url}/_sandbox/faults`)).json()) as { timed: unknown[] };
    expect(listed.timed).toHaveLength(1);
    const err = await stripe.customers.create({ email: 'a@example.com' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((err as Stripe.errors.StripeError).statusCode).toBe(503);
    await new Promise((r) => setTimeout(r, 450));
    await expect(stripe.customers.create({ email: 'a@example.com' })).resolves.toMatchObject({ object: 'customer' });
  });

  it('a 429 storm answers Stripe rate_limit errors to about its rate', async () => {
    await post(`${sandbox.url}/_sandbox/faults`, {
      status: 429,
      rate: 0.5,
      durationMs: 5_000,
      pathPattern: '^GET /v1/customers',
    });
    const { customerId } = await sandbox.createFailedInvoiceScenario({ email: 'b@example.com', amount: 100, currency: 'usd' });
    let limited = 0;
    for (let i = 0; i < 60; i++) {
      const e = await stripe.customers.retrieve(customerId).then(
        () => undefined,
        (x: unknown) => x,
      );
      if (e) {
        expect(e).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
        limited++;
      }
    }
    expect(limited).toBeGreaterThan(10);
    expect(limited).toBeLessThan(50);
    // Only the matching path storms.
    await expect(stripe.invoices.list({ limit: 1 })).resolves.toMatchObject({ object: 'list' });
    expect((await post(`${sandbox.url}/_sandbox/faults`, {}, 'DELETE')).status).toBe(200);
  });

  it('an outage with reset drops connections: the SDK sees a connection error', async () => {
    // Long enough for stripe-node's own retry of a dropped keep-alive socket to fail too.
    sandbox.injectTimedFault({ status: 'reset', durationMs: 5_000 });
    const err = await stripe.invoices.list({ limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    // The sandbox's own routes stay up for the test driving it.
    expect((await fetch(`${sandbox.url}/_sandbox/health`)).status).toBe(200);
    sandbox.clearFaults();
  });

  it('refuses a fault it cannot inject with 400', async () => {
    expect((await post(`${sandbox.url}/_sandbox/faults`, { status: 404, durationMs: 10 })).status).toBe(400);
    expect((await post(`${sandbox.url}/_sandbox/faults`, { status: 500, durationMs: 10, rate: 2 })).status).toBe(400);
    expect((await post(`${sandbox.url}/_sandbox/faults`, { status: 500, durationMs: 10, pathPattern: '(' })).status).toBe(400);
  });
});

describe('resend outbox storms and outages', () => {
  let outbox: ResendOutbox;
  let resend: Resend;
  const email = { from: 'a@example.com', to: 'b@example.com', subject: 's', text: 't' };
  beforeAll(async () => {
    outbox = await startResendOutbox();
    resend = createResendClient({ apiKey: 're_test', baseUrl: outbox.url });
  });
  afterAll(() => outbox.close());

  it('a 5xx storm over HTTP fails sends for its duration, counted as faulted', async () => {
    const added = await post(`${outbox.url}/_outbox/faults`, { status: 503, durationMs: 300 });
    expect(added.status).toBe(201);
    const failed = await resend.emails.send(email);
    expect(failed.error).toMatchObject({ statusCode: 503 });
    await new Promise((r) => setTimeout(r, 350));
    expect((await resend.emails.send(email)).error).toBeNull();
    expect(outbox.stats().faulted).toBe(1);
  });

  it('a 429 storm answers rate_limit_exceeded with retry-after; DELETE clears it', async () => {
    await post(`${outbox.url}/_outbox/faults`, { status: 429, durationMs: 10_000, retryAfterSeconds: 2 });
    const limited = await resend.emails.send(email);
    expect(limited.error).toMatchObject({ name: 'rate_limit_exceeded', statusCode: 429 });
    expect(limited.headers?.['retry-after']).toBe('2');
    const listed = (await (await fetch(`${outbox.url}/_outbox/faults`)).json()) as { timed: unknown[] };
    expect(listed.timed).toHaveLength(1);
    await fetch(`${outbox.url}/_outbox/faults`, { method: 'DELETE' });
    expect((await resend.emails.send(email)).error).toBeNull();
  });

  it('an outage with reset drops connections; bad faults are 422', async () => {
    outbox.injectTimedFault({ status: 'reset', durationMs: 300 });
    const dropped = await resend.emails.send(email);
    expect(dropped.error).not.toBeNull();
    outbox.clearFaults();
    expect((await post(`${outbox.url}/_outbox/faults`, { status: 404, durationMs: 10 })).status).toBe(422);
  });
});
