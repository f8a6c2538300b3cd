/**
 * The customer's own retry in a real browser: headless Chromium (Debian's, installed by the
 * toolchain: `npm run toolchain`) driven by playwright-core, on the real stack. The customer
 * opens the email in the outbox, follows "Retry my payment now", reads the confirmation page,
 * presses the button (a plain form POST) and sees the outcome. Screenshots of each page are kept
 * under test-results/browser/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedToolchain } from '../../tools/toolchain';
import { findOnPath } from '../../tools/toolchain/process';
import { eventually, startStack, type Stack } from '../temporal/support/stack';

// Test code never installs anything: `npm test`'s pretest (the toolchain) apt-get installs chromium.
const chromiumPath = process.env.CHROMIUM_PATH || findOnPath('chromium') || cachedToolchain().chromium;
const SKIP_REASON =
  "chromium is not installed: `npm run toolchain` installs Debian's chromium with apt-get when run as root (set CHROMIUM_PATH to use another)";
const ARTIFACTS = resolve(__dirname, '../../test-results/browser');

let stack: Stack;
let browser: Browser | undefined;
beforeAll(async () => {
  if (!chromiumPath) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  // As root (CI, this machine) Chromium's own sandbox cannot start: --no-sandbox.
  [browser, stack] = await Promise.all([chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] }), startStack()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('retry from the email, in headless Chromium', () => {
  it(
    'outbox email → "Retry my payment now" → confirmation page → the button → paid, one charge',
    { timeout: 120_000 },
    async (ctx) => {
      ctx.skip(!chromiumPath, SKIP_REASON);
      const email = 'browser-retry@example.com';
      const s = await stack.sandbox.createFailedInvoiceScenario({ email, name: 'Jane Doe', amount: 4900, currency: 'usd' });
      const message = await eventually(
        () => stack.outbox.messages().find((m) => m.to.includes(email)),
        30_000,
        'the first email',
      );
      const page = await browser!.newPage({ viewport: { width: 900, height: 1000 } });
      const shot = async (name: string) => {
        const path = join(ARTIFACTS, `customer-retry-${name}.png`);
        await page.screenshot({ path, fullPage: true });
      };

      // The customer's mailbox: the outbox's page for the message, the email in its frame.
      await page.goto(`${stack.outbox.url}/messages/${encodeURIComponent(message.id)}`);
      const mail = page.frameLocator('iframe[title="HTML body"]');
      const retry = mail.getByRole('link', { name: 'Retry my payment now' });
      await retry.waitFor();
      await mail.getByRole('link', { name: 'Use a different card' }).waitFor();
      await shot('1-email');
      // A mail client opens a link in the browser (the email's frame is sandboxed, and our pages
      // refuse to be framed), so the customer lands on the page at its own address.
      const href = await retry.getAttribute('href');
      expect(href).toMatch(new RegExp(`^${stack.baseUrl}/billing/retry/`));
      const chargesBefore = stack.sandbox.charges().filter((c) => c.invoiceId === s.invoiceId).length;

      await page.goto(href!);
      await page.getByRole('heading', { name: 'Retry your payment' }).waitFor();
      const confirmation = await page.locator('body').innerText();
      expect(confirmation).toContain('$49.00');
      expect(confirmation).toContain('Visa •••• 9995');
      expect(await page.getByRole('link', { name: 'Use a different card' }).getAttribute('href')).toMatch(/\/billing\/update\//);
      await shot('2-confirmation');
      // Opening the page (and the browser's own fetches of it) charged nothing.
      expect(stack.sandbox.charges().filter((c) => c.invoiceId === s.invoiceId)).toHaveLength(chargesBefore);

      // The customer has paid the card down, and presses the button.
      stack.sandbox.setPaymentMethodBehaviour(s.paymentMethodId, { outcome: 'succeed' });
      await page.getByRole('button', { name: 'Retry my payment now' }).click();
      await page.getByRole('heading', { name: 'Thank you, your payment went through' }).waitFor();
      await shot('3-paid');

      const done = await stack.untilStatus(s.invoiceId, 'recovered', (x) => x.state === 'recovered');
      expect(done.attempts.filter((a) => a.trigger === 'customer_retry')).toEqual([
        expect.objectContaining({ outcome: 'succeeded' }),
      ]);
      expect(
        stack.sandbox
          .charges()
          .filter((c) => c.invoiceId === s.invoiceId)
          .slice(chargesBefore),
      ).toEqual([expect.objectContaining({ source: 'api', outcome: 'succeeded' })]);

      // Back to the confirmation page: it shows the case is paid, with no button to press again.
      await page.goBack();
      await page.getByRole('heading', { name: 'This invoice is paid' }).waitFor();
      expect(await page.getByRole('button').count()).toBe(0);
      expect(
        stack.sandbox
          .charges()
          .filter((c) => c.invoiceId === s.invoiceId)
          .slice(chargesBefore),
      ).toHaveLength(1);
      await page.close();
    },
  );
});
