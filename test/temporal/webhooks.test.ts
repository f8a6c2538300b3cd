/**
 * `POST /webhooks/stripe` over HTTP on a real Temporal server. The sandbox records its events but
 * does not deliver them (stripeWebhooks: false): each test delivers them itself, in the order,
 * number and shape it wants, signed like Stripe signs them.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { DunningClient } from '../../src/dunningClient';
import { carryOut } from '../../src/http/carryOutEvent';
import { mapStripeEvent, type EventAction } from '../../src/http/stripeEvents';
import { MAX_WEBHOOK_BYTES } from '../../src/http/webhookRoute';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
import { QuarantineStore } from '../../src/quarantine/quarantineStore';
import { stripeSignatureHeader, type StripeEventPayload } from '../../sandbox/stripe';
import { POLICY_1_0 } from '../../domain/policy';
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

const statusOf = (invoiceId: string) => stack.status(invoiceId);
const until = (invoiceId: string, what: string, ok: (s: DunningStatus) => boolean, timeoutMs?: number) =>
  stack.untilStatus(invoiceId, what, ok, timeoutMs);

async function runsOf(workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n += 1;
  return n;
}
async function exists(workflowId: string): Promise<boolean> {
  try {
    await stack.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

let n = 0;
async function scenario(decline = 'pm_card_chargeDeclinedInsufficientFunds') {
  const s = await stack.sandbox.createFailedInvoiceScenario({
    email: `wh${++n}-${Date.now()}@example.com`,
    amount: 2500,
    currency: 'usd',
    decline,
  });
  const failed = stack.eventsFor('invoice.payment_failed', s.invoiceId);
  expect(failed).toHaveLength(1);
  return { ...s, failed: failed[0]!, workflowId: `dunning-${s.invoiceId}` };
}
const lastEvent = (type: string, objectId: string): StripeEventPayload => {
  const all = stack.eventsFor(type, objectId);
  expect(all.length, `a ${type} event for ${objectId}`).toBeGreaterThan(0);
  return all[all.length - 1]!;
};
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

describe('bad requests', () => {
  it('400 for a bad or missing signature, a stale timestamp, a wrong content type, a signed body that is not JSON', async () => {
    const s = await scenario();
    const payload = JSON.stringify(s.failed);

    expect(await json(await stack.deliver(payload, { secret: 'whsec_not_ours' }))).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_signature' } },
    });
    const stale = await json(await stack.deliver(payload, { timestamp: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale).toMatchObject({ status: 400, body: { error: { code: 'bad_signature' } } });
    expect(String((stale.body.error as { message: string }).message)).toMatch(/tolerance/i);

    const unsigned = await fetch(`${stack.baseUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
    });
    expect(await json(unsigned)).toMatchObject({ status: 400, body: { error: { code: 'missing_signature' } } });

    // Signed correctly, but the signature covers other bytes than were sent.
    const swapped = await fetch(`${stack.baseUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignatureHeader(payload, stack.webhookSecret) },
      body: JSON.stringify(s.failed, null, 2),
    });
    expect(swapped.status).toBe(400);

    expect(await json(await stack.deliver(payload, { contentType: 'text/plain' }))).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_content_type' } },
    });
    expect(await json(await stack.deliver(payload, { contentType: 'application/x-www-form-urlencoded' }))).toMatchObject({
      status: 400,
    });

    // Validly signed, but not JSON: 400, never a 500 nor a silent 200.
    for (const body of ['{"id": "evt_1", "type": ', '', 'nul', '{"id":"evt_1"}}']) {
      const res = await json(await stack.deliver(body));
      expect(res.status, body).toBe(400);
      expect(res.body, body).toMatchObject({ error: { code: 'malformed_body', message: expect.any(String) } });
    }

    // None of that started a case.
    expect(await exists(s.workflowId)).toBe(false);
  });

  it('413 for a body over the limit, signed or not', async () => {
    const big = JSON.stringify({
      id: 'evt_big',
      type: 'invoice.created',
      created: 1,
      data: { object: { pad: 'x'.repeat(MAX_WEBHOOK_BYTES) } },
    });
    const res = await stack.deliver(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'body_too_large' } });
  });
});

describe('invoice.payment_action_required (3-D Secure)', () => {
  it('opens the case on its own, classified authentication: the customer is sent to confirm the payment', async () => {
    const s = await scenario('pm_card_authenticationRequired');
    const required = lastEvent('invoice.payment_action_required', s.invoiceId);
    const res = await json(await stack.deliver(required));
    expect(res).toEqual({ status: 200, body: { received: true, workflowId: s.workflowId } });
    const st = await until(s.invoiceId, 'classified with an email sent', (x) => x.emails.length > 0);
    expect(st.declineCategory).toBe('authentication');
    expect(st.emails[0]!.template).toBe('payment_failed.authentication');
    // The failure that follows joins the same case.
    expect(await json(await stack.deliver(s.failed))).toEqual({
      status: 200,
      body: { received: true, workflowId: s.workflowId },
    });
    expect(await runsOf(s.workflowId)).toBe(1);
  });
});

describe('charge.dispute.created', () => {
  it("the customer's cases charge no more: a card update is skipped, an operator's retry refused; counted", async () => {
    const s = await scenario();
    await stack.deliver(s.failed);
    await until(s.invoiceId, 'the case', (x) => x.emails.length === 1);
    const dispute = stack.sandbox.disputeInvoice(s.invoiceId);
    const res = await json(await stack.deliver(lastEvent('charge.dispute.created', dispute.id)));
    expect(res).toEqual({ status: 200, body: { received: true, signaled: [s.workflowId], customerId: s.customerId } });
    const st = await until(s.invoiceId, 'the dispute recorded', (x) => x.dispute !== undefined);
    expect(st.dispute).toMatchObject({ disputeId: dispute.id, reason: 'fraudulent' });
    expect(st.state).toBe('active');

    const charges = () => stack.sandbox.charges().filter((c) => c.invoiceId === s.invoiceId).length;
    const before = charges();
    const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa', { makeDefault: true });
    await stack.deliver(lastEvent('payment_method.attached', paymentMethodId));
    const skipped = await until(s.invoiceId, 'the card update skipped', (x) =>
      x.attempts.some((a) => a.outcome === 'skipped_disputed'),
    );
    expect(skipped.attempts.at(-1)).toMatchObject({ trigger: 'payment_method_updated', outcome: 'skipped_disputed' });
    const retry = await stack.api(`/api/invoices/${s.invoiceId}/retry-now`, { method: 'POST', body: '{}' });
    expect(retry.status).toBe(409);
    expect(charges()).toBe(before);

    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/dunning_stripe_disputes_total \d+/);
    expect(metrics).toMatch(/dunning_stripe_webhooks_total\{type="charge.dispute.created",result="ok"\} 1\n/);
  });
});

describe('payment_method.detached', () => {
  it("of the case's card: no charge of the gone card; a new card is charged at once", async () => {
    const s = await scenario();
    await stack.deliver(s.failed);
    await until(s.invoiceId, 'the case', (x) => x.emails.length === 1);
    await stack.stripe.paymentMethods.detach(s.paymentMethodId);
    const detached = lastEvent('payment_method.detached', s.paymentMethodId);
    expect(detached.data.previous_attributes).toEqual({ customer: s.customerId });
    expect(await json(await stack.deliver(detached))).toEqual({
      status: 200,
      body: { received: true, signaled: [s.workflowId] },
    });
    // The gone card is not charged: an operator's retry now is refused (it would charge it).
    const charged = stack.sandbox.charges().filter((c) => c.invoiceId === s.invoiceId).length;
    const retry = await stack.api(`/api/invoices/${s.invoiceId}/retry-now`, { method: 'POST', body: '{}' });
    expect(retry.status).toBe(409);
    expect(stack.sandbox.charges().filter((c) => c.invoiceId === s.invoiceId)).toHaveLength(charged);
    const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa', { makeDefault: true });
    await stack.deliver(lastEvent('payment_method.attached', paymentMethodId));
    const st = await until(s.invoiceId, 'recovered with the new card', (x) => x.state === 'recovered');
    expect(st.outcome).toBe('card_updated');
  });
});

describe('failed sign-ups (billing_reason subscription_create)', () => {
  const signupScenario = async () => {
    const s = await stack.sandbox.createFailedInvoiceScenario({
      email: `signup${++n}-${Date.now()}@example.com`,
      amount: 2500,
      currency: 'usd',
      decline: 'pm_card_chargeDeclinedInsufficientFunds',
      signup: true,
    });
    const failed = stack.eventsFor('invoice.payment_failed', s.invoiceId)[0]!;
    expect((failed.data.object as { billing_reason: string }).billing_reason).toBe('subscription_create');
    return { ...s, failed, workflowId: `dunning-${s.invoiceId}` };
  };

  it('not dunned by default: acknowledged with the reason, no case', async () => {
    const s = await signupScenario();
    const sub = await stack.stripe.subscriptions.retrieve(s.subscriptionId);
    expect(sub.status).toBe('incomplete');
    const res = await json(await stack.deliver(s.failed));
    expect(res.status).toBe(200);
    expect(String(res.body.ignored)).toMatch(/failed sign-up/);
    expect(await exists(s.workflowId)).toBe(false);
  });

  it('with failedSignups in the policy: a case on that schedule, within the 23 hours', async () => {
    const s = await signupScenario();
    const policy = {
      ...POLICY_1_0,
      failedSignups: {
        steps: [
          { at: '0', action: 'email' as const, template: 'payment_failed' as const },
          { at: '2h', action: 'retry' as const },
        ],
        endAfter: '22h',
      },
    };
    const cases = new DunningClient(stack.client, stack.taskQueue, policy);
    expect(cases.dunsFailedSignups).toBe(true);
    const taken = await carryOut({ cases, stripe: stack.stripe, log: () => undefined }, mapStripeEvent(s.failed) as EventAction);
    expect(taken).toEqual({ workflowId: s.workflowId });
    const st = await until(s.invoiceId, 'the retry planned', (x) => x.nextAction?.kind === 'retry');
    const planned = Date.parse(st.nextAction!.at) - Date.parse(st.startedAt);
    // The default policy's first retry is days away; the sign-up schedule's is at 2 h.
    expect(planned).toBeGreaterThan(90 * 60_000);
    expect(planned).toBeLessThan(3 * 3600_000);
  });
});

describe('verified but invalid: acknowledged, quarantined, never a case', () => {
  const quarantineWorkflow = async (key: string) => {
    const d = await stack.client.workflow.getHandle(`quarantine-${key}`).describe();
    return { type: d.type, status: d.status.name };
  };

  it("the issue's examples: 200 and quarantined with the field, no case, listed for an operator; a redelivery is one entry", async () => {
    const s = await scenario();
    const inv = s.failed.data.object as Record<string, unknown>;
    const examples: Array<[string, Record<string, unknown>, string]> = [
      ['amount_due as a string', { amount_due: '2500' }, 'data.object.amount_due'],
      ['amount_due as an object', { amount_due: { value: 2500 } }, 'data.object.amount_due'],
      ['amount_due 1e308', { amount_due: 1e308 }, 'data.object.amount_due'],
      ['an invoice id of 300 characters', { id: `in_${'a'.repeat(297)}` }, 'data.object.id'],
      ['an empty currency', { currency: '' }, 'data.object.currency'],
    ];
    const ids: string[] = [];
    for (const [what, over, field] of examples) {
      const id = `${s.failed.id}_q${ids.length}`;
      ids.push(id);
      const res = await json(await stack.deliver({ ...s.failed, id, data: { object: { ...inv, ...over } } }));
      expect(res, what).toEqual({ status: 200, body: { received: true, quarantined: id } });
      expect(await quarantineWorkflow(id)).toEqual({ type: 'quarantinedStripeEvent', status: 'RUNNING' });
      const details = await json(await stack.api(`/api/quarantine/${id}`));
      expect(details.body, what).toMatchObject({ eventId: id, type: 'invoice.payment_failed', field, status: 'quarantined' });
      expect(String(details.body.reason)).toContain(field);
    }
    // Stripe delivers the same event again (it does, now and then): still one entry.
    const again = await json(await stack.deliver({ ...s.failed, id: ids[0], data: { object: { ...inv, amount_due: '2500' } } }));
    expect(again).toEqual({ status: 200, body: { received: true, quarantined: ids[0], already: true } });
    expect(await runsOf(`quarantine-${ids[0]}`)).toBe(1);

    const listed = await eventually(
      async () => {
        const body = (await (await stack.api('/api/quarantine')).json()) as { events: Array<{ eventId: string; field: string }> };
        const mine = body.events.filter((e) => ids.includes(e.eventId));
        return mine.length === ids.length ? mine : undefined;
      },
      15_000,
      'the quarantine list',
    );
    expect(new Set(listed.map((e) => e.field))).toEqual(new Set(examples.map(([, , f]) => f)));
    // Never a case, for the invoice or the 300-character id.
    expect(await exists(s.workflowId)).toBe(false);
    expect(await exists(`dunning-in_${'a'.repeat(297)}`)).toBe(false);

    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(metrics).toContain(
      'dunning_stripe_events_quarantined_total{type="invoice.payment_failed",reason_field="data.object.amount_due"} 3',
    );
    expect(metrics).toContain(
      'dunning_stripe_events_quarantined_total{type="invoice.payment_failed",reason_field="data.object.currency"} 1',
    );
    expect(metrics).toMatch(/dunning_stripe_webhooks_total\{type="invoice.payment_failed",result="quarantined"\} 6\n/);
  });

  it('an event rendered at another API version: quarantined as api_version_mismatch naming both, counted, no case', async () => {
    // The sandbox's endpoint switched to an older version renders the failure at it.
    stack.sandbox.setWebhookEndpoint({ apiVersion: '2024-06-20' });
    let s: Awaited<ReturnType<typeof scenario>>;
    try {
      s = await scenario();
    } finally {
      stack.sandbox.setWebhookEndpoint({ apiVersion: STRIPE_API_VERSION });
    }
    expect(s.failed.api_version).toBe('2024-06-20');
    const res = await json(await stack.deliver(s.failed));
    expect(res).toEqual({ status: 200, body: { received: true, quarantined: s.failed.id } });
    const details = await json(await stack.api(`/api/quarantine/${s.failed.id}`));
    expect(details.body).toMatchObject({ type: 'invoice.payment_failed', field: 'api_version', status: 'quarantined' });
    expect(details.body.reason).toBe(
      `api_version_mismatch: event rendered at API version "2024-06-20", the service is pinned to ${STRIPE_API_VERSION}`,
    );
    expect(await exists(s.workflowId)).toBe(false);
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(metrics).toContain(
      'dunning_stripe_events_quarantined_total{type="invoice.payment_failed",reason_field="api_version"} 1',
    );
    expect(metrics).toMatch(/dunning_stripe_api_version_mismatches_total\{event_version="2024-06-20"\} 1\n/);
  });

  it('signed JSON that is not an event (null, an array, a number, {}) is quarantined under a hash of its body', async () => {
    const unique = `evt_notanevent${Date.now()}`;
    for (const body of ['null', '[]', '5', '"text"', '{}', `{"id":"${unique}","type":"invoice.paid","created":1}`]) {
      const res = await json(await stack.deliver(body));
      expect(res.status, body).toBe(200);
      const key = String(res.body.quarantined);
      expect(key, body).toMatch(body.includes(unique) ? new RegExp(`^${unique}$`) : /^body_[0-9a-f]{64}$/);
      expect(await quarantineWorkflow(key)).toEqual({ type: 'quarantinedStripeEvent', status: 'RUNNING' });
    }
  });
});

describe('a bug of ours is a 500, not a 503', () => {
  it('an unexpected error while taking a valid event, or while quarantining an invalid one, answers 500', async () => {
    class Broken extends DunningClient {
      override async failureTaken(): Promise<never> {
        throw new TypeError('a bug');
      }
    }
    const cases = new Broken(stack.client, stack.taskQueue, POLICY_1_0);
    const quarantine = new QuarantineStore(stack.client, stack.taskQueue);
    quarantine.put = async () => {
      throw new RangeError('another bug');
    };
    const { deliver: post, close } = await serveApp(stack, { cases, quarantine });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const s = await scenario();
      expect(await json(await post(s.failed))).toEqual({
        status: 500,
        body: { error: { code: 'internal', message: expect.any(String) } },
      });
      expect(await json(await post({ ...s.failed, id: `${s.failed.id}_bad`, created: 'yesterday' }))).toMatchObject({
        status: 500,
      });
      expect(errors).toHaveBeenCalledTimes(2);
    } finally {
      errors.mockRestore();
      await close();
    }
  });
});

describe('every contract event is mapped', () => {
  it('invoice.payment_failed starts the case (signal-with-start); unrelated types are acknowledged and ignored', async () => {
    const s = await scenario();
    const created = lastEvent('customer.created', s.customerId);
    const ignored = await json(await stack.deliver(created));
    expect(ignored).toEqual({ status: 200, body: { received: true, ignored: expect.stringContaining('customer.created') } });
    expect(await exists(s.workflowId)).toBe(false);

    const res = await json(await stack.deliver(s.failed));
    expect(res).toEqual({ status: 200, body: { received: true, workflowId: s.workflowId } });
    const st = await until(s.invoiceId, 'the first email', (x) => x.emails.length === 1);
    expect(st).toMatchObject({
      state: 'active',
      customerId: s.customerId,
      amountDue: 2500,
      declineCategory: 'insufficient_funds',
    });
    await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('payment_method.attached, customer.updated (default changed) and payment_method.automatically_updated each signal the active case; a declined card is charged again only with new card data', async () => {
    const s = await scenario();
    expect((await stack.deliver(s.failed)).status).toBe(200);
    await until(s.invoiceId, 'the case', (x) => x.emails.length === 1);

    // A new card that declines too, so the case stays active and each charge shows as an attempt.
    const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_chargeDeclined', {
      makeDefault: true,
    });
    const attached = lastEvent('payment_method.attached', paymentMethodId);
    const customerUpdated = lastEvent('customer.updated', s.customerId);
    expect(customerUpdated.data.previous_attributes).toHaveProperty('invoice_settings.default_payment_method', s.paymentMethodId);
    const autoUpdated: StripeEventPayload = {
      ...attached,
      id: `${attached.id}_auto`,
      type: 'payment_method.automatically_updated',
    };

    // Stripe reports the new card twice (attached, then made default): one charge (issue #7,
    // behaviour 4). New card data for the same payment method is a new card: charged again.
    let attempts = 0;
    for (const [event, charged] of [
      [attached, true],
      [customerUpdated, false],
      [autoUpdated, true],
    ] as const) {
      const res = await json(await stack.deliver(event));
      expect(res, event.type).toEqual({ status: 200, body: { received: true, signaled: [s.workflowId] } });
      if (!charged) {
        await new Promise((r) => setTimeout(r, 1000));
        expect((await statusOf(s.invoiceId))!.attempts, `no charge after ${event.type}`).toHaveLength(attempts);
        continue;
      }
      attempts += 1;
      const st = await until(s.invoiceId, `attempt after ${event.type}`, (x) => x.attempts.length === attempts);
      expect(st.attempts[attempts - 1]!.trigger).toBe('payment_method_updated');
      expect(st.state).toBe('active');
    }

    // customer.updated that does not change the default card: ignored.
    await stack.stripe.customers.update(s.customerId, { name: 'Renamed' });
    const renamed = lastEvent('customer.updated', s.customerId);
    expect(renamed.data.previous_attributes).not.toHaveProperty('invoice_settings');
    expect(await json(await stack.deliver(renamed))).toMatchObject({
      status: 200,
      body: { ignored: expect.stringContaining('default payment method') },
    });
    await new Promise((r) => setTimeout(r, 500));
    expect((await statusOf(s.invoiceId))!.attempts).toHaveLength(attempts);
    await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('invoice.paid ends the case as recovered', async () => {
    const s = await scenario();
    await stack.deliver(s.failed);
    await until(s.invoiceId, 'the case', (x) => x.emails.length === 1);
    await stack.stripe.invoices.pay(s.invoiceId, { paid_out_of_band: true });
    const res = await json(await stack.deliver(lastEvent('invoice.paid', s.invoiceId)));
    expect(res).toEqual({ status: 200, body: { received: true, signaled: [s.workflowId] } });
    const st = await until(s.invoiceId, 'recovered', (x) => x.state === 'recovered');
    expect(st.outcome).toBe('paid_stripe');
  });

  it.each([
    ['invoice.voided', 'invoice_voided'],
    ['invoice.marked_uncollectible', 'invoice_marked_uncollectible'],
    ['customer.subscription.deleted', 'subscription_deleted'],
    ['customer.subscription.updated cancel_at_period_end', 'subscription_cancel_scheduled'],
    ['customer.subscription.updated pause_collection', 'collection_paused'],
  ])('%s cancels the case', async (type, reason) => {
    const s = await scenario();
    await stack.deliver(s.failed);
    await until(s.invoiceId, 'the case', (x) => x.emails.length === 1);
    let event: StripeEventPayload;
    if (type === 'invoice.voided') {
      await stack.stripe.invoices.voidInvoice(s.invoiceId);
      event = lastEvent(type, s.invoiceId);
    } else if (type === 'invoice.marked_uncollectible') {
      await stack.stripe.invoices.markUncollectible(s.invoiceId);
      event = lastEvent(type, s.invoiceId);
    } else if (type.startsWith('customer.subscription.updated')) {
      await stack.stripe.subscriptions.update(
        s.subscriptionId,
        type.endsWith('pause_collection') ? { pause_collection: { behavior: 'void' } } : { cancel_at_period_end: true },
      );
      event = lastEvent('customer.subscription.updated', s.subscriptionId);
    } else {
      await stack.stripe.subscriptions.cancel(s.subscriptionId);
      event = lastEvent(type, s.subscriptionId);
    }
    const res = await json(await stack.deliver(event));
    expect(res).toEqual({ status: 200, body: { received: true, signaled: [s.workflowId] } });
    const st = await until(s.invoiceId, 'cancelled', (x) => x.state === 'cancelled');
    expect(st.outcome).toBe(reason);
  });
});

describe('order and duplicates converge on one correct case', () => {
  it('the same failure delivered many times, at once and later, makes one case and one email', async () => {
    const s = await scenario();
    const answers = await Promise.all([1, 2, 3, 4].map(() => stack.deliver(s.failed)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await until(s.invoiceId, 'the first email', (x) => x.emails.length === 1);
    expect((await stack.deliver(s.failed)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    const st = await statusOf(s.invoiceId);
    expect(st!.emails).toHaveLength(1);
    expect(stack.outbox.messages().filter((m) => m.tags?.some((t) => t.value === s.invoiceId))).toHaveLength(1);
    expect(await runsOf(s.workflowId)).toBe(1);
    await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
  });

  it('paid before failed: the case ends recovered, emails nobody, and a late redelivery starts no second run', async () => {
    const s = await scenario();
    await stack.stripe.invoices.pay(s.invoiceId, { paid_out_of_band: true });
    const paid = await json(await stack.deliver(lastEvent('invoice.paid', s.invoiceId)));
    expect(paid).toEqual({ status: 200, body: { received: true, signaled: [] } });

    expect((await stack.deliver(s.failed)).status).toBe(200);
    const result = await stack.client.workflow.getHandle(s.workflowId).result();
    expect(result).toEqual({ state: 'recovered', outcome: 'paid_before_case_started' });
    const st = await statusOf(s.invoiceId);
    expect(st).toMatchObject({ state: 'recovered', emails: [], attempts: [] });

    // Stripe delivers for days: the same failure again, after the case ended.
    const again = await json(await stack.deliver(s.failed));
    expect(again).toEqual({ status: 200, body: { received: true, workflowId: s.workflowId, ended: true } });
    await new Promise((r) => setTimeout(r, 500));
    expect(await runsOf(s.workflowId)).toBe(1);
    expect(stack.outbox.messages().filter((m) => m.tags?.some((t) => t.value === s.invoiceId))).toHaveLength(0);
  });

  it('card update before failure: the case retries at once with the new default card and recovers', async () => {
    const s = await scenario();
    const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa', { makeDefault: true });
    for (const e of [lastEvent('payment_method.attached', paymentMethodId), lastEvent('customer.updated', s.customerId)]) {
      expect(await json(await stack.deliver(e))).toEqual({ status: 200, body: { received: true, signaled: [] } });
    }
    expect(await exists(s.workflowId)).toBe(false);

    expect((await stack.deliver(s.failed)).status).toBe(200);
    const st = await until(s.invoiceId, 'recovered', (x) => x.state === 'recovered');
    expect(st.attempts).toEqual([expect.objectContaining({ trigger: 'payment_method_updated', outcome: 'succeeded' })]);
    expect(st.emails.map((e) => e.template)).toEqual(['payment_recovered']);
    expect(st.outcome).toBe('card_updated');
    const pi = await stack.stripe.paymentIntents.retrieve(s.paymentIntentId);
    expect(pi.status).toBe('succeeded');
    expect(pi.payment_method).toBe(paymentMethodId);
  });

  it('non-subscription and send_invoice invoices are acknowledged and skipped', async () => {
    const s = await scenario();
    const inv = s.failed.data.object as Record<string, unknown>;
    const sendInvoice = { ...s.failed, id: `${s.failed.id}_si`, data: { object: { ...inv, collection_method: 'send_invoice' } } };
    const oneOff = { ...s.failed, id: `${s.failed.id}_oo`, data: { object: { ...inv, parent: null } } };
    expect(await json(await stack.deliver(sendInvoice))).toMatchObject({
      status: 200,
      body: { ignored: expect.stringContaining('send_invoice') },
    });
    expect(await json(await stack.deliver(oneOff))).toMatchObject({
      status: 200,
      body: { ignored: expect.stringContaining('no subscription') },
    });
    expect(await exists(s.workflowId)).toBe(false);
  });
});

/** A TCP relay in front of the Temporal server that can be cut and restored on the same port. */
async function relay(target: string) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  const { connect } = await import('node:net');
  let server: Server | undefined;
  let listenPort = 0;
  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((inbound) => {
        const outbound = connect({ host, port });
        sockets.add(inbound).add(outbound);
        const drop = () => {
          inbound.destroy();
          outbound.destroy();
          sockets.delete(inbound);
          sockets.delete(outbound);
        };
        inbound.on('error', drop).on('close', drop).pipe(outbound);
        outbound.on('error', drop).on('close', drop).pipe(inbound);
      });
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => {
        listenPort = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
    });
  await up();
  return { address: () => `127.0.0.1:${listenPort}`, up, down };
}

describe('Temporal unreachable', () => {
  it('answers 503 while Temporal is down, and the same event delivered again after recovery is taken', async () => {
    const r = await relay(inject('temporalAddress'));
    const connection = await Connection.connect({ address: r.address() });
    const cases = new DunningClient(
      new Client({ connection, namespace: inject('temporalNamespace') }),
      stack.taskQueue,
      POLICY_1_0,
      1500,
    );
    const { deliver: post, close } = await serveApp(stack, { cases });
    try {
      const s = await scenario();
      const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_chargeDeclined', {
        makeDefault: false,
      });
      await r.down();

      const t0 = Date.now();
      const failed = await post(s.failed);
      expect(failed.status).toBe(503);
      expect(await failed.json()).toMatchObject({ error: { code: 'temporal_unavailable' } });
      expect(Date.now() - t0, 'a dead cluster answers within the deadline').toBeLessThan(10_000);
      expect((await post(lastEvent('payment_method.attached', paymentMethodId))).status).toBe(503);
      // An invalid event cannot be quarantined either: 503 too, so that Stripe keeps it for us.
      const invalid = {
        ...s.failed,
        id: `${s.failed.id}_inv`,
        data: { object: { ...(s.failed.data.object as object), currency: '' } },
      };
      const refused = await post(invalid);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { code: 'temporal_unavailable' } });
      expect(await exists(s.workflowId)).toBe(false); // nothing was half-taken

      await r.up();
      // Stripe delivers again; the first tries may still find the channel reconnecting.
      const taken = await eventually(
        async () => {
          const res = await post(s.failed);
          return res.status === 200 ? ((await res.json()) as { workflowId: string }) : undefined;
        },
        20_000,
        'the redelivery to be taken',
      );
      expect(taken.workflowId).toBe(s.workflowId);
      expect(await json(await post(invalid))).toEqual({ status: 200, body: { received: true, quarantined: invalid.id } });
      const st = await until(s.invoiceId, 'the first email', (x) => x.emails.length === 1);
      expect(st.state).toBe('active');
      await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
    } finally {
      await close();
      await connection.close().catch(() => undefined);
      await r.down();
    }
  });
});
