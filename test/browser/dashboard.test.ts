/**
 * The recovery dashboard in headless Chromium (Debian's, like customer-retry.test.ts), on a real
 * stack with a few dozen cases that end every way a case ends: recovered by a scheduled retry, a
 * card update, the customer's own retry and a payment at Stripe; exhausted; cancelled; still open;
 * blocked on the email provider. A test policy ends them in seconds (overrides by amount: small
 * invoices are exhausted after 10 s, large ones wait two days). The operator signs in with the API
 * token and reads the figures, which must equal what the cases themselves say (their `status`).
 * Stripe's events are delivered by the test (only the failures and payments it needs), not queued
 * behind each other in the sandbox.
 * A screenshot is kept under test-results/browser/.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedToolchain } from '../../tools/toolchain';
import { findOnPath } from '../../tools/toolchain/process';
import { readDashboardCases } from '../../src/dashboard/visibility';
import { monthStartUtc } from '../../src/dashboard/figures';
import { policyProblems, type DunningPolicy } from '../../domain/policy';
import { formatAmount } from '../../domain/presentation';
import type { DunningStatus } from '../../domain/types';
import { serveApp, type ServedApp } from '../support/appServer';
import { eventually, startStack, type Stack } from '../temporal/support/stack';

const chromiumPath = process.env.CHROMIUM_PATH || findOnPath('chromium') || cachedToolchain().chromium;
const SKIP_REASON =
  "chromium is not installed: `npm run toolchain` installs Debian's chromium with apt-get when run as root (set CHROMIUM_PATH to use another)";
const ARTIFACTS = resolve(__dirname, '../../test-results/browser');
const UI = 'http://temporal-ui.test:8233';

const email = (at: string, template: 'payment_failed' | 'reminder') => ({ at, action: 'email' as const, template });
const POLICY: DunningPolicy = {
  version: 1,
  steps: [email('0', 'payment_failed'), { at: '20s', action: 'retry' }, email('30m', 'reminder')],
  endAfter: '1h',
  endAction: 'cancel_subscription',
  grace: '1h',
  paydays: [1, 15],
  retryHour: null,
  minRetryGap: '1s',
  defaultTimeZone: 'UTC',
  overrides: [
    // Small invoices: exhausted after 10 s.
    { match: { maxAmount: 999 }, policy: { steps: [email('0', 'payment_failed')], endAfter: '10s', grace: '10s' } },
    // Large ones: the next step is two days away (outside "the next 24 hours").
    {
      match: { minAmount: 100_000 },
      policy: { steps: [email('0', 'payment_failed'), email('2d', 'reminder')], endAfter: '3d', grace: '3d' },
    },
  ],
};

const DECLINES = {
  insufficient_funds: 'pm_card_chargeDeclinedInsufficientFunds',
  payment_method: 'pm_card_chargeDeclinedExpiredCard',
  never_retry: 'pm_card_chargeDeclinedLostCard',
  unknown: 'pm_card_chargeDeclined',
} as const;
type Decline = keyof typeof DECLINES;
type Ending = 'retry' | 'card_update' | 'customer_retry' | 'paid' | 'exhausted' | 'cancel' | 'open' | 'blocked';
interface Planned {
  ending: Ending;
  decline: Decline;
  amount: number;
  currency: string;
}

const plan = (ending: Ending, decline: Decline, amounts: number[], currency = 'usd'): Planned[] =>
  amounts.map((amount) => ({ ending, decline, amount, currency }));
const CASES: Planned[] = [
  ...plan('retry', 'insufficient_funds', [4900, 2900, 1900]),
  ...plan('retry', 'unknown', [5500]),
  ...plan('card_update', 'payment_method', [9900, 3900]),
  ...plan('card_update', 'payment_method', [4500], 'eur'),
  ...plan('card_update', 'payment_method', [7700]),
  ...plan('customer_retry', 'insufficient_funds', [1500, 2500]),
  ...plan('paid', 'insufficient_funds', [6100]),
  ...plan('paid', 'never_retry', [3300], 'eur'),
  ...plan('exhausted', 'insufficient_funds', [900, 800]),
  ...plan('exhausted', 'payment_method', [700]),
  ...plan('exhausted', 'unknown', [600], 'eur'),
  ...plan('cancel', 'insufficient_funds', [1200, 1300]),
  ...plan('cancel', 'payment_method', [1400]),
  ...plan('open', 'insufficient_funds', [2000, 2100], 'usd'),
  ...plan('open', 'insufficient_funds', [2200], 'eur'),
  ...plan('open', 'payment_method', [2300]),
  ...plan('open', 'never_retry', [150_000, 250_000]),
];
const BLOCKED: Planned[] = plan('blocked', 'insufficient_funds', [3100, 3200]);

/** Delivers the sandbox's latest event of `type` about `objectId` to the webhook route. */
async function deliverLatest(type: string, objectId: string): Promise<void> {
  const event = await eventually(() => stack.eventsFor(type, objectId).at(-1), 10_000, `${type} of ${objectId}`);
  expect((await stack.deliver(event)).status).toBe(200);
}

/** Waits until every case satisfies `ok`; names those that do not, with their status, to tell why. */
async function settle<T extends { invoiceId: string }>(
  cases: T[],
  what: (c: T) => string,
  ok: (c: T, s: DunningStatus) => boolean,
  timeoutMs: number,
): Promise<void> {
  const settled = await Promise.allSettled(cases.map((c) => stack.untilStatus(c.invoiceId, what(c), (s) => ok(c, s), timeoutMs)));
  const late = cases.filter((_, i) => settled[i]!.status === 'rejected');
  const why = await Promise.all(late.map(async (c) => `${what(c)}: ${JSON.stringify(await stack.status(c.invoiceId))}`));
  expect(why).toEqual([]);
}

let stack: Stack;
let app: ServedApp;
let browser: Browser | undefined;
beforeAll(async () => {
  if (!chromiumPath) return;
  expect(policyProblems(POLICY)).toEqual([]);
  mkdirSync(ARTIFACTS, { recursive: true });
  [browser, stack] = await Promise.all([
    chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] }),
    startStack({ policy: POLICY }),
  ]);
  app = await serveApp(stack, { cases: stack.cases, temporalUiUrl: UI });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await stack?.close();
});

describe('the recovery dashboard, in headless Chromium', () => {
  it('signs in with the API token and shows figures equal to what the cases say', { timeout: 180_000 }, async (ctx) => {
    ctx.skip(!chromiumPath, SKIP_REASON);
    const tag = randomBytes(3).toString('hex');
    const open = async (p: Planned, i: number) => {
      const s = await stack.sandbox.createFailedInvoiceScenario({
        email: `dash-${tag}-${p.ending}-${i}@example.com`,
        amount: p.amount,
        currency: p.currency,
        decline: DECLINES[p.decline],
        ownCards: true,
        // Only the failure is delivered (by the test, at once): the sandbox delivers its events one at a time,
        // and a few hundred of them (customers, cards, subscriptions) would take minutes on a loaded machine.
        webhooks: false,
      });
      await deliverLatest('invoice.payment_failed', s.invoiceId);
      return { ...p, ...s };
    };
    const made = await Promise.all(CASES.map(open));
    // Each case planned (its first email on the case) before it is ended on purpose.
    await settle(
      made,
      (c) => `${c.ending} ${c.invoiceId}: the first email`,
      (_, s) => s.emails.length > 0,
      45_000,
    );

    const succeed = (c: (typeof made)[number]) =>
      stack.sandbox.setPaymentMethodBehaviour(c.paymentMethodId, { outcome: 'succeed' });
    await Promise.all(
      made.map(async (c, i) => {
        switch (c.ending) {
          case 'retry': // the scheduled retry at 20 s finds the card good
            return succeed(c);
          case 'card_update':
            succeed(c);
            return stack.api(`/api/invoices/${c.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
          case 'customer_retry': {
            succeed(c);
            // "Busy" passes (a step of the case under way on a loaded machine): ask again, as the page lets a customer.
            const answer = await eventually(async () => {
              const a = await stack.cases.requestRetry(c.invoiceId, `dash-${tag}-${i}-${randomBytes(2).toString('hex')}`);
              return a.kind === 'refused' && a.refusal.reason === 'busy' ? undefined : a;
            }, 20_000);
            return expect(answer).toMatchObject({ kind: 'outcome', outcome: { outcome: 'succeeded' } });
          }
          case 'paid':
            await stack.stripe.invoices.pay(c.invoiceId, { paid_out_of_band: true });
            return deliverLatest('invoice.paid', c.invoiceId);
          case 'cancel':
            return stack.api(`/api/invoices/${c.invoiceId}/cancel`, { method: 'POST', body: '{"reason":"operator"}' });
        }
      }),
    );
    const endsAs: Record<Ending, string> = {
      retry: 'recovered',
      card_update: 'recovered',
      customer_retry: 'recovered',
      paid: 'recovered',
      exhausted: 'exhausted',
      cancel: 'cancelled',
      open: 'active',
      blocked: 'active',
    };
    // Settled: ended as planned, and the open ones past their scheduled retry (which declines).
    await settle(
      made,
      (c) => `${c.ending} ${c.decline} ${c.invoiceId}: ${endsAs[c.ending]}`,
      (c, s) =>
        s.state === endsAs[c.ending] && (c.ending !== 'open' || c.decline !== 'insufficient_funds' || s.attempts.length > 0),
      60_000,
    );

    // Last, two cases whose first email Resend refuses (a revoked key): they wait, blocked on it.
    stack.outbox.injectFault({ status: 500, count: 20, name: 'invalid_api_key' });
    const blocked = await Promise.all(BLOCKED.map((p, i) => open(p, i)));
    await Promise.all(
      blocked.map((c) => stack.untilStatus(c.invoiceId, 'blocked on resend', (s) => s.blockedOn?.provider === 'resend')),
    );

    const all = [...made, ...blocked];
    const statuses = new Map<string, DunningStatus>();
    for (const c of all) statuses.set(c.invoiceId, (await stack.status(c.invoiceId))!);
    const st = [...statuses.values()];
    expect(
      st
        .filter((s) => s.state === 'recovered')
        .map((s) => s.outcome)
        .sort(),
    ).toEqual(
      [
        ...Array(4).fill('card_updated'),
        ...Array(2).fill('customer_retry'),
        ...Array(2).fill('paid_stripe'),
        ...Array(4).fill('retry_succeeded'),
      ].sort(),
    );

    // Visibility catches up with the cases (eventually consistent) before the page is read.
    await eventually(
      async () => {
        const { cases } = await readDashboardCases(stack.client, {
          taskQueue: stack.taskQueue,
          since: new Date(monthStartUtc(Date.now())),
        });
        const ok = all.every((c) => {
          const v = cases.find((x) => x.invoiceId === c.invoiceId);
          const s = statuses.get(c.invoiceId)!;
          return v && v.state === s.state && (s.state === 'active' || v.closedAt) && (!s.blockedOn || v.blockedOn === 'resend');
        });
        return ok || undefined;
      },
      30_000,
      'visibility to show every case as it ended',
    );

    // ---- the browser ----------------------------------------------------------------------------
    const page = await browser!.newPage({ viewport: { width: 1200, height: 1000 } });
    const res = await page.goto(`${app.base}/dashboard`);
    expect(res!.status()).toBe(401);
    expect(await page.locator('[data-figure]').count()).toBe(0); // no data without the token
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That is not the API token.').waitFor();
    expect(await page.locator('[data-figure]').count()).toBe(0);
    await page.getByLabel('API token').fill(stack.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Recovery dashboard' }).waitFor();
    const cookie = (await page.context().cookies()).find((k) => k.name === 'dunning_dashboard');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/dashboard' });
    expect(cookie!.value).not.toContain(stack.apiToken);

    const fig = async (name: string) => (await page.locator(`[data-figure="${name}"]`).innerText()).trim();
    const now = Date.now();
    const sum = (xs: DunningStatus[], currency: string) =>
      formatAmount(
        xs.filter((s) => s.currency === currency).reduce((a, s) => a + s.amountDue, 0),
        currency,
        'en',
      );
    const openSt = st.filter((s) => s.state === 'active');
    const recovered = st.filter((s) => s.state === 'recovered');
    const exhausted = st.filter((s) => s.state === 'exhausted');
    expect(await fig('open-count')).toBe(String(openSt.length));
    expect(openSt).toHaveLength(8);
    expect(await fig('at-risk-usd')).toBe(sum(openSt, 'usd'));
    expect(await fig('at-risk-eur')).toBe(sum(openSt, 'eur'));
    expect(await fig('recovered-count')).toBe('12');
    expect(await fig('recovered-usd')).toBe(sum(recovered, 'usd'));
    expect(await fig('recovered-eur')).toBe(sum(recovered, 'eur'));
    expect(await fig('exhausted-count')).toBe('4');
    expect(await fig('cancelled-count')).toBe('3');
    expect(await fig('recovery-rate')).toBe(`${Math.round((12 / 16) * 100)}%`); // recovered ÷ (recovered + exhausted)
    for (const category of new Set([...recovered, ...exhausted].map((s) => s.declineCategory))) {
      expect(await fig(`decline-${category}-recovered`), category).toBe(
        String(recovered.filter((s) => s.declineCategory === category).length),
      );
      expect(await fig(`decline-${category}-exhausted`), category).toBe(
        String(exhausted.filter((s) => s.declineCategory === category).length),
      );
    }
    for (const step of ['retry_succeeded', 'card_updated']) expect(await fig(`step-${step}`)).toBe('4');
    for (const step of ['customer_retry', 'paid_stripe']) expect(await fig(`step-${step}`)).toBe('2');
    const soon = openSt.filter((s) => s.nextAction && Date.parse(s.nextAction.at) < now + 24 * 3_600_000);
    expect(soon.length).toBe(6); // every open case but the two large ones
    expect(await fig('next24h-count')).toBe(String(soon.length));
    expect(await fig('blocked-count')).toBe('2');
    expect(await fig('blocked-resend')).toBe('2');
    expect(await fig('table-count')).toBe(String(all.length));
    // Charts are drawn inline (the page loads nothing else).
    expect(await page.locator('svg[role="img"]').count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // The table's search: one customer; each case links to its workflow in the Web UI.
    const one = blocked[0]!;
    await page.getByLabel('Search').fill(one.customerId);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/[?&]q=/);
    expect(await fig('table-count')).toBe('1');
    const link = page.locator('#cases').getByRole('link', { name: one.invoiceId });
    expect(await link.getAttribute('href')).toBe(`${UI}/namespaces/default/workflows/dunning-${one.invoiceId}`);
    await page.getByLabel('State').selectOption('recovered');
    await page.getByLabel('Search').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/state=recovered/);
    expect(await fig('table-count')).toBe('12');

    // Signed out, the page shows nothing again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect((await page.goto(`${app.base}/dashboard`))!.status()).toBe(401);
    await page.close();

    // A script uses the header instead.
    const scripted = await fetch(`${app.base}/dashboard`, { headers: { authorization: `Bearer ${stack.apiToken}` } });
    expect(scripted.status).toBe(200);
    expect(await scripted.text()).toContain('data-figure="open-count"');

    // Leave nothing running on the shared server.
    stack.outbox.clearFaults();
    await Promise.all(
      openSt.map((s) => stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{"reason":"test over"}' })),
    );
  });
});
