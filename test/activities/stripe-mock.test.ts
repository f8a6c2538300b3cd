/**
 * Every Stripe request the service makes, sent by the real activity and route code through
 * stripe-node to stripe-mock, which validates each request against Stripe's OpenAPI spec (unknown
 * or malformed parameters are a 400 StripeInvalidRequestError). stripe-mock is stateless and
 * answers with fixtures, so the assertions are "accepted", not business results.
 *
 * A small relay sits between the SDK and stripe-mock: it records each request (so the test knows
 * the complete list of endpoints the code called) and patches a few fixture fields in responses
 * (an invoice `open` instead of `draft`, ...) so that the code walks the branches that make the
 * later requests. Requests are never changed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCaseFacts } from '../../activities/stripe/caseFacts';
import { applyEndAction } from '../../activities/stripe/endAction';
import { applyOffer } from '../../activities/stripe/applyOffer';
import { retryCharge, type ReserveCardAttempt } from '../../activities/stripe/retryCharge';
import { signalCardUpdate } from '../../src/http/cardUpdates';
import { billingLinkRouter } from '../../src/http/billingLinkRoute';
import { createLinkToken } from '../../activities/links/updateLinkToken';
import { Metrics } from '../../src/metrics';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
import { createStripeClient } from '../../src/providers/stripe';
import { cachedToolchain } from '../../tools/toolchain';
import { freePort, isListening } from '../../tools/toolchain/ports';
import type { DunningClient } from '../../src/dunningClient';

const stripeMockPath = cachedToolchain().stripeMock;

interface Seen {
  method: string;
  path: string;
  query: string;
  body: string;
  idempotencyKey?: string;
  stripeVersion?: string;
  status: number;
  /** Answered by the relay itself (see `refuse`), never reached stripe-mock. */
  refused?: boolean;
}

type Patch = (method: string, path: string, body: Record<string, unknown>) => void;

let mock: ChildProcess | undefined;
let relay: Server | undefined;
let stripe: Stripe;
let seen: Seen[] = [];
let patch: Patch | undefined;
/** Requests matching this are answered by the relay with Stripe's 404 `resource_missing`. */
let refuse: RegExp | undefined;
const everything: Seen[] = [];

async function startStripeMock(binary: string): Promise<number> {
  const port = await freePort();
  mock = spawn(binary, ['-http-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  while (!(await isListening(port))) {
    if (Date.now() > deadline || mock.exitCode !== null) throw new Error('stripe-mock did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return port;
}

function startRelay(targetPort: number): Promise<number> {
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
      if (refuse?.test(target)) {
        const record: Seen = {
          method: req.method ?? '',
          path: target.split(' ')[1]!,
          query: '',
          body: '',
          status: 404,
          refused: true,
        };
        seen.push(record);
        everything.push(record);
        res.writeHead(404, { 'content-type': 'application/json', 'request-id': 'req_relay' });
        res.end(
          JSON.stringify({ error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such customer' } }),
        );
        return;
      }
      const out = httpRequest(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const got: Buffer[] = [];
          answer.on('data', (c: Buffer) => got.push(c));
          answer.on('end', () => {
            const url = new URL(req.url ?? '/', 'http://x');
            const record: Seen = {
              method: req.method ?? '',
              path: url.pathname,
              query: url.search,
              body: body.toString('utf8'),
              idempotencyKey: req.headers['idempotency-key'] as string | undefined,
              stripeVersion: req.headers['stripe-version'] as string | undefined,
              status: answer.statusCode ?? 0,
            };
            seen.push(record);
            everything.push(record);
            let text = Buffer.concat(got).toString('utf8');
            if (patch && answer.statusCode === 200) {
              const json = JSON.parse(text) as Record<string, unknown>;
              patch(record.method, record.path, json);
              text = JSON.stringify(json);
            }
            const headers = { ...answer.headers };
            delete headers['content-length'];
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(text);
          });
        },
      );
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  return new Promise((resolve) => relay!.listen(0, '127.0.0.1', () => resolve((relay!.address() as AddressInfo).port)));
}

beforeAll(async () => {
  if (!stripeMockPath) return;
  const port = await startRelay(await startStripeMock(stripeMockPath));
  stripe = createStripeClient({ secretKey: 'sk_test_123', apiBase: `http://127.0.0.1:${port}`, maxNetworkRetries: 0 });
});
afterAll(async () => {
  await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
  if (mock && mock.exitCode === null) {
    const exited = new Promise((r) => mock!.once('exit', r));
    mock.kill('SIGTERM');
    await exited;
  }
});
beforeEach(() => {
  seen = [];
  patch = undefined;
  refuse = undefined;
});

const calls = () => seen.map((s) => `${s.method} ${s.path.replace(/\/(in|cus|sub|pm|pi)_[A-Za-z0-9]+/g, '/$1_*')}`);
const params = (s: Seen) => new URLSearchParams(s.method === 'GET' ? s.query : s.body);

/** Fixture fields that steer the code; the requests themselves are untouched. */
const openSubscriptionInvoice: Patch = (method, path, body) => {
  if (method === 'GET' && /^\/v1\/invoices\/[^/]+$/.test(path)) {
    body.status = 'open';
    body.customer = 'cus_mock';
    body.parent = { type: 'subscription_details', subscription_details: { subscription: 'sub_mock', metadata: null } };
  }
};

// Without Go (a developer's machine) this is skipped; in CI the toolchain must have built it.
it.runIf(process.env.CI === 'true')('CI has stripe-mock to validate request shapes with', () => {
  expect(stripeMockPath, 'stripe-mock (npm test builds it with go install)').toBeDefined();
});

describe.skipIf(!stripeMockPath)('Stripe requests against stripe-mock (OpenAPI-validated)', () => {
  it('stripe-mock rejects a request Stripe would reject (the check can fail)', async () => {
    const err = await stripe.invoices
      .pay('in_mock', { no_such_param: true } as unknown as Stripe.InvoicePayParams)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(String((err as Error).message)).toMatch(/validation/i);
  });

  it('every request carries the pinned API version', async () => {
    await stripe.customers.retrieve('cus_mock');
    expect(seen[0]!.stripeVersion).toBe(STRIPE_API_VERSION);
  });

  it('loadCaseFacts: invoice, customer, invoice payments (expanded PaymentIntent), and a PaymentIntent when not expanded', async () => {
    const facts = await loadCaseFacts(stripe, 'in_mock');
    expect(facts.invoice.id).toBeTruthy();
    expect(calls()).toEqual(
      expect.arrayContaining(['GET /v1/invoices/in_*', 'GET /v1/customers/cus_*', 'GET /v1/invoice_payments']),
    );
    const list = seen.find((s) => s.path === '/v1/invoice_payments')!;
    expect(Object.fromEntries(params(list))).toMatchObject({
      invoice: 'in_mock',
      limit: '10',
      'expand[0]': 'data.payment.payment_intent',
    });

    // A payment whose PaymentIntent came back as an id is fetched on its own.
    seen = [];
    patch = (method, path, body) => {
      if (path === '/v1/invoice_payments') {
        for (const p of body.data as Array<{ payment: { payment_intent: unknown } }>) p.payment.payment_intent = 'pi_mock';
      }
    };
    await loadCaseFacts(stripe, 'in_mock');
    expect(calls()).toContain('GET /v1/payment_intents/pi_*');
    expect(seen.every((s) => s.status === 200)).toBe(true);
  });

  it('retryCharge with a new card: reads invoice and card, reserves budget, pays with payment_method and the idempotency key', async () => {
    patch = openSubscriptionInvoice;
    const reserved: string[] = [];
    const reserve: ReserveCardAttempt = async (_card, key) => {
      reserved.push(key);
      return { granted: true };
    };
    const r = await retryCharge(
      stripe,
      { reserve, block: async () => undefined },
      { invoiceId: 'in_mock', idempotencyKey: 'dunning-in_mock/abcd1234/retry:card_update_1', paymentMethodId: 'pm_new' },
    );
    expect(r.outcome).toBe('succeeded');
    // The subscription is read even with a card given: a deleted subscription is never charged.
    expect(calls()).toEqual([
      'GET /v1/invoices/in_*',
      'GET /v1/subscriptions/sub_*',
      'GET /v1/payment_methods/pm_*',
      'POST /v1/invoices/in_*/pay',
    ]);
    const pay = seen[3]!;
    expect(pay.idempotencyKey).toBe('dunning-in_mock/abcd1234/retry:card_update_1');
    expect(Object.fromEntries(params(pay))).toEqual({ off_session: 'true', payment_method: 'pm_new' });
    expect(reserved).toEqual(['dunning-in_mock/abcd1234/retry:card_update_1']);
  });

  it('retryCharge on schedule: finds the card via subscription then customer; no card known → pays without a budget reservation', async () => {
    patch = (method, path, body) => {
      openSubscriptionInvoice(method, path, body);
      if (/^\/v1\/customers\//.test(path))
        body.invoice_settings = { ...(body.invoice_settings as object), default_payment_method: null };
    };
    const reserve: ReserveCardAttempt = async () => {
      throw new Error('no card: the budget must not be asked');
    };
    const r = await retryCharge(
      stripe,
      { reserve, block: async () => undefined },
      { invoiceId: 'in_mock', idempotencyKey: 'dunning-in_mock/abcd1234/retry:3d' },
    );
    expect(r.outcome).toBe('succeeded');
    expect(calls()).toEqual([
      'GET /v1/invoices/in_*',
      'GET /v1/subscriptions/sub_*',
      'GET /v1/customers/cus_*',
      'POST /v1/invoices/in_*/pay',
    ]);
    expect(seen[3]!.idempotencyKey).toBe('dunning-in_mock/abcd1234/retry:3d');
    expect(Object.fromEntries(params(seen[3]!))).toEqual({ off_session: 'true' });
  });

  it("retryCharge, a card update naming no card: the customer's default becomes the subscription's card and is paid", async () => {
    patch = (method, path, body) => {
      openSubscriptionInvoice(method, path, body);
      if (method === 'GET' && /^\/v1\/invoices\/[^/]+$/.test(path)) {
        body.default_payment_method = null;
        body.default_source = null;
      }
      if (method === 'GET' && /^\/v1\/subscriptions\//.test(path)) body.default_payment_method = 'pm_subscriptionold';
      if (method === 'GET' && /^\/v1\/customers\//.test(path))
        body.invoice_settings = { ...(body.invoice_settings as object), default_payment_method: 'pm_chosen' };
    };
    const r = await retryCharge(
      stripe,
      { reserve: async () => ({ granted: true }), block: async () => undefined },
      { invoiceId: 'in_mock', idempotencyKey: 'dunning-in_mock/abcd1234/retry:card_update_1', cardUpdate: true },
    );
    expect(r.outcome).toBe('succeeded');
    expect(calls()).toEqual([
      'GET /v1/invoices/in_*',
      'GET /v1/subscriptions/sub_*',
      'GET /v1/customers/cus_*',
      'GET /v1/payment_methods/pm_*',
      'POST /v1/subscriptions/sub_*',
      'POST /v1/invoices/in_*/pay',
    ]);
    const [update, pay] = [seen[4]!, seen[5]!];
    expect(Object.fromEntries(params(update))).toEqual({ default_payment_method: 'pm_chosen' });
    expect(update.idempotencyKey).toBe('dunning-in_mock/abcd1234/retry:card_update_1/subscription-card');
    expect(Object.fromEntries(params(pay))).toEqual({ off_session: 'true', payment_method: 'pm_chosen' });
    expect(pay.idempotencyKey).toBe('dunning-in_mock/abcd1234/retry:card_update_1');
  });

  it('retryCharge, a bank debit: pay answers the invoice still open, its processing PaymentIntent is read through invoice payments', async () => {
    patch = (method, path, body) => {
      openSubscriptionInvoice(method, path, body);
      if (method === 'POST' && /^\/v1\/invoices\/[^/]+\/pay$/.test(path)) body.status = 'open';
      if (path === '/v1/invoice_payments') {
        for (const p of body.data as Array<{ payment: { payment_intent: unknown } }>) p.payment.payment_intent = 'pi_mock';
      }
      if (/^\/v1\/payment_intents\//.test(path)) body.status = 'processing';
    };
    const r = await retryCharge(
      stripe,
      { reserve: async () => ({ granted: true }), block: async () => undefined },
      { invoiceId: 'in_mock', idempotencyKey: 'dunning-in_mock/abcd1234/retry:card_update_1', paymentMethodId: 'pm_new' },
    );
    expect(r).toMatchObject({ outcome: 'processing', paymentIntentId: expect.stringMatching(/^pi_/) });
    expect(calls()).toEqual([
      'GET /v1/invoices/in_*',
      'GET /v1/subscriptions/sub_*',
      'GET /v1/payment_methods/pm_*',
      'POST /v1/invoices/in_*/pay',
      'GET /v1/invoice_payments',
      'GET /v1/payment_intents/pi_*',
    ]);
    expect(Object.fromEntries(params(seen[4]!))).toMatchObject({
      invoice: 'in_mock',
      'expand[0]': 'data.payment.payment_intent',
    });
    expect(seen.every((x) => x.status === 200)).toBe(true);
  });

  it('applyEndAction, each action', async () => {
    const opts = { invoiceId: 'in_mock', subscriptionId: 'sub_mock', idempotencyKey: 'dunning-in_mock/abcd1234/end_action' };
    expect(await applyEndAction(stripe, { ...opts, action: 'leave_past_due' })).toMatchObject({ applied: false });
    expect(seen).toHaveLength(0);

    patch = openSubscriptionInvoice;
    expect(await applyEndAction(stripe, { ...opts, action: 'mark_uncollectible' })).toMatchObject({ applied: true });
    expect(calls()).toEqual(['GET /v1/invoices/in_*', 'POST /v1/invoices/in_*/mark_uncollectible']);
    expect(seen[1]!.idempotencyKey).toBe(opts.idempotencyKey);

    seen = [];
    patch = (method, path, body) => {
      if (/^\/v1\/subscriptions\//.test(path) && method === 'GET') {
        body.status = 'past_due';
        body.pause_collection = null;
      }
    };
    expect(await applyEndAction(stripe, { ...opts, action: 'cancel_subscription' })).toMatchObject({ applied: true });
    expect(calls()).toEqual(['GET /v1/subscriptions/sub_*', 'DELETE /v1/subscriptions/sub_*']);
    expect(seen[1]!.idempotencyKey).toBe(opts.idempotencyKey);

    seen = [];
    expect(await applyEndAction(stripe, { ...opts, action: 'pause_collection' })).toMatchObject({ applied: true });
    expect(calls()).toEqual(['GET /v1/subscriptions/sub_*', 'POST /v1/subscriptions/sub_*']);
    expect(Object.fromEntries(params(seen[1]!))).toEqual({ 'pause_collection[behavior]': 'mark_uncollectible' });
  });

  it('applyOffer (the last-chance offer), each kind: the subscription changed, then the failed invoice closed, under the offer keys', async () => {
    patch = (method, path, body) => {
      openSubscriptionInvoice(method, path, body);
      if (/^\/v1\/subscriptions\//.test(path) && method === 'GET') {
        body.status = 'past_due';
        body.pause_collection = null;
        body.discounts = [];
      }
    };
    const base = { invoiceId: 'in_mock', subscriptionId: 'sub_mock', key: 'dunning-in_mock/offer@10d' };
    expect(await applyOffer(stripe, { ...base, offer: { kind: 'pause', for: '30d' }, resumesAt: 1_900_000_000 })).toMatchObject({
      applied: true,
    });
    expect(calls()).toEqual([
      'GET /v1/invoices/in_*',
      'GET /v1/subscriptions/sub_*',
      'POST /v1/subscriptions/sub_*',
      'POST /v1/invoices/in_*/mark_uncollectible',
    ]);
    expect(Object.fromEntries(params(seen[1]!))).toEqual({ 'expand[0]': 'discounts' });
    expect(Object.fromEntries(params(seen[2]!))).toEqual({
      'pause_collection[behavior]': 'void',
      'pause_collection[resumes_at]': '1900000000',
    });
    expect(seen[2]!.idempotencyKey).toBe('dunning-in_mock/offer@10d/offer-subscription');
    expect(seen[3]!.idempotencyKey).toBe('dunning-in_mock/offer@10d/offer-invoice');

    seen = [];
    const coupon = { kind: 'coupon' as const, coupon: 'STAY50', failedInvoice: 'void' as const };
    expect(await applyOffer(stripe, { ...base, offer: coupon })).toMatchObject({ applied: true });
    expect(calls().slice(2)).toEqual(['POST /v1/subscriptions/sub_*', 'POST /v1/invoices/in_*/void']);
    expect(Object.fromEntries(params(seen[2]!))).toEqual({ 'discounts[0][coupon]': 'STAY50' });

    seen = [];
    expect(await applyOffer(stripe, { ...base, offer: { kind: 'downgrade', price: 'price_1Basic' } })).toMatchObject({
      applied: true,
    });
    const update = Object.fromEntries(params(seen[2]!));
    expect(update).toMatchObject({ 'items[0][price]': 'price_1Basic', proration_behavior: 'none' });
    expect(update['items[0][id]']).toMatch(/^si_/);
  });

  it('the update link: a Billing Portal session (payment method update flow) as the route creates it, and the hosted-page fallback', async () => {
    const app = express();
    app.use(
      billingLinkRouter({
        stripe,
        linkSecret: 'secret',
        publicBaseUrl: 'https://billing.example.com',
        businessName: 'Acme',
        metrics: new Metrics(),
        log: () => undefined,
      }),
    );
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const token = createLinkToken('secret', {
        customerId: 'cus_mock',
        invoiceId: 'in_mock',
        exp: Math.floor(Date.now() / 1000) + 3600,
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/billing/update/${token}`;
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(calls()).toEqual(['POST /v1/billing_portal/sessions']);
      expect(Object.fromEntries(params(seen[0]!))).toEqual({
        customer: 'cus_mock',
        return_url: 'https://billing.example.com/billing/left',
        'flow_data[type]': 'payment_method_update',
        'flow_data[after_completion][type]': 'redirect',
        'flow_data[after_completion][redirect][return_url]': 'https://billing.example.com/billing/done',
      });
      expect(seen[0]!.status).toBe(200);

      // The fallback read of the invoice, when the portal refuses (here: the relay answers 404).
      seen = [];
      refuse = /^POST \/v1\/billing_portal\/sessions$/;
      patch = (_m, path, body) => {
        if (/^\/v1\/invoices\//.test(path)) body.hosted_invoice_url = 'https://invoice.stripe.com/i/mock';
      };
      // Another link: the first one's session is reused for a few minutes (src/http/portalSessions.ts).
      const other = createLinkToken('secret', {
        customerId: 'cus_mock',
        invoiceId: 'in_mock',
        exp: Math.floor(Date.now() / 1000) + 3601,
      });
      const fallback = await fetch(url.replace(token, other), { redirect: 'manual' });
      expect(calls()).toEqual(['POST /v1/billing_portal/sessions', 'GET /v1/invoices/in_*']);
      expect(seen[1]!.status).toBe(200);
      expect(fallback.status).toBe(302);
      expect(fallback.headers.get('location')).toBe('https://invoice.stripe.com/i/mock');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("a card update reads the customer's open invoices (the visibility-lag fallback)", async () => {
    const signaled: string[] = [];
    const cases = {
      activeCasesOf: async () => [],
      signalInvoice: async (invoiceId: string) => {
        signaled.push(invoiceId);
        return true;
      },
    } as unknown as DunningClient;
    patch = (method, path, body) => {
      if (path === '/v1/invoices' && method === 'GET') {
        for (const i of body.data as Array<Record<string, unknown>>) i.collection_method = 'charge_automatically';
      }
    };
    const r = await signalCardUpdate({ cases, stripe }, 'cus_mock', { source: 'api', occurredAt: new Date().toISOString() });
    expect(calls()).toEqual(['GET /v1/invoices']);
    expect(Object.fromEntries(params(seen[0]!))).toEqual({ customer: 'cus_mock', status: 'open', limit: '100' });
    expect(r.signaled.length).toBeGreaterThan(0);
  });

  it("Stripe's own collection: the start read turns auto_advance off; leave_past_due turns back on only what it turned off", async () => {
    patch = (method, path, body) => {
      if (/^\/v1\/invoices\/[^/]+$/.test(path)) {
        openSubscriptionInvoice(method === 'POST' ? 'GET' : method, path, body);
        body.auto_advance = method !== 'POST';
        body.metadata = method === 'POST' ? { dunning_paused_collection: 'true' } : {};
      }
    };
    const key = 'dunning-in_mock/stripe_collection_pause';
    const facts = await loadCaseFacts(stripe, 'in_mock', { pauseStripeCollection: { idempotencyKey: key } });
    expect(facts.stripeCollection).toBe('paused_by_case');
    const update = seen.find((s) => s.method === 'POST' && /^\/v1\/invoices\/[^/]+$/.test(s.path))!;
    expect(Object.fromEntries(params(update))).toEqual({
      auto_advance: 'false',
      'metadata[dunning_paused_collection]': 'true',
    });
    expect(update.idempotencyKey).toBe(key);

    // Stripe refuses the change: recorded, and the facts are read all the same.
    seen = [];
    refuse = /^POST \/v1\/invoices\/[^/]+$/;
    const refused = await loadCaseFacts(stripe, 'in_mock', { pauseStripeCollection: { idempotencyKey: `${key}/2` } });
    expect(refused.stripeCollection).toBe('pause_refused');
    expect(calls()).toEqual(expect.arrayContaining(['POST /v1/invoices/in_*', 'GET /v1/customers/cus_*']));
    refuse = undefined;

    const opts = { invoiceId: 'in_mock', idempotencyKey: 'dunning-in_mock/end_action', releaseStripeCollection: true };
    // Paused by someone else (no marker): left alone.
    seen = [];
    patch = (method, path, body) => {
      openSubscriptionInvoice(method, path, body);
      if (/^\/v1\/invoices\/[^/]+$/.test(path)) Object.assign(body, { auto_advance: false, metadata: {} });
    };
    expect(await applyEndAction(stripe, { ...opts, action: 'leave_past_due' })).not.toHaveProperty('stripeCollection');
    expect(calls()).toEqual(['GET /v1/invoices/in_*']);

    seen = [];
    patch = (method, path, body) => {
      openSubscriptionInvoice(method, path, body);
      if (method === 'GET' && /^\/v1\/invoices\/[^/]+$/.test(path)) {
        Object.assign(body, { auto_advance: false, metadata: { dunning_paused_collection: 'true' } });
      }
    };
    expect(await applyEndAction(stripe, { ...opts, action: 'leave_past_due' })).toMatchObject({ stripeCollection: 'released' });
    expect(calls()).toEqual(['GET /v1/invoices/in_*', 'POST /v1/invoices/in_*']);
    expect(Object.fromEntries(params(seen[1]!))).toEqual({ auto_advance: 'true', 'metadata[dunning_paused_collection]': '' });
  });

  it('all of the above were accepted by stripe-mock, and this is the whole list of endpoints', () => {
    const rejected = everything.filter((s) => s.status !== 200 && !s.refused && !s.body.includes('no_such_param'));
    expect(rejected).toEqual([]);
    const endpoints = new Set(
      everything.map(
        (s) =>
          `${s.method} ${s.path.replace(/\/(in|cus|sub|pm|pi)_[A-Za-z0-9]+/g, '/{id}').replace(/^\/v1\/subscriptions\/subscription$/, '/v1/subscriptions/{id}')}`,
      ),
    );
    expect([...endpoints].sort()).toEqual(
      [
        'GET /v1/customers/{id}',
        'GET /v1/invoice_payments',
        'GET /v1/invoices',
        'GET /v1/invoices/{id}',
        'GET /v1/payment_intents/{id}',
        'GET /v1/payment_methods/{id}',
        'GET /v1/subscriptions/{id}',
        'POST /v1/billing_portal/sessions',
        'POST /v1/invoices/{id}',
        'POST /v1/invoices/{id}/mark_uncollectible',
        'POST /v1/invoices/{id}/pay',
        'POST /v1/invoices/{id}/void',
        'POST /v1/subscriptions/{id}',
        'DELETE /v1/subscriptions/{id}',
      ].sort(),
    );
  });
});
