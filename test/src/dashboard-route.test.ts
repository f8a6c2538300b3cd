/**
 * `GET /dashboard` without Temporal: a client whose visibility listing is a fixed list. Who may
 * see the page (header, sign-in cookie, nothing), what the cookie is, and that a case's values
 * are escaped.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DunningClient } from '../../src/dunningClient';
import { dashboardRouter, type DashboardOptions } from '../../src/http/dashboardRoute';
import { CaseRecord } from '../../domain/caseRecord';
import {
  DunningAmountDue,
  DunningCurrency,
  DunningCustomerId,
  DunningDeclineCategory,
  DunningInvoiceId,
  DunningState,
} from '../../domain/searchAttributes';
import { visibilityStub } from '../support/visibilityStub';

const TOKEN = 'dashboard-test-token-0123456789';
const client = visibilityStub([
  {
    workflowId: 'dunning-in_1',
    startTime: new Date('2026-11-20T00:00:00Z'),
    searchAttributes: [
      { key: DunningInvoiceId, value: 'in_1' },
      { key: DunningCustomerId, value: '<img src=x onerror=alert(1)>' },
      { key: DunningState, value: 'active' },
      { key: DunningAmountDue, value: 2900 },
      { key: DunningCurrency, value: 'usd' },
      { key: DunningDeclineCategory, value: 'insufficient_funds' },
    ],
  },
]);

/** The session clock (dashboardRouter's `now`). */
const clock = { now: Date.parse('2026-12-01T12:00:00Z') };

async function serveDashboard(o: Partial<DashboardOptions> = {}) {
  const app = express();
  app.use(
    dashboardRouter({
      cases: { client, taskQueue: 'dunning' } as unknown as DunningClient,
      apiToken: TOKEN,
      publicBaseUrl: 'http://localhost:3000',
      temporalUiUrl: 'http://ui.test',
      now: () => clock.now,
      ...o,
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let served: Awaited<ReturnType<typeof serveDashboard>>;
let base: string;
beforeAll(async () => {
  served = await serveDashboard();
  base = served.base;
});
afterAll(() => served.close());

const login = (token: string, headers: Record<string, string> = {}, at = base) =>
  fetch(`${at}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }),
  });

describe('GET /dashboard', () => {
  it('without the token: the sign-in form, 401, no figure', async () => {
    const tries: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { cookie: 'dunning_dashboard=forged' }];
    for (const headers of tries) {
      const res = await fetch(`${base}/dashboard`, { headers });
      expect(res.status).toBe(401);
      const html = await res.text();
      expect(html).toContain('name="token"');
      expect(html).not.toContain('data-figure');
    }
  });

  it('with the bearer token: the page, never cached or framed, values escaped, cases linked to the Web UI', async () => {
    const res = await fetch(`${base}/dashboard`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('content-security-policy')).not.toContain('script-src');
    const html = await res.text();
    expect(html).toContain('data-figure="open-count">1<');
    expect(html).toContain('data-figure="at-risk-usd">$29.00<');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('href="http://ui.test/namespaces/default/workflows/dunning-in_1"');
  });

  it('the sign-in sets an HttpOnly SameSite=Strict cookie (not the token) that opens the page; sign-out clears it', async () => {
    expect((await login('wrong')).status).toBe(401);
    expect((await login(TOKEN, { origin: 'https://evil.example' })).status).toBe(403);
    const res = await login(TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^dunning_dashboard=[\w.-]+; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0]!;
    expect((await fetch(`${base}/dashboard`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${base}/dashboard/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: base },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
  });

  const signIn = async (at = base) => (await login(TOKEN, {}, at)).headers.get('set-cookie')!.split(';')[0]!;
  const page = (cookie: string) => fetch(`${base}/dashboard`, { headers: { cookie } }).then((r) => r.status);

  it('each sign-in is a session of its own (a nonce), which the server refuses once expired', async () => {
    const t0 = clock.now;
    try {
      const a = await signIn();
      const b = await signIn();
      expect(a).not.toBe(b);
      clock.now = t0 + 12 * 3600_000 - 1000;
      expect(await page(a)).toBe(200);
      // A copy of the cookie, kept past its expiry, whatever the browser was told.
      clock.now = t0 + 12 * 3600_000 + 1000;
      expect(await page(a)).toBe(401);
    } finally {
      clock.now = t0;
    }
  });

  it('signs out only from its own page, and a signed-out session stays out (copies included)', async () => {
    const cookie = await signIn();
    const logout = (headers: Record<string, string>) =>
      fetch(`${base}/dashboard/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, ...headers } });
    expect((await logout({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await logout({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await logout({ 'sec-fetch-site': 'same-site', origin: base })).status).toBe(403);
    // Neither header: not a form of ours.
    expect((await logout({})).status).toBe(403);
    expect(await page(cookie)).toBe(200);
    expect((await logout({ 'sec-fetch-site': 'same-origin', origin: base })).status).toBe(303);
    expect(await page(cookie)).toBe(401);
  });

  it('limits refused sign-ins per client: 429 with Retry-After, the right token included, until the window passes', async () => {
    const limited = await serveDashboard({ loginLimit: { limit: 3, windowMs: 60_000 } });
    try {
      for (let i = 0; i < 3; i++) expect((await login('wrong', {}, limited.base)).status).toBe(401);
      const refused = await login(TOKEN, {}, limited.base);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(refused.headers.get('set-cookie')).toBeNull();
      // Another address of its own making changes nothing (no proxy is trusted here).
      expect((await login(TOKEN, { 'x-forwarded-for': '203.0.113.9' }, limited.base)).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('takes the scheme from PUBLIC_BASE_URL: https makes the cookie Secure and the https page its own origin', async () => {
    const proxied = await serveDashboard({ publicBaseUrl: 'https://billing.example.com' });
    try {
      // What a proxy that ends TLS forwards: the browser's https origin, over plain http, no X-Forwarded-Proto.
      const res = await login(TOKEN, { origin: 'https://billing.example.com' }, proxied.base);
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(/; Secure$/);
      // The page's own Host under https is ours too; plain http on an https service is not.
      const host = new URL(proxied.base).host;
      expect((await login(TOKEN, { origin: `https://${host}` }, proxied.base)).status).toBe(303);
      expect((await login(TOKEN, { origin: `http://${host}` }, proxied.base)).status).toBe(403);
    } finally {
      await proxied.close();
    }
  });

  it('a bad search is a 400', async () => {
    const res = await fetch(`${base}/dashboard?state=nope`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(400);
  });
});

describe('DunningRecoveredBy', () => {
  it('is published once the case recovers, with its outcome, and never before', () => {
    const r = new CaseRecord('in_1', 'cus_1', Date.parse('2026-11-01T00:00:00Z'));
    const names = () => r.searchAttributes().map((p) => p.key.name);
    expect(names()).not.toContain('DunningRecoveredBy');
    r.end('recovered', 'card_updated', Date.parse('2026-11-02T00:00:00Z'));
    expect(r.searchAttributes().find((p) => p.key.name === 'DunningRecoveredBy')?.value).toBe('card_updated');
    const lost = new CaseRecord('in_2', 'cus_1', 0);
    lost.end('exhausted', 'cancel_subscription', 1);
    expect(lost.searchAttributes().map((p) => p.key.name)).not.toContain('DunningRecoveredBy');
  });
});
