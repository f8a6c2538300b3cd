/**
 * The signal API (`/api`): auth, validation with the contract's error shape, 404s, 202s, and the
 * race between a case starting and a card update arriving before visibility lists the case.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DunningClient, type CaseSummary } from '../../src/dunningClient';
import { POLICY_1_0 } from '../../domain/policy';
import { DunningCustomerId, DunningInvoiceId, DunningState } from '../../domain/searchAttributes';
import type { DunningStatus } from '../../domain/types';
import { serveApp } from '../support/appServer';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ stripeWebhooks: false });
});
afterAll(async () => {
  await stack?.close();
});

const until = (invoiceId: string, what: string, ok: (s: DunningStatus) => boolean, timeoutMs?: number) =>
  stack.untilStatus(invoiceId, what, ok, timeoutMs);

let n = 0;
async function scenario() {
  const s = await stack.sandbox.createFailedInvoiceScenario({
    email: `api${++n}-${Date.now()}@example.com`,
    amount: 990,
    currency: 'usd',
    decline: 'pm_card_chargeDeclinedInsufficientFunds',
  });
  const failed = stack.eventsFor('invoice.payment_failed', s.invoiceId)[0]!;
  return { ...s, failed, workflowId: `dunning-${s.invoiceId}` };
}
const errorShape = { error: { code: expect.any(String), message: expect.any(String) } };

describe('auth', () => {
  it.each([
    ['no header', undefined],
    ['a wrong token', 'Bearer nope'],
    ['a wrong token of the same length', 'WILL BE SET'],
    ['a very long token', `Bearer ${'x'.repeat(5000)}`],
    ['an empty bearer', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('401 with %s, JSON error and WWW-Authenticate, never a 500', async (_what, header) => {
    const value = header === 'WILL BE SET' ? `Bearer ${'y'.repeat(stack.apiToken.length)}` : header;
    for (const [method, path] of [
      ['GET', '/api/dunning'],
      ['POST', '/api/invoices/in_123/cancel'],
      ['POST', '/api/customers/cus_123/payment-method-updated'],
    ] as const) {
      const res = await fetch(`${stack.baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(value !== undefined ? { authorization: value } : {}) },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
  });

  it('the right token, any case of "Bearer", passes', async () => {
    const res = await fetch(`${stack.baseUrl}/api/dunning`, { headers: { authorization: `bearer ${stack.apiToken}` } });
    expect(res.status).toBe(200);
  });
});

describe('validation and not found', () => {
  it("413 for a body over the limit, in the contract's error shape", async () => {
    const res = await stack.api('/api/invoices/in_123/cancel', {
      method: 'POST',
      body: JSON.stringify({ reason: 'x'.repeat(100_000) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: 'body_too_large', message: expect.any(String) } });
  });

  it.each([
    ['POST', '/api/customers/not-a-customer/payment-method-updated', '{}'],
    ['POST', '/api/customers/cus_1%27%20OR%201=1/payment-method-updated', '{}'],
    ['POST', '/api/invoices/sub_123/payment-method-updated', '{}'],
    ['POST', '/api/invoices/in_123/payment-method-updated', '{"paymentMethodId":"card_123"}'],
    ['POST', '/api/invoices/in_123/payment-method-updated', '{"paymentMethodId":"pm_1","extra":1}'],
    ['POST', '/api/invoices/in_123/payment-method-updated', '{"paymentMethodId": '],
    ['POST', '/api/invoices/in_123/payment-method-updated', '[1,2]'],
    ['POST', '/api/invoices/in_123/cancel', '{"reason":""}'],
    ['POST', '/api/invoices/in_123/cancel', `{"reason":"${'r'.repeat(501)}"}`],
    ['GET', '/api/invoices/in_/dunning', undefined],
    ['GET', '/api/dunning?state=lost', undefined],
    ['GET', '/api/dunning?customerId=bob', undefined],
    ['GET', '/api/dunning?limit=0', undefined],
    ['GET', '/api/dunning?unknown=1', undefined],
  ])('400 for %s %s %s', async (method, path, body) => {
    const res = await stack.api(path, { method, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(errorShape);
  });

  it('404 for unknown cases and customers, with the error shape', async () => {
    for (const [method, path] of [
      ['POST', '/api/invoices/in_unknown123/payment-method-updated'],
      ['POST', '/api/invoices/in_unknown123/cancel'],
      ['GET', '/api/invoices/in_unknown123/dunning'],
      ['POST', '/api/customers/cus_unknown123/payment-method-updated'],
      ['GET', '/api/nothing-here'],
    ] as const) {
      const res = await stack.api(path, { method, body: method === 'POST' ? '{}' : undefined });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual(errorShape);
    }
  });
});

describe('202', () => {
  it('invoice and customer routes signal the case and answer {signaled}; the list finds it by customer', async () => {
    const s = await scenario();
    expect((await stack.deliver(s.failed)).status).toBe(200);
    await until(s.invoiceId, 'the first email', (x) => x.emails.length === 1);

    const byInvoice = await stack.api(`/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
    expect(byInvoice.status).toBe(202);
    expect(await byInvoice.json()).toEqual({ signaled: [s.workflowId] });
    await until(s.invoiceId, 'the retry', (x) => x.attempts.length === 1);

    // A card this case has not charged yet (one that declines too, so the case goes on): the
    // card that declined is not charged again for being reported again (issue #7).
    const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_chargeDeclined', {
      makeDefault: true,
    });
    const byCustomer = await stack.api(`/api/customers/${s.customerId}/payment-method-updated`, {
      method: 'POST',
      body: JSON.stringify({ paymentMethodId }),
    });
    expect(byCustomer.status).toBe(202);
    expect(await byCustomer.json()).toEqual({ signaled: [s.workflowId] });
    const st = await until(s.invoiceId, 'the second retry', (x) => x.attempts.length === 2);
    expect(st.attempts.map((a) => a.trigger)).toEqual(['payment_method_updated', 'payment_method_updated']);

    const listed = await eventually(
      async () => {
        const res = await stack.api(`/api/dunning?customerId=${s.customerId}&state=active`);
        const body = (await res.json()) as { cases: CaseSummary[] };
        return body.cases.length === 1 ? body.cases : undefined;
      },
      15_000,
      'visibility',
    );
    expect(listed[0]).toMatchObject({
      workflowId: s.workflowId,
      invoiceId: s.invoiceId,
      customerId: s.customerId,
      state: 'active',
    });

    const cancel = await stack.api(`/api/invoices/${s.invoiceId}/cancel`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'customer left', by: 'ops' }),
    });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toEqual({ signaled: [s.workflowId], stripeCollection: 'released' });
    expect(await until(s.invoiceId, 'cancelled', (x) => x.state === 'cancelled')).toMatchObject({ outcome: 'customer left' });
    // An ended case takes no more signals.
    await stack.client.workflow.getHandle(s.workflowId).result();
    const late = await stack.api(`/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
    expect(late.status).toBe(404);
  });
});

describe('the race: a card update for a case visibility does not list yet', () => {
  /** The API as deployed, but on a cluster whose visibility lags: it lists no case at all. */
  async function laggingApi() {
    class LaggingVisibility extends DunningClient {
      override async activeCasesOf(): Promise<CaseSummary[]> {
        return [];
      }
    }
    const { base, deliver, close } = await serveApp(stack, {
      cases: new LaggingVisibility(stack.client, stack.taskQueue, POLICY_1_0),
    });
    return {
      post: (path: string, body: string) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.apiToken}`, 'content-type': 'application/json' },
          body,
        }),
      deliver,
      close,
    };
  }

  it('the customer route and the card webhooks still reach a running case that visibility does not list', async () => {
    const lagging = await laggingApi();
    try {
      const s = await scenario();
      expect((await stack.deliver(s.failed)).status).toBe(200);
      // The case has read its facts (old card) and emailed: its start-time check is behind it.
      await until(s.invoiceId, 'the first email', (x) => x.emails.length === 1);

      // The customer adds a card that declines, so each signal shows as one more attempt.
      const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_chargeDeclined', {
        makeDefault: true,
      });
      const api = await lagging.post(`/api/customers/${s.customerId}/payment-method-updated`, '{}');
      expect(api.status).toBe(202);
      expect(await api.json()).toEqual({ signaled: [s.workflowId] });
      await until(s.invoiceId, 'the retry after the API call', (x) => x.attempts.length === 1);

      // New card data for the same payment method (the network updated it): charged again, so
      // the attempt shows the webhook reached the case.
      const attached = stack.eventsFor('payment_method.attached', paymentMethodId).at(-1)!;
      const hook = await lagging.deliver({
        ...attached,
        id: `${attached.id}_auto`,
        type: 'payment_method.automatically_updated',
      });
      expect(hook.status).toBe(200);
      expect(await hook.json()).toEqual({ received: true, signaled: [s.workflowId] });
      const st = await until(s.invoiceId, 'the retry after the webhook', (x) => x.attempts.length === 2);
      expect(st.attempts.every((a) => a.trigger === 'payment_method_updated')).toBe(true);
      await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
    } finally {
      await lagging.close();
    }
  });

  it('failure and card update at the same moment: the update is not lost, the case recovers at once', async () => {
    // (Different cards: each card's retry budget is shared by every test on the server.)
    for (const card of ['pm_card_mastercard', 'pm_card_amex']) {
      const s = await scenario();
      // The billing page saves the new card in Stripe and tells us, while Stripe's failure event
      // is being delivered.
      const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, card, { makeDefault: true });
      const [hook, api] = await Promise.all([
        stack.deliver(s.failed),
        stack.api(`/api/customers/${s.customerId}/payment-method-updated`, {
          method: 'POST',
          body: JSON.stringify({ paymentMethodId }),
        }),
      ]);
      expect(hook.status).toBe(200);
      // 202 when the case already existed, 404 when the update came first: either way the case
      // starts with (or is told about) the new card.
      expect([202, 404]).toContain(api.status);
      const st = await until(s.invoiceId, 'recovery', (x) => x.state === 'recovered');
      expect(st.outcome).toBe('card_updated');
      expect(st.attempts[0]).toMatchObject({ trigger: 'payment_method_updated', outcome: 'succeeded' });
      expect(st.emails.map((e) => e.template)).toEqual(['payment_recovered']);
    }
  });

  it('the update arrives just before the failure (API says 404): the case still starts with the new card', async () => {
    const s = await scenario();
    await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_mastercard', { makeDefault: true });
    const early = await stack.api(`/api/customers/${s.customerId}/payment-method-updated`, { method: 'POST', body: '{}' });
    expect(early.status).toBe(404);
    expect((await stack.deliver(s.failed)).status).toBe(200);
    const st = await until(s.invoiceId, 'recovery', (x) => x.state === 'recovered');
    expect(st).toMatchObject({
      outcome: 'card_updated',
      attempts: [expect.objectContaining({ trigger: 'payment_method_updated', outcome: 'succeeded' })],
    });
  });
});

describe('only active cases take card updates', () => {
  it('a case whose run is still open but whose DunningState has ended is neither listed as active nor signaled', async () => {
    // Cases in the two states, on a task queue no worker polls, so that they stay as set here.
    const queue = `no-worker-${randomBytes(4).toString('hex')}`;
    const customerId = `cus_ended${randomBytes(6).toString('hex')}`;
    const [endedInvoice, activeInvoice] = ['in_ended', 'in_active'].map((p) => `${p}${randomBytes(6).toString('hex')}`) as [
      string,
      string,
    ];
    const start = (invoiceId: string, state: string) =>
      stack.client.workflow.start('dunningWorkflow', {
        workflowId: `dunning-${invoiceId}`,
        taskQueue: queue,
        args: [{}],
        typedSearchAttributes: [
          { key: DunningCustomerId, value: customerId },
          { key: DunningInvoiceId, value: invoiceId },
          { key: DunningState, value: state },
        ],
      });
    const handles = [await start(endedInvoice, 'recovered'), await start(activeInvoice, 'active')];
    try {
      const cases = new DunningClient(stack.client, queue, POLICY_1_0);
      await eventually(
        async () => ((await cases.list({ customerId, running: true })).length === 2 ? true : undefined),
        15_000,
        'both runs visible',
      );
      expect((await cases.activeCasesOf(customerId)).map((c) => c.invoiceId)).toEqual([activeInvoice]);

      const res = await stack.api(`/api/customers/${customerId}/payment-method-updated`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ signaled: [`dunning-${activeInvoice}`] });
    } finally {
      await Promise.all(handles.map((h) => h.terminate('test over')));
    }
  });
});
