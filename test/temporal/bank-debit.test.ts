/**
 * A payment that settles later, end to end on the real stack (worker, API, Stripe sandbox with
 * webhooks, outbox): the customer gives a bank account after a card decline, the case debits it,
 * `invoices.pay` answers 200 with the invoice still open, and the case is `processing` until the
 * bank answers days later through Stripe's own webhooks (`invoice.paid`, `invoice.payment_failed`).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DunningStatus } from '../../domain/types';
import { readOpenCases } from '../../src/amountAtRisk';
import { runCases } from '../../src/cli/cases';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** A declined renewal; then the customer adds a bank account (ACH) as the default, as in the portal. */
async function debitUnderWay() {
  const email = `debit-${randomBytes(4).toString('hex')}@example.com`;
  const s = await stack.sandbox.createFailedInvoiceScenario({ email, amount: 4900, currency: 'usd' });
  await stack.untilStatus(s.invoiceId, 'the first email', (x) => x.emails.length === 1 && x.nextAction !== undefined, 30_000);
  const attach = await fetch(`${stack.sandbox.url}/_sandbox/customers/${s.customerId}/payment_methods`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ testPaymentMethod: 'pm_usBankAccount_success' }),
  });
  expect(attach.status).toBe(201);
  const { paymentMethodId } = (await attach.json()) as { paymentMethodId: string };
  // payment_method.attached and customer.updated reach the case: it debits the account at once.
  const processing = await stack.untilStatus(s.invoiceId, 'processing', (x) => x.state === 'processing', 30_000);
  return { ...s, email, bankAccount: paymentMethodId, processing };
}

async function settle(invoiceId: string, body: object): Promise<void> {
  const res = await fetch(`${stack.sandbox.url}/_sandbox/invoices/${invoiceId}/settle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCases([...args, '--api', stack.baseUrl], {
    env: { API_TOKEN: stack.apiToken },
    cwd: process.cwd(),
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    now: () => Date.now(),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const debitsOf = (invoiceId: string) => stack.sandbox.charges().filter((c) => c.invoiceId === invoiceId && c.source === 'api');

describe('a bank debit that settles later', () => {
  it('is processing, listed and shown as such, charges nothing more; the bank pays: recovered by the card update', async () => {
    const c = await debitUnderWay();
    expect(c.processing).toMatchObject({
      state: 'processing',
      attempts: [{ trigger: 'payment_method_updated', outcome: 'processing' }],
      customerRetry: { allowed: false, reason: 'processing' },
      processing: { since: expect.any(String), checkAt: expect.any(String) },
    });
    expect((await stack.stripe.invoices.retrieve(c.invoiceId)).status).toBe('open');
    expect(debitsOf(c.invoiceId)).toEqual([expect.objectContaining({ paymentMethodId: c.bankAccount, outcome: 'processing' })]);

    // Visibility: the API's list by state, and the CLI's.
    const listed = await eventually(
      async () => {
        const res = await stack.api(`/api/dunning?state=processing&customerId=${c.customerId}`);
        const body = (await res.json()) as { cases: Array<{ invoiceId?: string; state?: string }> };
        return body.cases.find((x) => x.invoiceId === c.invoiceId);
      },
      15_000,
      'the case listed as processing',
    );
    expect(listed.state).toBe('processing');
    const list = await cli(['list', '--state', 'processing', '--customer', c.customerId]);
    expect(list.code).toBe(0);
    expect(list.out).toContain(c.invoiceId);
    expect(list.out).toMatch(/processing/);
    const show = await cli(['show', c.invoiceId]);
    expect(show.out).toContain('a bank debit is settling since');
    // The dashboard's filter by state.
    const dashboard = await stack.api(`/dashboard?state=processing&q=${c.invoiceId}`);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain(c.invoiceId);

    // Still money at risk (a debit can be returned): counted among the open cases.
    const open = await eventually(
      async () => {
        const o = await readOpenCases(stack.client, stack.taskQueue);
        return o.cases.usd === 1 ? o : undefined;
      },
      15_000,
      'the case counted open',
    );
    expect(open.amount.usd).toBe(4900);

    // The first email's "Retry my payment now" link: a page saying the debit is on its way, no button.
    const html = stack.outbox.messages().find((m) => m.to.includes(c.email))?.html ?? '';
    const retryLink = /href="([^"]*\/billing\/retry\/[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    expect(retryLink, 'the email has a retry link').toBeDefined();
    const page = await fetch(retryLink!, { redirect: 'manual' });
    expect(page.status).toBe(200);
    const pageHtml = await page.text();
    expect(pageHtml).toContain('A payment from your bank account is on its way');
    expect(pageHtml).not.toContain('<form');

    // An operator's retry now is refused while the debit settles: 409, and why.
    const retry = await stack.api(`/api/invoices/${c.invoiceId}/retry-now`, { method: 'POST' });
    expect(retry.status).toBe(409);
    expect(JSON.stringify(await retry.json())).toContain('processing');
    expect(debitsOf(c.invoiceId)).toHaveLength(1);

    // The bank pays: Stripe sends invoice.paid (its own event), which ends the case.
    await settle(c.invoiceId, { outcome: 'succeed' });
    const done = await stack.untilStatus(c.invoiceId, 'recovered', (x) => x.state === 'recovered', 30_000);
    expect(done.outcome).toBe('card_updated');
    expect(debitsOf(c.invoiceId)).toHaveLength(1);
  });

  it('the bank returns the debit: invoice.payment_failed joins the running case, which goes on dunning', async () => {
    const c = await debitUnderWay();
    await settle(c.invoiceId, { outcome: 'fail', code: 'insufficient_funds' });
    const active: DunningStatus = await stack.untilStatus(c.invoiceId, 'active again', (x) => x.state === 'active', 30_000);
    expect(active.processing).toBeUndefined();
    expect(active.declineCategory).toBe('insufficient_funds');
    expect(active.nextAction).toBeDefined();
    expect(active.customerRetry).toMatchObject({ allowed: true });
    expect((await stack.stripe.invoices.retrieve(c.invoiceId)).status).toBe('open');
    // The same case, not a new one: its first email and the debit are in it.
    expect(active.attempts.map((a) => a.outcome)).toEqual(['processing']);
    expect(active.emails[0]?.template).toBe('payment_failed.insufficient_funds');
  });
});
