/**
 * `GET /billing/update/:token`, the link in every email: a Billing Portal session (one per link
 * for a few minutes), the hosted invoice page when the portal fails, a plain page when both fail or the link is bad.
 * Never a 500.
 */
import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLinkToken } from '../../activities/links/updateLinkToken';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
let scenario: { customerId: string; invoiceId: string; hostedInvoiceUrl: string };
beforeAll(async () => {
  stack = await startStack({ worker: false, stripeWebhooks: false });
  scenario = await stack.sandbox.createFailedInvoiceScenario({ email: 'link@example.com', amount: 1500, currency: 'usd' });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.sandbox.clearFaults());

const now = () => Math.floor(Date.now() / 1000);
/** Each call a link of its own (its expiry a second later): links share no portal session. */
let links = 0;
const token = (exp = now() + 3600 + ++links, over: Partial<{ customerId: string; invoiceId: string }> = {}) =>
  createLinkToken(stack.linkSecret, { customerId: scenario.customerId, invoiceId: scenario.invoiceId, exp, ...over });
const visit = (t: string) => fetch(`${stack.baseUrl}/billing/update/${t}`, { redirect: 'manual' });
const lastSession = () =>
  stack.sandbox
    .events()
    .filter((r) => r.event.type === 'billing_portal.session.created')
    .at(-1)!.event.data.object as Stripe.BillingPortal.Session;
const portalSessions = () => stack.sandbox.events().filter((r) => r.event.type === 'billing_portal.session.created').length;

describe('update link', () => {
  it('valid: 302 to a portal session (payment method update flow), the same for the clicks of the next minutes', async () => {
    const before = portalSessions();
    const link = token();
    const first = await visit(link);
    const again = await visit(link);
    const other = await visit(token());
    expect(first.status).toBe(302);
    expect(again.status).toBe(302);
    const a = first.headers.get('location')!;
    expect(a).toMatch(new RegExp(`^${stack.sandbox.url}/_sandbox/portal/bps_`));
    expect(again.headers.get('location')).toBe(a);
    // Another link (another email) is another session.
    expect(other.headers.get('location')).not.toBe(a);
    expect(portalSessions()).toBe(before + 2);
    const session = lastSession();
    expect(session.customer).toBe(scenario.customerId);
    expect(session.flow?.type).toBe('payment_method_update');
    // The portal page itself opens.
    expect((await fetch(a)).status).toBe(200);
  });

  it("/billing/done only once the card was saved (flow_data.after_completion), in the customer's locale", async () => {
    const vi = createLinkToken(stack.linkSecret, {
      customerId: scenario.customerId,
      invoiceId: scenario.invoiceId,
      exp: now() + 3600,
      locale: 'vi',
    });
    const portal = (await visit(vi)).headers.get('location')!;
    const session = lastSession();
    expect(session.locale).toBe('vi');
    // Leaving the portal without saving must not land on "your payment details were updated".
    expect(session.return_url).toBe(`${stack.baseUrl}/billing/left`);
    const left = await fetch(session.return_url!);
    expect(left.status).toBe(200);
    expect(await left.text()).toContain('Nothing was changed');
    expect(session.flow?.after_completion).toMatchObject({
      type: 'redirect',
      redirect: { return_url: `${stack.baseUrl}/billing/done` },
    });
    expect(await (await fetch(portal)).text()).not.toContain('/billing/done');
    const saved = await fetch(portal, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa',
      redirect: 'manual',
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`${stack.baseUrl}/billing/done`);
  });

  it('a "confirm payment" link (3-D Secure) opens the hosted invoice page, the portal as its fallback', async () => {
    const pay = createLinkToken(stack.linkSecret, {
      customerId: scenario.customerId,
      invoiceId: scenario.invoiceId,
      exp: now() + 3600,
      purpose: 'pay',
    });
    const before = portalSessions();
    const res = await visit(pay);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(scenario.hostedInvoiceUrl);
    expect(portalSessions()).toBe(before);
    stack.sandbox.injectFault({ pathPattern: '^GET /v1/invoices/', status: 500, count: 5 });
    const fallback = await visit(pay);
    expect(fallback.status).toBe(302);
    expect(fallback.headers.get('location')).toMatch(new RegExp(`^${stack.sandbox.url}/_sandbox/portal/bps_`));
  });

  it('portal failing: 302 to the hosted invoice page', async () => {
    stack.sandbox.injectFault({ pathPattern: '^POST /v1/billing_portal/sessions$', status: 500, count: 5 });
    const res = await visit(token());
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(scenario.hostedInvoiceUrl);
  });

  it('portal and invoice both failing: a plain 503 page, and the link keeps working afterwards', async () => {
    stack.sandbox.injectFault({ pathPattern: '^POST /v1/billing_portal/sessions$', status: 503, count: 5 });
    stack.sandbox.injectFault({ pathPattern: '^GET /v1/invoices/', status: 500, count: 5 });
    const t = token();
    const res = await visit(t);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/try again/i);
    stack.sandbox.clearFaults();
    expect((await visit(t)).status).toBe(302);
  });

  it('a customer Stripe does not know: the hosted page, or the 503 page when the invoice is unknown too', async () => {
    const unknownCustomer = await visit(token(undefined, { customerId: 'cus_gone' }));
    expect(unknownCustomer.status).toBe(302);
    expect(unknownCustomer.headers.get('location')).toBe(scenario.hostedInvoiceUrl);
    const nothing = await visit(token(undefined, { customerId: 'cus_gone', invoiceId: 'in_gone' }));
    expect(nothing.status).toBe(503);
  });

  it('expired: 410 page, no Stripe call', async () => {
    const before = portalSessions();
    const res = await visit(token(now() - 60));
    expect(res.status).toBe(410);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/expired/i);
    expect(portalSessions()).toBe(before);
  });

  it('tampered, malformed or signed with another secret: 400 page, never a 500', async () => {
    const good = token();
    const [payload, mac] = good.split('.') as [string, string];
    const otherCustomer = Buffer.from(JSON.stringify({ c: 'cus_other', i: scenario.invoiceId, e: now() + 3600 })).toString(
      'base64url',
    );
    const signedGarbage = (p: string) => `${p}.${createHmac('sha256', stack.linkSecret).update(p).digest('base64url')}`;
    const bad = [
      `${otherCustomer}.${mac}`, // payload swapped
      `${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`, // signature altered
      `${payload}.${mac}x`,
      createLinkToken('another-secret', { customerId: scenario.customerId, invoiceId: scenario.invoiceId, exp: now() + 3600 }),
      'abc',
      `${payload}.`,
      `.${mac}`,
      `${good}.extra`,
      signedGarbage('not-json'), // valid signature over nonsense
      signedGarbage(Buffer.from('{"c":1,"i":"in_1","e":"soon"}').toString('base64url')),
      '%E0%A4%A', // not even valid percent-encoding
      'a'.repeat(5000),
    ];
    const before = portalSessions();
    for (const t of bad) {
      const res = await visit(t);
      expect(res.status, t.slice(0, 60)).toBe(400);
      expect(res.headers.get('content-type'), t.slice(0, 60)).toMatch(/text\/html/);
      expect(await res.text()).toMatch(/not valid/i);
    }
    expect(portalSessions()).toBe(before);
  });
});
