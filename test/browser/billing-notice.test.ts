/**
 * The in-app notice in a real browser: headless Chromium (Debian's, as the other browser tests)
 * on the real stack. A page of "the SaaS app", on an origin of its own, drops in the service's
 * `<dunning-notice>` script with a customer token its backend minted; the component reads the
 * notice across origins (CORS), shows it with its buttons, the update button opens the Billing
 * Portal (the sandbox's) in a new tab, the customer saves a working card, the case is recovered,
 * and the notice is gone from the app's page. Screenshots under test-results/browser/.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedToolchain } from '../../tools/toolchain';
import { findOnPath } from '../../tools/toolchain/process';
import { serveApp, type ServedApp } from '../support/appServer';
import { startStack, type Stack } from '../temporal/support/stack';

const chromiumPath = process.env.CHROMIUM_PATH || findOnPath('chromium') || cachedToolchain().chromium;
const SKIP_REASON =
  "chromium is not installed: `npm run toolchain` installs Debian's chromium with apt-get when run as root (set CHROMIUM_PATH to use another)";
const ARTIFACTS = resolve(__dirname, '../../test-results/browser');

let stack: Stack;
let browser: Browser | undefined;
/** The service as configured for the app: its pages' origin allowed. */
let service: ServedApp;
/** The SaaS app's page: what it embeds is set by the test. */
let appServer: Server;
let appOrigin: string;
let embed = { customer: '', token: '' };

beforeAll(async () => {
  if (!chromiumPath) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  appServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme app</title>
<script src="${service.base}/embed/dunning-notice.js" defer></script></head>
<body style="font-family:sans-serif;max-width:720px;margin:24px auto"><h1>Acme dashboard</h1>
<dunning-notice customer="${embed.customer}" token="${embed.token}" refresh-seconds="1"></dunning-notice>
<p>Your projects…</p>
<script>window.notices = []; document.addEventListener('dunning-notice', (e) => window.notices.push(e.detail));</script>
</body></html>`);
  });
  await new Promise<void>((r) => appServer.listen(0, '127.0.0.1', () => r()));
  appOrigin = `http://localhost:${(appServer.address() as AddressInfo).port}`;
  [browser, stack] = await Promise.all([chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] }), startStack()]);
  service = await serveApp(stack, { cases: stack.cases, notice: { allowedOrigins: [appOrigin] } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await service?.close();
  await new Promise((r) => appServer?.close(r));
  await stack?.close();
});

describe('<dunning-notice> in headless Chromium', () => {
  it('shows the notice on the app’s page, opens the portal, and is gone after recovery', { timeout: 120_000 }, async (ctx) => {
    ctx.skip(!chromiumPath, SKIP_REASON);
    const s = await stack.sandbox.createFailedInvoiceScenario({
      email: 'browser-notice@example.com',
      name: 'Jane Doe',
      amount: 4900,
      currency: 'usd',
    });
    await stack.untilStatus(
      s.invoiceId,
      'a planned case',
      (x) => x.graceEndsAt !== undefined && x.customerRetry?.allowed === true,
    );
    const minted = await stack.api(`/api/customers/${s.customerId}/notice-token`, { method: 'POST', body: '{}' });
    embed = { customer: s.customerId, token: ((await minted.json()) as { token: string }).token };

    const context = await browser!.newContext({ viewport: { width: 900, height: 500 } });
    const page = await context.newPage();
    await page.goto(`${appOrigin}/`);
    // The component's shadow DOM is open: the roles are found inside it.
    await page.getByText("Your last payment didn't go through").waitFor({ timeout: 30_000 });
    expect(await page.locator('dunning-notice').getAttribute('severity')).toBe('notice');
    const text = await page.locator('dunning-notice .message').innerText();
    expect(text).toContain('$49.00 for Acme');
    const retry = page.getByRole('link', { name: 'Retry my payment now' });
    const update = page.getByRole('link', { name: 'Update payment method' });
    expect(await retry.getAttribute('href')).toMatch(new RegExp(`^${stack.baseUrl}/billing/retry/`));
    expect(await update.getAttribute('href')).toMatch(new RegExp(`^${stack.baseUrl}/billing/update/`));
    const first = (await page.evaluate('window.notices[0]')) as { open: boolean; notice: { invoiceId: string } };
    expect(first).toMatchObject({ open: true, notice: { invoiceId: s.invoiceId } });
    await page.screenshot({ path: join(ARTIFACTS, 'billing-notice-1-shown.png') });

    // The update button opens the Billing Portal (through the service's link) in a new tab.
    const [portal] = await Promise.all([context.waitForEvent('page'), update.click()]);
    await portal.getByRole('heading', { name: 'Update your payment method' }).waitFor();
    expect(portal.url()).toContain('/_sandbox/portal/');
    await portal.getByLabel(/Visa/).first().check();
    await portal.getByRole('button', { name: 'Save card' }).click();
    await stack.untilStatus(s.invoiceId, 'recovered', (x) => x.state === 'recovered', 30_000);
    await portal.close();

    // Back on the app's page: the component reads again and hides.
    await page.locator('dunning-notice').waitFor({ state: 'hidden', timeout: 20_000 });
    expect(await page.getByText("Your last payment didn't go through").count()).toBe(0);
    const last = (await page.evaluate('window.notices[window.notices.length - 1]')) as { open: boolean };
    expect(last).toEqual({ customerId: s.customerId, open: false, openCases: 0 });
    await page.screenshot({ path: join(ARTIFACTS, 'billing-notice-2-gone.png') });
    await context.close();
  });
});
