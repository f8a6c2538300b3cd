/**
 * `npm run demo`: a sandbox customer whose renewal fails, with the signed `invoice.payment_failed`
 * webhook delivered to the running service, so a newcomer sees a case in the Web UI and an email
 * in the outbox within seconds of `npm start`.
 *
 *   npm run demo                       insufficient funds, English
 *   npm run demo -- --decline pm_card_chargeDeclinedExpiredCard --locale vi
 *   npm run demo -- --decline mac03    Mastercard, "do not try again"
 *   npm run demo -- --email bounced@resend.dev   the email bounces: the case records it, emails no more
 *   npm run demo -- --mode subscription-card   the subscription has its own (failing) card; the customer's default is another
 *   npm run demo -- --mode smart-retries       Stripe's own retry schedule is on (the case pauses it)
 *   npm run demo -- --mode signup              a failed sign-up (subscription_create): not dunned by default
 */
import { parseArgs } from 'node:util';
import { workflowIdForInvoice } from '../../domain/messages';
import { ConfigError, loadConfig } from '../../src/config';

const DECLINES: Record<string, unknown> = {
  funds: 'pm_card_chargeDeclinedInsufficientFunds',
  expired: 'pm_card_chargeDeclinedExpiredCard',
  processing: 'pm_card_chargeDeclinedProcessingError',
  auth: 'pm_card_authenticationRequired',
  mac03: { declineCode: 'do_not_honor', networkAdviceCode: '03', brand: 'mastercard' },
};

/** The sandbox's modes (sandbox/stripe: scenarioSchema), each with what to try next. */
const MODES: Record<string, { scenario: Record<string, unknown>; says?: (sandbox: string, invoiceId: string) => string }> = {
  renewal: { scenario: {} },
  'subscription-card': {
    scenario: { subscriptionCard: { customerDefault: 'pm_card_visa' } },
    says: () =>
      "The subscription has its own default card (the one that failed); the customer's default is another card: the case charges the card Stripe would charge, and a card update becomes the subscription's card.",
  },
  'smart-retries': {
    scenario: { smartRetries: true },
    says: (sandbox, invoiceId) =>
      `Stripe's own retries are on; the case paused them (status.stripeCollection). Make Stripe's next attempt now (nothing happens while paused): curl -X POST ${sandbox}/_sandbox/invoices/${invoiceId}/automatic_attempt`,
  },
  signup: {
    scenario: { signup: true },
    says: () => 'A failed sign-up: the default policy does not dun it, so no case starts (the webhook is acknowledged).',
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      decline: { type: 'string', default: 'funds' },
      email: { type: 'string', default: 'jane.doe@example.com' },
      name: { type: 'string', default: 'Jane Doe' },
      locale: { type: 'string', default: 'en' },
      amount: { type: 'string', default: '2900' },
      currency: { type: 'string', default: 'usd' },
      'time-zone': { type: 'string', default: 'America/New_York' },
      mode: { type: 'string', default: 'renewal' },
    },
  });
  const mode = MODES[values.mode!];
  if (!mode) throw new Error(`--mode must be one of ${Object.keys(MODES).join(', ')} (got ${values.mode})`);
  const config = loadConfig();
  if (!config.stripe.sandbox) {
    throw new Error(
      'npm run demo drives the local Stripe sandbox; with STRIPE_SECRET_KEY set, use `stripe trigger invoice.payment_failed` instead.',
    );
  }
  const amount = Number(values.amount);
  if (!Number.isInteger(amount) || amount <= 0)
    throw new Error(`--amount must be a positive integer in minor units (got ${values.amount})`);
  const sandboxUrl = `http://127.0.0.1:${config.port + 1}`;
  const body = {
    email: values.email,
    name: values.name,
    preferredLocales: [values.locale],
    timeZone: values['time-zone'],
    amount,
    currency: values.currency,
    decline: DECLINES[values.decline!] ?? values.decline,
    ...mode.scenario,
  };
  let res: Response;
  try {
    res = await fetch(`${sandboxUrl}/_sandbox/scenarios/failed-invoice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error(`The Stripe sandbox does not answer at ${sandboxUrl}. Start the service first: npm start`);
  }
  const json = (await res.json()) as { invoiceId: string; [field: string]: unknown; error?: { message: string } };
  if (!res.ok) throw new Error(`The sandbox refused the scenario: ${json.error?.message ?? res.status}`);

  const workflowId = workflowIdForInvoice(json.invoiceId);
  const ui = `http://localhost:${config.temporal.devServer.uiPort}/namespaces/${config.temporal.namespace}`;
  console.log(
    [
      `A payment failed: invoice ${json.invoiceId} of customer ${json.customerId} (${values.decline}, ${values.mode}).`,
      ...(mode.says ? [mode.says(sandboxUrl, json.invoiceId)] : []),
      `The signed invoice.payment_failed webhook went to http://127.0.0.1:${config.port}/webhooks/stripe.`,
      '',
      `  The case in the Web UI:   ${ui}/workflows/${workflowId}`,
      `  All active cases:         ${ui}/workflows?query=${encodeURIComponent("DunningState='active'")}`,
      `  The email in the outbox:  http://127.0.0.1:${config.port + 2}/`,
      `  The case as JSON:         curl -H 'Authorization: Bearer ${config.apiToken}' http://localhost:${config.port}/api/invoices/${json.invoiceId}/dunning`,
      '',
      'Recover it: open the button in the email (Billing Portal → pick a working card), or',
      `  curl -X POST -H 'Authorization: Bearer ${config.apiToken}' http://localhost:${config.port}/api/invoices/${json.invoiceId}/payment-method-updated`,
      `  after making the card work: curl -X POST -H 'content-type: application/json' -d '{"outcome":"succeed"}' ${sandboxUrl}/_sandbox/payment_methods/${json.paymentMethodId}/behaviour`,
      '',
      'A bank debit instead (it settles later): pick the US bank account in the Billing Portal; the case is',
      `processing until the bank answers: curl -X POST -H 'content-type: application/json' -d '{"outcome":"succeed"}' ${sandboxUrl}/_sandbox/invoices/${json.invoiceId}/settle`,
      `  (or -d '{"outcome":"fail","code":"insufficient_funds"}': dunning goes on)`,
      `A dispute of the customer's charge (no more charges for their cases): curl -X POST ${sandboxUrl}/_sandbox/invoices/${json.invoiceId}/dispute`,
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `demo: ${(err as Error).message}`);
  process.exit(1);
});
