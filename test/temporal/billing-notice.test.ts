/**
 * The in-app notice end to end on the real stack (worker, API, Stripe sandbox, outbox): the case
 * read from visibility and its status query, the API token and the customer tokens, CORS, and the
 * notice gone once the case is recovered.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintNoticeToken, noticeTokenKey } from '../../src/notice/noticeToken';
import type { NoticeAnswer } from '../../src/notice/billingNotice';
import { serveApp, type ServedApp } from '../support/appServer';
import { eventually, startStack, type Stack } from './support/stack';

const APP = 'https://app.example.test';
let stack: Stack;
/** The app as an operator would configure it for their SaaS app's pages. */
let cors: ServedApp;
beforeAll(async () => {
  stack = await startStack();
  cors = await serveApp(stack, { cases: stack.cases, notice: { allowedOrigins: [APP] } });
}, 120_000);
afterAll(async () => {
  await cors?.close();
  await stack?.close();
});

const noticePath = (customerId: string) => `/api/customers/${customerId}/billing-notice`;
const get = (base: string, path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A renewal declined for insufficient funds, once its case has a plan (the notice's grace end). */
async function openCase(opts: { preferredLocales?: string[] } = {}) {
  const email = `notice-${randomBytes(4).toString('hex')}@example.com`;
  const s = await stack.sandbox.createFailedInvoiceScenario({ email, amount: 4900, currency: 'usd', ...opts });
  await stack.untilStatus(s.invoiceId, 'a planned case', (x) => x.graceEndsAt !== undefined && x.customerRetry?.allowed === true);
  // Visibility lists the case by customer a moment after it started.
  await eventually(
    async () => ((await stack.cases.activeCasesOf(s.customerId)).length ? true : undefined),
    20_000,
    'the case listed',
  );
  return s;
}

async function mint(customerId: string): Promise<string> {
  const res = await stack.api(`/api/customers/${customerId}/notice-token`, { method: 'POST', body: '{}' });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { token: string; expiresAt: string; customerId: string };
  expect(body.customerId).toBe(customerId);
  expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
  return body.token;
}

describe('GET /api/customers/:id/billing-notice', () => {
  it('no open case: 200, open false', async () => {
    const res = await stack.api(noticePath('cus_never_failed'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ customerId: 'cus_never_failed', open: false, openCases: 0 });
  });

  it(
    'an open case, with the API token and with a customer token; the links work; gone once recovered',
    { timeout: 90_000 },
    async () => {
      const s = await openCase();
      const byApi = await stack.api(noticePath(s.customerId));
      expect(byApi.status).toBe(200);
      expect(byApi.headers.get('cache-control')).toBe('no-store');
      const answer = (await byApi.json()) as NoticeAnswer;
      expect(answer).toMatchObject({
        customerId: s.customerId,
        open: true,
        openCases: 1,
        notice: {
          invoiceId: s.invoiceId,
          severity: 'notice',
          locale: 'en',
          amount: '$49.00',
          daysSinceFailure: 0,
          retry: { possible: true, label: 'Retry my payment now' },
          update: { label: 'Update payment method' },
        },
      });
      const status = await stack.status(s.invoiceId);
      expect(answer.notice?.graceEndsAt).toBe(status?.graceEndsAt);
      expect(Date.parse(answer.notice!.graceEndsAt!) - Date.parse(status!.startedAt)).toBe(14 * 86_400_000);

      // The update link is the email's: it opens a Billing Portal session in the sandbox.
      const update = await fetch(answer.notice!.update.url, { redirect: 'manual' });
      expect(update.status).toBe(302);
      expect(update.headers.get('location')).toContain('/_sandbox/portal/');
      // The retry link is the email's: its page shows the confirmation, charging nothing.
      const retryUrl = answer.notice!.retry.possible ? answer.notice!.retry.url : '';
      const retryPage = await fetch(retryUrl);
      expect(retryPage.status).toBe(200);
      expect(await retryPage.text()).toContain('Retry your payment');

      const token = await mint(s.customerId);
      const byToken = await get(stack.baseUrl, noticePath(s.customerId), bearer(token));
      expect(byToken.status).toBe(200);
      expect(((await byToken.json()) as NoticeAnswer).notice?.invoiceId).toBe(s.invoiceId);

      // Recovered (an operator's retry with a card that now works): the notice is gone.
      stack.sandbox.setPaymentMethodBehaviour(s.paymentMethodId, { outcome: 'succeed' });
      expect((await stack.api(`/api/invoices/${s.invoiceId}/retry-now`, { method: 'POST', body: '{}' })).status).toBe(200);
      await stack.untilStatus(s.invoiceId, 'recovered', (x) => x.state === 'recovered');
      const after = await eventually(
        async () => {
          const a = (await (await get(stack.baseUrl, noticePath(s.customerId), bearer(token))).json()) as NoticeAnswer;
          return a.open ? undefined : a;
        },
        20_000,
        'the notice gone',
      );
      expect(after).toEqual({ customerId: s.customerId, open: false, openCases: 0 });
    },
  );

  it(
    'two open cases of one customer (two subscriptions): shows the oldest of equal severity, counts both',
    { timeout: 90_000 },
    async () => {
      const first = await openCase();
      const second = await stack.sandbox.createFailedInvoiceScenario({
        email: 'unused@example.com',
        amount: 1200,
        currency: 'usd',
        customerId: first.customerId,
      });
      await stack.untilStatus(second.invoiceId, 'the second case planned', (x) => x.graceEndsAt !== undefined);
      const both = await eventually(
        async () => {
          const a = (await (await stack.api(noticePath(first.customerId))).json()) as NoticeAnswer;
          return a.openCases === 2 ? a : undefined;
        },
        20_000,
        'both cases listed',
      );
      expect(both.notice).toMatchObject({ invoiceId: first.invoiceId, severity: 'notice', amount: '$49.00' });
      // The first recovered: the notice shows the one still open.
      stack.sandbox.setPaymentMethodBehaviour(first.paymentMethodId, { outcome: 'succeed' });
      expect((await stack.api(`/api/invoices/${first.invoiceId}/retry-now`, { method: 'POST', body: '{}' })).status).toBe(200);
      await stack.untilStatus(first.invoiceId, 'recovered', (x) => x.state === 'recovered');
      const left = await eventually(
        async () => {
          const a = (await (await stack.api(noticePath(first.customerId))).json()) as NoticeAnswer;
          return a.openCases === 1 ? a : undefined;
        },
        20_000,
        'one case left',
      );
      expect(left.notice).toMatchObject({ invoiceId: second.invoiceId, amount: '$12.00' });
    },
  );

  it('speaks the customer’s language, as the emails', { timeout: 60_000 }, async () => {
    const s = await openCase({ preferredLocales: ['vi-VN'] });
    const a = (await (await stack.api(noticePath(s.customerId))).json()) as NoticeAnswer;
    expect(a.notice).toMatchObject({ locale: 'vi', title: 'Khoản thanh toán gần nhất của bạn chưa thành công' });
    expect(a.notice?.update.label).toBe('Cập nhật phương thức thanh toán');
  });

  it('refuses a token of another customer, a tampered, expired or too long one, and none, each saying why', async () => {
    const token = await mint('cus_someone');
    const refused = async (t: string | undefined, customerId = 'cus_someone') => {
      const res = await get(stack.baseUrl, noticePath(customerId), t === undefined ? {} : bearer(t));
      return { status: res.status, code: ((await res.json()) as { error: { code: string; message: string } }).error };
    };
    expect(await refused(token, 'cus_other')).toEqual({
      status: 403,
      code: { code: 'wrong_customer', message: 'The notice token is for another customer' },
    });
    const [p, payload, mac] = token.split('.');
    const other = Buffer.from(JSON.stringify({ c: 'cus_other', e: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    expect((await refused(`${p}.${other}.${mac}`, 'cus_other')).code.code).toBe('token_bad_signature');
    expect((await refused(`${p}.${payload}.${mac!.slice(0, -3)}xyz`)).code.code).toBe('token_bad_signature');
    const key = noticeTokenKey({ apiToken: stack.apiToken });
    const expired = await refused(mintNoticeToken(key, 'cus_someone', Math.floor(Date.now() / 1000) - 1));
    expect(expired).toEqual({ status: 401, code: { code: 'token_expired', message: expect.stringContaining('expired') } });
    const long = mintNoticeToken(key, 'cus_someone', Math.floor(Date.now() / 1000) + 86_400);
    expect((await refused(long)).code.code).toBe('token_too_long');
    expect(await refused(undefined)).toMatchObject({ status: 401, code: { code: 'unauthorized' } });
    expect((await refused('garbage')).code.code).toBe('token_malformed');
    // The one /api route that takes it: no other, not even minting more tokens.
    expect((await get(stack.baseUrl, '/api/dunning?customerId=cus_someone', bearer(token))).status).toBe(401);
    const mintWithToken = await fetch(`${stack.baseUrl}/api/customers/cus_someone/notice-token`, {
      method: 'POST',
      headers: bearer(token),
    });
    expect(mintWithToken.status).toBe(401);
  });

  it('CORS: the allowed origin is echoed (preflight too), another is refused, no wildcard, no credentials', async () => {
    const token = await mint('cus_someone');
    const preflight = await fetch(`${cors.base}${noticePath('cus_someone')}`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, OPTIONS');
    expect(preflight.headers.get('vary')).toContain('Origin');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const read = await get(cors.base, noticePath('cus_someone'), { origin: APP, ...bearer(token) });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe(APP);

    for (const origin of ['https://evil.example', 'https://app.example.test.evil.example']) {
      const p = await fetch(`${cors.base}${noticePath('cus_someone')}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      expect(p.status).toBe(403);
      expect(p.headers.get('access-control-allow-origin')).toBeNull();
      const r = await get(cors.base, noticePath('cus_someone'), { origin, ...bearer(token) });
      expect(r.status).toBe(403);
      expect(await r.json()).toEqual({
        error: { code: 'origin_not_allowed', message: 'This origin may not read the notice (NOTICE_ALLOWED_ORIGINS)' },
      });
    }
    // Without NOTICE_ALLOWED_ORIGINS (the stack's own app), no other origin is allowed.
    const none = await get(stack.baseUrl, noticePath('cus_someone'), { origin: APP, ...bearer(token) });
    expect(none.status).toBe(403);
  });

  it('serves the web component to other origins’ pages', async () => {
    const res = await fetch(`${stack.baseUrl}/embed/dunning-notice.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await res.text()).toContain("customElements.define('dunning-notice'");
  });
});
