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
import { dashboardRouter } from '../../src/http/dashboardRoute';
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

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.set('trust proxy', true);
  app.use(
    dashboardRouter({
      cases: { client, taskQueue: 'dunning' } as unknown as DunningClient,
      apiToken: TOKEN,
      temporalUiUrl: 'http://ui.test',
    }),
  );
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const login = (token: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/dashboard/login`, {
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
    expect(setCookie).toMatch(/^dunning_dashboard=[\w-]+; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0]!;
    expect((await fetch(`${base}/dashboard`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${base}/dashboard/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
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
