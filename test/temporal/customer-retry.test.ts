/**
 * The customer's own retry, end to end on the real stack (worker, API, Stripe sandbox, outbox):
 * the email's "Retry my payment now" → a GET that only shows a page → the page's POST → the case's
 * Update `retryRequested` → one customer-initiated charge → the page shows what it did.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_1_0 } from '../../domain/policy';
import type { DunningStatus } from '../../domain/types';
import { DunningClient } from '../../src/dunningClient';
import { issueRetryCsrf } from '../../src/http/retryCsrf';
import { createLinkToken } from '../../activities/links/updateLinkToken';
import { serveApp } from '../support/appServer';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const now = () => Math.floor(Date.now() / 1000);
const decode = (href: string) => href.replace(/&amp;/g, '&');
/** A page's HTML with the entities our pages use turned back into characters, for reading its text. */
const unescaped = (html: string) =>
  html
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** A customer whose renewal was declined for insufficient funds, with the case's first email. */
async function declinedCustomer(opts: { preferredLocales?: string[] } = {}) {
  const email = `retry-${randomBytes(4).toString('hex')}@example.com`;
  const scenario = await stack.sandbox.createFailedInvoiceScenario({ email, amount: 1999, currency: 'usd', ...opts });
  const message = await eventually(() => stack.outbox.messages().find((m) => m.to.includes(email)), 30_000, 'the first email');
  const html = message.html ?? '';
  const retryLink = /href="([^"]*\/billing\/retry\/[^"]+)"/.exec(html)?.[1];
  const updateLink = /href="([^"]*\/billing\/update\/[^"]+)"/.exec(html)?.[1];
  return {
    ...scenario,
    email,
    html,
    text: message.text ?? '',
    retryLink: retryLink && decode(retryLink),
    updateLink: updateLink && decode(updateLink),
  };
}

const chargesOf = (invoiceId: string) => stack.sandbox.charges().filter((c) => c.invoiceId === invoiceId);
const customerRetries = (s: DunningStatus) => s.attempts.filter((a) => a.trigger === 'customer_retry');

async function open(url: string): Promise<{ status: number; html: string; csrf?: string; action?: string }> {
  const res = await fetch(url, { redirect: 'manual' });
  const html = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  return { status: res.status, html, csrf, action: action && new URL(decode(action), stack.baseUrl).toString() };
}

function press(action: string, csrf: string): Promise<Response> {
  return fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf }).toString(),
    redirect: 'manual',
  });
}

describe("the customer's own retry", () => {
  it('insufficient funds: both buttons; GET shows the page and charges nothing; POST charges once and the case is recovered', async () => {
    const c = await declinedCustomer();
    expect(c.retryLink, 'the email has "Retry my payment now"').toMatch(new RegExp(`^${stack.baseUrl}/billing/retry/`));
    expect(c.updateLink, 'and "Use a different card"').toMatch(new RegExp(`^${stack.baseUrl}/billing/update/`));
    expect(c.html).toContain('>Retry my payment now</a>');
    expect(c.html).toContain('>Use a different card</a>');
    const chargesBefore = chargesOf(c.invoiceId).length;

    // Link scanners and the customer's own look: GETs, any number, charge nothing.
    const page = await open(c.retryLink!);
    await open(c.retryLink!);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<html lang="en">');
    expect(page.html).toContain('$19.99');
    expect(page.html).toContain('9995'); // the sandbox's insufficient-funds Visa
    expect(page.html).toContain('>Retry my payment now</button>');
    expect(page.csrf).toBeDefined();
    expect(page.action).toBe(c.retryLink);
    expect(chargesOf(c.invoiceId)).toHaveLength(chargesBefore);
    expect(customerRetries((await stack.status(c.invoiceId))!)).toEqual([]);

    // The customer pays the card down; then presses the button.
    stack.sandbox.setPaymentMethodBehaviour(c.paymentMethodId, { outcome: 'succeed' });
    const res = await press(page.action!, page.csrf!);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Thank you, your payment went through');

    const done = await stack.untilStatus(c.invoiceId, 'recovered', (s) => s.state === 'recovered');
    expect(customerRetries(done)).toEqual([expect.objectContaining({ trigger: 'customer_retry', outcome: 'succeeded' })]);
    const charges = chargesOf(c.invoiceId).slice(chargesBefore);
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ source: 'api', outcome: 'succeeded' });
    await stack.untilStatus(c.invoiceId, 'the confirmation email', (s) =>
      s.emails.some((e) => e.template === 'payment_recovered'),
    );

    // The same page sent again once the case has closed (a reload that resends the form): Temporal
    // answers an Update id it has seen with that Update's outcome, so the same page, still one charge.
    const resent = await press(page.action!, page.csrf!);
    expect(await resent.text()).toContain('Thank you, your payment went through');
    expect(chargesOf(c.invoiceId).slice(chargesBefore)).toHaveLength(1);

    // The link afterwards: the case's outcome, no button.
    const after = await open(c.retryLink!);
    expect(after.html).toContain('This invoice is paid');
    expect(after.csrf).toBeUndefined();
  });

  it('declined again (in Vietnamese): the reason and "use a different card"; a second POST within the cooldown is not possible, with when', async () => {
    const c = await declinedCustomer({ preferredLocales: ['vi-VN'] });
    expect(c.html).toContain('>Thử thanh toán lại ngay</a>');
    expect(c.html).toContain('>Dùng thẻ khác</a>');
    // Two tabs open on the confirmation page: two requests.
    const first = await open(c.retryLink!);
    const second = await open(c.retryLink!);
    expect(first.html).toContain('<html lang="vi">');
    expect(first.html).toContain('Thanh toán lại');
    const chargesBefore = chargesOf(c.invoiceId).length;

    const declined = await press(first.action!, first.csrf!);
    expect(declined.status).toBe(200);
    const declinedPage = await declined.text();
    expect(declinedPage).toContain('Ngân hàng lại từ chối khoản thanh toán');
    expect(declinedPage).toContain('không đủ số dư'); // insufficient funds, in plain words
    const differentCard = /href="([^"]*\/billing\/update\/[^"]+)"/.exec(declinedPage)?.[1];
    expect(differentCard, 'a "use a different card" link').toBeDefined();
    const portal = await fetch(decode(differentCard!), { redirect: 'manual' });
    expect(portal.status).toBe(302);
    expect(portal.headers.get('location')).toContain('/_sandbox/portal/');

    // The other tab, pressed within the cooldown: refused at once, nothing charged, with when.
    const refused = await press(second.action!, second.csrf!);
    const refusedPage = await refused.text();
    expect(refusedPage).toContain('Hiện chưa thể thanh toán lại');
    expect(refusedPage).toMatch(/Bạn có thể thử lại từ [^<]*\d{4}/);
    // And the link itself now says so too, without a button.
    const later = await open(c.retryLink!);
    expect(later.html).toContain('Bạn vừa thanh toán lại cách đây không lâu');
    expect(later.csrf).toBeUndefined();

    expect(chargesOf(c.invoiceId).slice(chargesBefore)).toHaveLength(1);
    const s = (await stack.status(c.invoiceId))!;
    expect(s.state).toBe('active');
    expect(customerRetries(s)).toEqual([expect.objectContaining({ outcome: 'declined' })]);
    expect(s.customerRetry).toMatchObject({ allowed: false, reason: 'cooldown' });
    await stack.api(`/api/invoices/${c.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('a double-click and a repeated POST of one page are one request: one charge, the same answer', async () => {
    const c = await declinedCustomer();
    const page = await open(c.retryLink!);
    const chargesBefore = chargesOf(c.invoiceId).length;
    const [a, b] = await Promise.all([press(page.action!, page.csrf!), press(page.action!, page.csrf!)]);
    const [pa, pb] = [await a.text(), await b.text()];
    expect(pa).toContain('Your bank declined the payment again');
    expect(pb).toContain('Your bank declined the payment again');
    // Pressed again later (the browser's "resend form"): still the first request's answer.
    const again = await press(page.action!, page.csrf!);
    expect(await again.text()).toContain('Your bank declined the payment again');

    expect(chargesOf(c.invoiceId).slice(chargesBefore)).toHaveLength(1);
    expect(customerRetries((await stack.status(c.invoiceId))!)).toHaveLength(1);
    await stack.api(`/api/invoices/${c.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('the bank asks for authentication: 303 to the invoice page, where 3-D Secure runs', async () => {
    const c = await declinedCustomer();
    const page = await open(c.retryLink!);
    // The sandbox lets a 3-D Secure card through when the customer is present (not off_session), so
    // the bank's answer is set as such: Stripe's `authentication_required`.
    stack.sandbox.setPaymentMethodBehaviour(c.paymentMethodId, {
      outcome: 'decline',
      code: 'authentication_required',
      declineCode: 'authentication_required',
    });
    const res = await press(page.action!, page.csrf!);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(c.hostedInvoiceUrl);
    await stack.api(`/api/invoices/${c.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('a case that has ended shows its outcome, on GET and on POST', async () => {
    const c = await declinedCustomer();
    const page = await open(c.retryLink!);
    await stack.api(`/api/invoices/${c.invoiceId}/cancel`, { method: 'POST', body: '{}' });
    await stack.untilStatus(c.invoiceId, 'cancelled', (s) => s.state === 'cancelled');
    const chargesBefore = chargesOf(c.invoiceId).length;
    expect((await open(c.retryLink!)).html).toContain('This invoice is closed');
    const res = await press(page.action!, page.csrf!);
    expect(await res.text()).toContain('This invoice is closed');
    expect(chargesOf(c.invoiceId)).toHaveLength(chargesBefore);
  });
});

describe('the retry link refuses what is not its own', () => {
  const claims = { customerId: 'cus_x', invoiceId: 'in_x' };
  const retryUrl = (t: string) => `${stack.baseUrl}/billing/retry/${t}`;

  it('an update or pay link: 400; a retry link on the update route: 400 (never the portal)', async () => {
    for (const purpose of ['update', 'pay'] as const) {
      const res = await fetch(retryUrl(createLinkToken(stack.linkSecret, { ...claims, exp: now() + 3600, purpose })));
      expect(res.status, purpose).toBe(400);
      expect(await res.text()).toContain('This link is not valid');
    }
    const retry = createLinkToken(stack.linkSecret, { ...claims, exp: now() + 3600, purpose: 'retry', locale: 'vi' });
    const res = await fetch(`${stack.baseUrl}/billing/update/${retry}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Liên kết này không hợp lệ'); // in the link's own language
  });

  it("expired: 410; tampered: 400; a POST without the page's field or with another link's: 400; never a 500", async () => {
    const expired = createLinkToken(stack.linkSecret, { ...claims, exp: now() - 60, purpose: 'retry' });
    expect((await fetch(retryUrl(expired))).status).toBe(410);
    const good = createLinkToken(stack.linkSecret, { ...claims, exp: now() + 3600, purpose: 'retry' });
    const [payload, mac] = good.split('.') as [string, string];
    for (const bad of [
      `${payload}.${mac.slice(0, -2)}xx`,
      'abc',
      '%E0%A4%A',
      createLinkToken('other', { ...claims, exp: now() + 3600, purpose: 'retry' }),
    ]) {
      expect((await fetch(retryUrl(bad))).status, bad).toBe(400);
      expect((await press(retryUrl(bad), 'x')).status, bad).toBe(400);
    }
    const otherLink = createLinkToken(stack.linkSecret, { ...claims, invoiceId: 'in_y', exp: now() + 3600, purpose: 'retry' });
    const forOther = issueRetryCsrf(stack.linkSecret, otherLink, now());
    for (const field of ['', 'nonsense', forOther]) {
      const res = await press(retryUrl(good), field);
      expect(res.status, field).toBe(400);
    }
    const noBody = await fetch(retryUrl(good), { method: 'POST' });
    expect(noBody.status).toBe(400);
  });

  it('no case for the invoice: a plain 404 page', async () => {
    const t = createLinkToken(stack.linkSecret, {
      ...claims,
      invoiceId: `in_none_${randomBytes(3).toString('hex')}`,
      exp: now() + 3600,
      purpose: 'retry',
    });
    const res = await fetch(retryUrl(t));
    expect(res.status).toBe(404);
    expect(unescaped(await res.text())).toContain("We couldn't find this payment");
  });

  it('Temporal unreachable: the 503 page on GET; on POST a 503 page whose button sends the same request again', async () => {
    const dead = new DunningClient(
      new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' }),
      'nowhere',
      POLICY_1_0,
      1000,
    );
    const { base, close } = await serveApp(stack, { cases: dead });
    try {
      const t = createLinkToken(stack.linkSecret, { ...claims, exp: now() + 3600, purpose: 'retry' });
      const get = await fetch(`${base}/billing/retry/${t}`);
      expect(get.status).toBe(503);
      expect(await get.text()).toContain('Please try again in a moment');
      const csrf = issueRetryCsrf(stack.linkSecret, t, now());
      const post = await press(`${base}/billing/retry/${t}`, csrf);
      expect(post.status).toBe(503);
      const html = await post.text();
      expect(unescaped(html)).toContain("you won't be charged twice");
      const again = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
      expect(again?.split('.')[0], 'the same nonce: the same request').toBe(csrf.split('.')[0]);
    } finally {
      await close();
    }
  });
});
