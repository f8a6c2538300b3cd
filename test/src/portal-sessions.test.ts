/**
 * Billing Portal sessions per link (src/http/portalSessions.ts, src/http/billingLinkRoute.ts): the
 * clicks of a few minutes share one Stripe session; a failure is not kept.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingLinkRouter } from '../../src/http/billingLinkRoute';
import { PORTAL_SESSION_REUSE_MS, PortalSessions } from '../../src/http/portalSessions';
import { createLinkToken } from '../../activities/links/updateLinkToken';
import type { Metrics } from '../../src/metrics';

const SECRET = 'portal-sessions-test-secret-0123456789ab';
const clock = { now: Date.parse('2026-12-01T12:00:00Z') };
const created: string[] = [];
let failNext = false;
const stripe = {
  billingPortal: {
    sessions: {
      create: async ({ customer }: { customer: string }) => {
        if (failNext) {
          failNext = false;
          throw new Error('Stripe is down');
        }
        created.push(customer);
        return { url: `https://billing.stripe.test/session/${created.length}` };
      },
    },
  },
  invoices: { retrieve: async () => ({ hosted_invoice_url: null }) },
} as unknown as Stripe;

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.use(
    billingLinkRouter({
      stripe,
      linkSecret: SECRET,
      publicBaseUrl: 'http://localhost:3000',
      businessName: 'Acme',
      metrics: { linkVisits: { inc: () => undefined } } as unknown as Metrics,
      log: () => undefined,
      portalSessions: new PortalSessions({ now: () => clock.now }),
    }),
  );
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const link = (customerId: string) =>
  `${base}/billing/update/${createLinkToken(SECRET, { customerId, invoiceId: `in_${customerId}`, exp: Math.floor(Date.now() / 1000) + 86_400 })}`;
const click = (url: string) => fetch(url, { redirect: 'manual' });

describe('GET /billing/update/:token', () => {
  it('reuses one portal session per link for a few minutes, then makes a new one', async () => {
    created.length = 0;
    const a = link('cus_a');
    const first = await click(a);
    expect(first.status).toBe(302);
    const together = await Promise.all([click(a), click(a), click(a)]);
    for (const r of together) expect(r.headers.get('location')).toBe(first.headers.get('location'));
    expect(created).toEqual(['cus_a']);
    // Another link is another session.
    await click(link('cus_b'));
    expect(created).toEqual(['cus_a', 'cus_b']);
    clock.now += PORTAL_SESSION_REUSE_MS;
    const later = await click(a);
    expect(later.headers.get('location')).not.toBe(first.headers.get('location'));
    expect(created).toEqual(['cus_a', 'cus_b', 'cus_a']);
  });

  it('does not keep a failure: the next click asks Stripe again', async () => {
    created.length = 0;
    const c = link('cus_c');
    failNext = true;
    expect((await click(c)).status).toBe(503);
    expect((await click(c)).status).toBe(302);
    expect(created).toEqual(['cus_c']);
  });
});

describe('PortalSessions', () => {
  it('keeps at most maxEntries links', async () => {
    const s = new PortalSessions({ maxEntries: 3, now: () => 0 });
    for (let i = 0; i < 10; i++) await s.url(`link-${i}`, async () => `u${i}`);
    expect(s.size).toBeLessThanOrEqual(3);
    expect(await s.url('link-9', async () => 'new')).toBe('u9');
  });
});
