/**
 * The last-chance offer's page (src/http/offerRoute.ts, issue #23 part 5) end to end on the real
 * stack (worker, API, Stripe sandbox delivering its webhooks, outbox): the offer email's button →
 * a GET that only shows the offer → the page's POST → the Update `offerAccepted` → the pause
 * applied at Stripe, the case `saved_by_offer`; a POST without the page's own field is refused; a
 * replayed POST is the same request; the pause's own webhook does not end the case as paused.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policyFile';
import { issueRetryCsrf } from '../../src/http/retryCsrf';
import { createLinkToken } from '../../activities/links/updateLinkToken';
import { eventually, startStack, type Stack } from './support/stack';

/** The offer two seconds after the first email; nothing else happens for ten minutes. */
const policy = (() => {
  const parsed = parsePolicy({
    version: 1,
    steps: [
      { at: '0', action: 'email', template: 'payment_failed' },
      { at: '2s', action: 'offer', offer: { kind: 'pause', for: '30d' } },
    ],
    endAfter: '10m',
    endAction: 'cancel_subscription',
    retryHour: null,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
})();

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ policy });
});
afterAll(async () => {
  await stack?.close();
});

const now = () => Math.floor(Date.now() / 1000);
const decode = (href: string) => href.replace(/&amp;/g, '&');

async function offered() {
  const email = `offer-${randomBytes(4).toString('hex')}@example.com`;
  const scenario = await stack.sandbox.createFailedInvoiceScenario({ email, amount: 1999, currency: 'usd' });
  const message = await eventually(
    () => stack.outbox.messages().find((m) => m.to.includes(email) && m.tags.some((t) => t.value === 'last_chance_offer')),
    30_000,
    'the offer email',
  );
  const link = /href="([^"]*\/billing\/offer\/[^"]+)"/.exec(message.html ?? '')?.[1];
  return { ...scenario, html: message.html ?? '', link: link && decode(link) };
}

async function open(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  const html = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  return { status: res.status, html, csrf, action: action && new URL(decode(action), stack.baseUrl).toString() };
}

const press = (action: string, csrf: string | undefined) =>
  fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(csrf === undefined ? {} : { csrf }).toString(),
    redirect: 'manual',
  });

describe('the last-chance offer page', () => {
  it('GET shows the offer and changes nothing; a forged POST is refused; the POST applies it once; a replay is the same answer', async () => {
    const c = await offered();
    expect(c.link, 'the email has "See the offer"').toMatch(new RegExp(`^${stack.baseUrl}/billing/offer/`));
    expect(c.html).toContain('>See the offer</a>');
    expect(c.html).toContain('a 30-day pause of your payments');

    // Link scanners and the customer's look: GETs change nothing at Stripe.
    const page = await open(c.link!);
    await open(c.link!);
    expect(page.status).toBe(200);
    expect(page.html).toContain('One more option before your subscription ends');
    expect(page.html).toContain('a 30-day pause of your payments');
    expect(page.html).toContain('$19.99');
    expect(page.html).toContain('>Accept the offer</button>');
    expect(page.action).toBe(c.link);
    expect((await stack.stripe.subscriptions.retrieve(c.subscriptionId)).pause_collection).toBeNull();

    // A POST without the page's field, with a forged one, or with another link's: 400, nothing applied.
    const other = createLinkToken(stack.linkSecret, {
      customerId: c.customerId,
      invoiceId: 'in_other',
      exp: now() + 3600,
      purpose: 'offer',
    });
    for (const csrf of [
      undefined,
      'x',
      `${page.csrf!.split('.')[0]}.${now() + 600}.forged`,
      issueRetryCsrf(stack.linkSecret, other, now()),
    ]) {
      const res = await press(page.action!, csrf);
      expect(res.status, String(csrf)).toBe(400);
      expect(await res.text()).toContain('This link is not valid');
    }
    expect((await stack.stripe.subscriptions.retrieve(c.subscriptionId)).pause_collection).toBeNull();
    expect((await stack.status(c.invoiceId))!.state).toBe('active');

    // The customer accepts.
    const res = await press(page.action!, page.csrf!);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Done: your offer is in place');
    const saved = await stack.untilStatus(c.invoiceId, 'saved_by_offer', (s) => s.state === 'saved_by_offer');
    expect(saved).toMatchObject({ outcome: 'offer_pause', offer: { offer: { kind: 'pause' }, appliedAt: expect.any(String) } });
    const sub = await stack.stripe.subscriptions.retrieve(c.subscriptionId);
    expect(sub.pause_collection).toMatchObject({ behavior: 'void', resumes_at: expect.any(Number) });
    expect((await stack.stripe.invoices.retrieve(c.invoiceId)).status).toBe('uncollectible');

    // The pause's own customer.subscription.updated (and the write-off's event) reached the API:
    // the case stays saved_by_offer, not cancelled as collection_paused.
    await eventually(
      () => stack.eventsFor('customer.subscription.updated', c.subscriptionId).length > 0 || undefined,
      10_000,
      'the echo',
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await stack.status(c.invoiceId))!).toMatchObject({ state: 'saved_by_offer', outcome: 'offer_pause' });

    // The same form again (a reload that resends it): the first answer; Stripe changed once.
    const updates = stack.eventsFor('customer.subscription.updated', c.subscriptionId).length;
    const replay = await press(page.action!, page.csrf!);
    expect(replay.status).toBe(200);
    expect(await replay.text()).toContain('Done: your offer is in place');
    expect(stack.eventsFor('customer.subscription.updated', c.subscriptionId)).toHaveLength(updates);

    // The link afterwards: the offer is in place, no button.
    const after = await open(c.link!);
    expect(after.html).toContain('Your offer is in place');
    expect(after.csrf).toBeUndefined();
  });

  it('expired: 410; tampered or of another purpose: 400', async () => {
    const claims = { customerId: 'cus_x', invoiceId: 'in_x' };
    const url = (t: string) => `${stack.baseUrl}/billing/offer/${t}`;
    expect((await fetch(url(createLinkToken(stack.linkSecret, { ...claims, exp: now() - 60, purpose: 'offer' })))).status).toBe(
      410,
    );
    const good = createLinkToken(stack.linkSecret, { ...claims, exp: now() + 3600, purpose: 'offer' });
    for (const bad of [
      `${good.slice(0, -2)}xx`,
      createLinkToken(stack.linkSecret, { ...claims, exp: now() + 3600, purpose: 'retry' }),
    ]) {
      const res = await fetch(url(bad));
      expect(res.status, bad).toBe(400);
      expect(await res.text()).toContain('This link is not valid');
    }
    // An offer link on the retry route: not a retry link either.
    expect((await fetch(`${stack.baseUrl}/billing/retry/${good}`)).status).toBe(400);
  });
});
