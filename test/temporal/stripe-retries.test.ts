/**
 * Never retry beside Stripe's own retries (issue #20): end to end with the real SDKs against the
 * sandbox with Smart Retries on. A case takes the invoice over from Stripe (auto_advance off, so
 * Stripe's scheduled attempt does not happen), an operator's cancel gives it back, and Stripe
 * retrying anyway is said in the case's status and in `/metrics`, with the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRIPE_RETRYING_FIX } from '../../domain/stripeRetries';
import { PAUSED_BY_DUNNING } from '../../activities/stripe/collection';
import { runCases } from '../../src/cli/cases';
import { cardBudgetWorkflowId, ledgerQuery } from '../../domain/cardBudgetMessages';
import { workflowIdForInvoice } from '../../domain/messages';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

let n = 0;
const smartRetriesScenario = () =>
  stack.sandbox.createFailedInvoiceScenario({
    email: `smart${++n}-${Date.now()}@example.com`,
    amount: 2500,
    currency: 'usd',
    decline: 'pm_card_chargeDeclinedInsufficientFunds',
    smartRetries: true,
    // A card of its own: each test's card ledger is its own.
    ownCards: true,
  });

const charges = (invoiceId: string) => stack.sandbox.charges().filter((c) => c.invoiceId === invoiceId);

describe("Stripe's own retries", () => {
  it('a case turns Stripe’s automatic attempts off on its invoice: the scheduled attempt does not charge the card', async () => {
    const s = await smartRetriesScenario();
    const started = await stack.untilStatus(s.invoiceId, 'the first email', (x) => x.emails.length >= 1);
    expect(started.stripeCollection).toBe('paused_by_case');

    const invoice = await stack.stripe.invoices.retrieve(s.invoiceId);
    expect(invoice.auto_advance).toBe(false);
    expect(invoice.next_payment_attempt).toBeNull();
    expect(invoice.metadata?.[PAUSED_BY_DUNNING]).toBe('true');

    // Stripe's next scheduled attempt comes: nothing reaches the card.
    expect(stack.sandbox.runAutomaticAttempt(s.invoiceId)).toEqual({ attempted: false, reason: 'auto_advance_off' });
    expect(charges(s.invoiceId)).toHaveLength(1);
  });

  it("an operator's cancel gives the invoice back to Stripe's collection", async () => {
    const s = await smartRetriesScenario();
    await stack.untilStatus(s.invoiceId, 'the facts', (x) => x.stripeCollection === 'paused_by_case');
    const res = await stack.api(`/api/invoices/${s.invoiceId}/cancel`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'merchant handles it', by: 'ops' }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ signaled: [`dunning-${s.invoiceId}`], stripeCollection: 'released' });
    await stack.untilStatus(s.invoiceId, 'cancelled', (x) => x.state === 'cancelled');

    const invoice = await stack.stripe.invoices.retrieve(s.invoiceId);
    expect(invoice.auto_advance).toBe(true);
    expect(invoice.metadata?.[PAUSED_BY_DUNNING]).toBeUndefined();
    expect(stack.sandbox.runAutomaticAttempt(s.invoiceId)).toMatchObject({ attempted: true, attemptCount: 2 });

    // Again (after the case ended): nothing left to give back, and the same 404 as before.
    await stack.client.workflow.getHandle(`dunning-${s.invoiceId}`).result();
    const again = await stack.api(`/api/invoices/${s.invoiceId}/cancel`, { method: 'POST', body: '{}' });
    expect(again.status).toBe(404);
  });

  it('`npm run cases -- release-collection`: every open case cancelled, its invoice given back to Stripe', async () => {
    const s = await smartRetriesScenario();
    await stack.untilStatus(s.invoiceId, 'the facts', (x) => x.stripeCollection === 'paused_by_case');
    await eventually(
      async () => {
        const res = await stack.api(`/api/dunning?customerId=${s.customerId}&state=active`);
        return ((await res.json()) as { cases: unknown[] }).cases.length === 1 ? true : undefined;
      },
      15_000,
      'visibility',
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCases(['release-collection', '--customer', s.customerId, '--api', stack.baseUrl], {
      env: { API_TOKEN: stack.apiToken },
      cwd: process.cwd(),
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      now: () => Date.now(),
    });
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out.join('\n')).toBe(`${s.invoiceId}: cancelled (service_uninstalled); Stripe's collection back on`);
    expect((await stack.stripe.invoices.retrieve(s.invoiceId)).auto_advance).toBe(true);
    expect(await stack.untilStatus(s.invoiceId, 'cancelled', (x) => x.state === 'cancelled')).toMatchObject({
      outcome: 'service_uninstalled',
    });
  });

  it("Stripe retrying anyway is in the status with the fix, counted in /metrics, and its decline in the card's ledger", async () => {
    const s = await smartRetriesScenario();
    await stack.untilStatus(s.invoiceId, 'the facts', (x) => x.stripeCollection === 'paused_by_case');
    // The merchant (or an old integration) turns Stripe's collection back on: Stripe retries.
    await stack.stripe.invoices.update(s.invoiceId, { auto_advance: true });
    expect(stack.sandbox.runAutomaticAttempt(s.invoiceId)).toMatchObject({ attempted: true, attemptCount: 2 });

    const seen = await stack.untilStatus(s.invoiceId, "Stripe's retry recorded", (x) => x.stripeRetrying !== undefined);
    expect(seen.stripeRetrying).toMatchObject({ attemptCount: 2, fix: STRIPE_RETRYING_FIX });
    expect(Date.parse(seen.stripeRetrying!.nextAttemptAt!)).toBeGreaterThan(Date.now());
    expect(seen.state).toBe('active');

    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^dunning_stripe_own_retries_total [1-9]/m);
    // The recovery dashboard reads it from the case's memo (visibility).
    const memo = await eventually(
      async () => (await stack.client.workflow.getHandle(workflowIdForInvoice(s.invoiceId)).describe()).memo?.stripeRetrying,
      15_000,
      'the memo says Stripe retried',
    );
    expect(memo).toBe(2);

    // The networks count Stripe's attempt on the card as they count ours: so does the card's ledger.
    const pm = await stack.stripe.paymentMethods.retrieve(s.paymentMethodId);
    const ledger = stack.client.workflow.getHandle(cardBudgetWorkflowId(stack.taskQueue, pm.card!.fingerprint!));
    const counted = await eventually(
      async () => {
        const state = await ledger.query(ledgerQuery).catch(() => undefined);
        return state?.entries.some((e) => e.key === `stripe:${s.invoiceId}/attempt_2`) ? state : undefined;
      },
      15_000,
      "Stripe's decline in the ledger",
    );
    expect(counted.entries).toEqual([
      expect.objectContaining({ key: `stripe:${s.invoiceId}/attempt_2`, amount: 2500, currency: 'usd' }),
    ]);
  });
});
