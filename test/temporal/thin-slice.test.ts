/**
 * The walking skeleton end to end, over HTTP, with the real SDKs against the local Stripe sandbox
 * and Resend outbox, on a real Temporal server: signed webhook → signal-with-start → first email
 * → the case waits → card update through the signal API → charge retried → recovered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSignedWebhook } from '../support/signedWebhook';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const statusOf = (invoiceId: string) => stack.status(invoiceId);

describe('thin slice', () => {
  it('a failed payment becomes a case, emails the customer, and a card update recovers it', async () => {
    const scenario = await stack.sandbox.createFailedInvoiceScenario({
      email: 'jane@example.com',
      name: 'Jane <b>Doe</b>',
      amount: 1999,
      currency: 'usd',
      decline: 'pm_card_chargeDeclinedInsufficientFunds',
    });

    // The first email goes out and the case waits for its next step.
    const first = await eventually(
      async () => {
        const s = await statusOf(scenario.invoiceId);
        return s && s.emails.length >= 1 ? s : undefined;
      },
      30_000,
      'the first email',
    );
    expect(first).toMatchObject({
      invoiceId: scenario.invoiceId,
      customerId: scenario.customerId,
      subscriptionId: scenario.subscriptionId,
      state: 'active',
      amountDue: 1999,
      currency: 'usd',
      declineCategory: 'insufficient_funds',
    });
    expect(first.emails[0]!.template).toBe('payment_failed.insufficient_funds');
    expect(first.emails[0]!.messageId).toMatch(/.+/);
    expect(first.attempts).toEqual([]);
    expect(first.nextAction?.kind).toBeDefined();
    expect(Date.parse(first.nextAction!.at)).toBeGreaterThan(Date.now());

    const sent = stack.outbox.messages().filter((m) => m.to.includes('jane@example.com'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.tags).toEqual(
      expect.arrayContaining([
        { name: 'invoice_id', value: scenario.invoiceId },
        // Resend tag values allow letters, digits, `_` and `-` only.
        { name: 'template', value: 'payment_failed_insufficient_funds' },
      ]),
    );
    expect(sent[0]!.html).toContain('Jane &lt;b&gt;Doe&lt;/b&gt;');
    const link = /href="([^"]*\/billing\/update\/[^"]+)"/.exec(sent[0]!.html ?? '')?.[1];
    expect(link, 'the email links to our update endpoint').toBeDefined();

    // The update link opens a fresh Billing Portal session.
    const visit = await fetch(link!.replace(/&amp;/g, '&'), { redirect: 'manual' });
    expect(visit.status).toBe(302);
    expect(visit.headers.get('location')).toContain(`${stack.sandbox.url}/_sandbox/portal/`);

    // The customer tops up the card; the billing page tells us through the signal API.
    stack.sandbox.setPaymentMethodBehaviour(scenario.paymentMethodId, { outcome: 'succeed' });
    const signal = await stack.api(`/api/invoices/${scenario.invoiceId}/payment-method-updated`, {
      method: 'POST',
      body: '{}',
    });
    expect(signal.status).toBe(202);
    expect(await signal.json()).toEqual({ signaled: [`dunning-${scenario.invoiceId}`] });

    const done = await eventually(
      async () => {
        const s = await statusOf(scenario.invoiceId);
        return s?.state === 'recovered' ? s : undefined;
      },
      30_000,
      'recovery',
    );
    expect(done.attempts).toEqual([expect.objectContaining({ trigger: 'payment_method_updated', outcome: 'succeeded' })]);
    expect(done.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds', 'payment_recovered']);
    expect(done.outcome).toBe('card_updated');
    expect(done.endedAt).toBeDefined();
    expect(done.nextAction).toBeUndefined();
    const invoice = await stack.stripe.invoices.retrieve(scenario.invoiceId);
    expect(invoice.status).toBe('paid');

    // The workflow result and the visibility record agree.
    const result = await stack.client.workflow.getHandle(`dunning-${scenario.invoiceId}`).result();
    expect(result).toEqual({ state: 'recovered', outcome: 'card_updated' });
    const listed = await eventually(
      async () => {
        const res = await stack.api(`/api/dunning?customerId=${scenario.customerId}&state=recovered`);
        const body = (await res.json()) as { cases: Array<{ invoiceId: string }> };
        return body.cases.length === 1 ? body.cases : undefined;
      },
      15_000,
      'visibility',
    );
    expect(listed[0]!.invoiceId).toBe(scenario.invoiceId);
  });

  it('rejects a bad signature with 400, and one event delivered twice makes one case', async () => {
    const scenario = await stack.sandbox.createFailedInvoiceScenario({
      email: 'twice@example.com',
      amount: 4200,
      currency: 'eur',
      decline: 'pm_card_chargeDeclinedProcessingError',
    });
    await stack.sandbox.flushWebhooks();
    const failed = stack.sandbox
      .events()
      .find(
        (e) => e.event.type === 'invoice.payment_failed' && (e.event.data.object as { id: string }).id === scenario.invoiceId,
      );
    expect(failed?.delivery.status).toBe('delivered');
    const payload = JSON.stringify(failed!.event);

    const forged = await postSignedWebhook(`${stack.baseUrl}/webhooks/stripe`, payload, 'whsec_wrong');
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: { code: 'bad_signature' } });

    const again = await postSignedWebhook(`${stack.baseUrl}/webhooks/stripe`, payload, stack.webhookSecret);
    expect(again.status).toBe(200);

    const s = await eventually(
      async () => {
        const st = await statusOf(scenario.invoiceId);
        return st && st.emails.length >= 1 ? st : undefined;
      },
      30_000,
      'the first email',
    );
    // Give a duplicate every chance to do damage, then count.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await statusOf(scenario.invoiceId);
    expect(after!.emails).toHaveLength(1);
    expect(s.declineCategory).toBe('temporary');
    expect(stack.outbox.messages().filter((m) => m.to.includes('twice@example.com'))).toHaveLength(1);
    // The Web UI's questions work: "active cases of this customer blocked on a temporary decline".
    const query = `DunningState = 'active' AND DunningDeclineCategory = 'temporary' AND DunningCustomerId = '${scenario.customerId}'`;
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const wf of stack.client.workflow.list({ query })) ids.push(wf.workflowId);
        return ids.length ? ids : undefined;
      },
      15_000,
      'the case by search attributes',
    );
    expect(found).toEqual([`dunning-${scenario.invoiceId}`]);
    const runs = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = 'dunning-${scenario.invoiceId}'` })) runs.push(wf);
    expect(runs.length).toBeLessThanOrEqual(1);
    await stack.api(`/api/invoices/${scenario.invoiceId}/cancel`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'test over' }),
    });
  });
});
