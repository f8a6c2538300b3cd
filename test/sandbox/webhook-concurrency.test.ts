/** The Stripe sandbox's webhook deliveries: in order one at a time by default, concurrent when asked (as Stripe's are). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startStripeSandbox, type StripeSandbox } from '../../sandbox/stripe';

describe('stripe sandbox webhook concurrency', () => {
  const open: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  async function maxInFlight(webhookConcurrency?: number): Promise<number> {
    let inFlight = 0;
    let max = 0;
    const receiver: Server = createServer((req, res) => {
      inFlight++;
      max = Math.max(max, inFlight);
      req.resume();
      setTimeout(() => {
        inFlight--;
        res.end();
      }, 100);
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise((r) => receiver.close(r)) });
    const { port } = receiver.address() as AddressInfo;
    const sandbox: StripeSandbox = await startStripeSandbox({
      webhookSecret: 'whsec_t',
      webhookUrl: `http://127.0.0.1:${port}/`,
      webhookConcurrency,
    });
    open.push(sandbox);
    await sandbox.createFailedInvoiceScenario({ email: 'a@example.com', amount: 100, currency: 'usd' }); // about ten events
    await sandbox.flushWebhooks();
    return max;
  }

  it('delivers one at a time by default', async () => {
    expect(await maxInFlight()).toBe(1);
  });

  it('delivers up to webhookConcurrency at once', async () => {
    expect(await maxInFlight(4)).toBe(4);
  });
});
