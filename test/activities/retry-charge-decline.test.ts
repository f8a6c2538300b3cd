/**
 * retryCharge's decline, through the real stripe-node SDK against the Stripe sandbox: what the
 * thrown StripeCardError said reaches the case (issue #20).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryCharge } from '../../activities/stripe/retryCharge';
import { startStripeSandbox, type StripeSandbox } from '../../sandbox/stripe';
import { createStripeClient } from '../../src/providers/stripe';

let sandbox: StripeSandbox;
beforeAll(async () => {
  sandbox = await startStripeSandbox({ webhookSecret: 'whsec_retry_charge_decline' });
});
afterAll(async () => {
  await sandbox?.close();
});

describe('retryCharge, declined', () => {
  it("keeps the decline's message (Error.message is not enumerable, so a spread loses it)", async () => {
    const stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, maxNetworkRetries: 0 });
    const s = await sandbox.createFailedInvoiceScenario({
      email: 'decline-message@example.com',
      amount: 2500,
      currency: 'usd',
      decline: 'pm_card_chargeDeclinedInsufficientFunds',
    });
    const r = await retryCharge(
      stripe,
      { reserve: async () => ({ granted: true }), block: async () => undefined },
      { invoiceId: s.invoiceId, idempotencyKey: `dunning-${s.invoiceId}/t/retry:1` },
    );
    expect(r).toMatchObject({
      outcome: 'declined',
      decline: { code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
    });
  });
});
