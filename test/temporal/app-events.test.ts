/**
 * Events to the SaaS app: signed per Standard Webhooks, checked here with the reference
 * `standardwebhooks` package, and retried until the app takes them.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEventWorkflowId } from '../../domain/appEventMessages';
import { eventually, startStack, type Stack } from './support/stack';

interface Received {
  at: number;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const FAIL_FIRST = 2;
const received: Received[] = [];
let receiver: Server;
let stack: Stack;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // The app is down for its first deliveries.
      const status = received.length < FAIL_FIRST ? 500 : 204;
      received.push({ at: Date.now(), status, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  stack = await startStack({
    appWebhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/dunning`, secret },
  });
});
afterAll(async () => {
  await stack?.close();
  await new Promise<void>((resolve) => {
    receiver?.close(() => resolve());
    receiver?.closeAllConnections();
  });
});

const headersOf = (r: Received) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});
type AppEvent = { type: string; timestamp: string; data: Record<string, unknown> };
const delivered = (invoiceId: string) =>
  received
    .filter((r) => r.status < 300)
    .map((r) => ({ r, event: new Webhook(secret).verify(r.body, headersOf(r)) as AppEvent }))
    .filter((x) => x.event.data.invoiceId === invoiceId);

const statusOf = (invoiceId: string) => stack.status(invoiceId);

/**
 * The case ends when its business ends; each event is delivered by a workflow of its own
 * (workflows/appEventDelivery.ts), retried until the app takes it. Waits for those deliveries.
 */
const deliveriesDone = (invoiceId: string, types: string[]) =>
  Promise.all(types.map((type) => stack.client.workflow.getHandle(appEventWorkflowId(`dunning-${invoiceId}/${type}`)).result()));

describe('events to the SaaS app', () => {
  it('dunning.started and dunning.recovered, verified with standardwebhooks, delivered after the app failed at first', async () => {
    const s = await stack.sandbox.createFailedInvoiceScenario({ email: 'app@example.com', amount: 4900, currency: 'usd' });
    await eventually(async () => ((await statusOf(s.invoiceId))?.emails.length ? true : undefined), 20_000, 'the case');
    stack.sandbox.setPaymentMethodBehaviour(s.paymentMethodId, { outcome: 'succeed' });
    expect((await stack.api(`/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' })).status).toBe(
      202,
    );

    const result = await stack.client.workflow.getHandle(`dunning-${s.invoiceId}`).result();
    expect(result).toEqual({ state: 'recovered', outcome: 'card_updated' });
    expect(await deliveriesDone(s.invoiceId, ['dunning.started', 'dunning.recovered'])).toEqual([
      { delivered: true },
      { delivered: true },
    ]);

    const events = delivered(s.invoiceId);
    expect(events.map((e) => e.event.type).sort()).toEqual(['dunning.recovered', 'dunning.started']);
    const started = events.find((e) => e.event.type === 'dunning.started')!.event;
    expect(started.data).toMatchObject({
      invoiceId: s.invoiceId,
      customerId: s.customerId,
      subscriptionId: s.subscriptionId,
      amountDue: 4900,
      currency: 'usd',
      declineCategory: 'insufficient_funds',
    });
    expect(Date.parse(started.timestamp)).not.toBeNaN();
    expect(events.find((e) => e.event.type === 'dunning.recovered')!.event.data).toMatchObject({ how: 'card_updated' });
    for (const { r } of events) expect(r.headers['content-type']).toMatch(/application\/json/);

    // The first deliveries failed (500) and were retried with the same webhook-id, so the app can
    // drop duplicates.
    const failed = received.filter((r) => r.status === 500);
    expect(failed).toHaveLength(FAIL_FIRST);
    const ids = new Set(events.map((e) => e.r.headers['webhook-id']));
    for (const f of failed) expect(ids.has(f.headers['webhook-id'])).toBe(true);
    expect(ids.size).toBe(2);

    // The signature really is checked: another secret, or a changed body, fails verification.
    const one = events[0]!.r;
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(one.body, headersOf(one))).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(secret).verify(one.body.replace('4900', '1'), headersOf(one))).toThrow(WebhookVerificationError);
  });

  it('dunning.cancelled when an operator stops a case', async () => {
    const s = await stack.sandbox.createFailedInvoiceScenario({ email: 'app2@example.com', amount: 1200, currency: 'eur' });
    await eventually(async () => ((await statusOf(s.invoiceId))?.emails.length ? true : undefined), 20_000, 'the case');
    await stack.api(`/api/invoices/${s.invoiceId}/cancel`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'refunded', by: 'ops' }),
    });
    await stack.client.workflow.getHandle(`dunning-${s.invoiceId}`).result();
    await deliveriesDone(s.invoiceId, ['dunning.started', 'dunning.cancelled']);
    const types = delivered(s.invoiceId).map((e) => e.event);
    expect(types.map((t) => t.type).sort()).toEqual(['dunning.cancelled', 'dunning.started']);
    expect(types.find((t) => t.type === 'dunning.cancelled')!.data).toMatchObject({
      reason: 'refunded',
      by: 'ops',
      currency: 'eur',
      amountDue: 1200,
    });
  });
});
