import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
import { stripeApiRouter } from './api-routes';
import {
  type ActiveSubscriptionOptions,
  type ActiveSubscriptionResult,
  type AutomaticAttemptResult,
  SandboxBilling,
  type ScenarioOptions,
  type ScenarioResult,
} from './billing';
import { FaultInjector, type FaultSpec, type StripeTimedFaultSpec } from './faults';
import { IdempotencyStore } from './idempotency';
import { sandboxRouter } from './sandbox-routes';
import { type ChargeRecord, type StripeEventRecord, eventCustomer, loadData, saveData, trimEvents } from './state';
import type { CardBehaviour } from './test-cards';
import { SandboxWebhookEndpoint, type WebhookEndpointSettings, webhookEndpointSettingsSchema } from './webhook-endpoint';
import { WebhookSender } from './webhooks';

export type {
  ActiveSubscriptionOptions,
  ActiveSubscriptionResult,
  AutomaticAttemptResult,
  ScenarioOptions,
  ScenarioResult,
} from './billing';
export type { FaultSpec, StripeTimedFaultSpec } from './faults';
export type { ChargeRecord, DeliveryAttempt, DeliveryStatus, StripeEventPayload, StripeEventRecord } from './state';
export type { CardBehaviour, CardBrand, DeclineSpec } from './test-cards';
export { TEST_CARDS } from './test-cards';
export { stripeSignatureHeader } from './webhooks';

export interface StripeSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only by default: the sandbox has no real authentication. */
  host?: string;
  /** Where to POST events; unset = events are only recorded. */
  webhookUrl?: string;
  /** `whsec_...`, used to sign `Stripe-Signature`. */
  webhookSecret: string;
  /** JSON file that keeps customers, invoices and events across restarts. */
  dataFile?: string;
  /** Waits between webhook delivery tries (default 250, 500, 1000, 2000 ms: 5 tries). */
  webhookRetryDelaysMs?: readonly number[];
  /** Per-try timeout for webhook deliveries (default 5 s). */
  webhookTimeoutMs?: number;
  /** First delivery tries in flight at once (default 1: in creation order). */
  webhookConcurrency?: number;
}

export interface StripeSandbox {
  /** `http://127.0.0.1:PORT`: pass as `apiBase` to createStripeClient. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Every event generated, oldest first, with its delivery status and attempts. */
  events(): StripeEventRecord[];
  injectFault(f: FaultSpec): void;
  /** A storm or outage for a while (see StripeTimedFaultSpec). */
  injectTimedFault(f: StripeTimedFaultSpec): void;
  clearFaults(): void;
  /** Every charge attempt that reached a card, oldest first. */
  charges(): ChargeRecord[];
  createFailedInvoiceScenario(opts: ScenarioOptions): Promise<ScenarioResult>;
  /** A paid-up subscription on a card of the given expiry (reminders before a card expires). */
  createActiveSubscriptionScenario(opts: ActiveSubscriptionOptions): Promise<ActiveSubscriptionResult>;
  /** The network's account updater gives the card a new expiry: `payment_method.automatically_updated`. */
  automaticallyUpdateCard(pmId: string, to?: { expMonth?: number; expYear?: number }): void;
  setPaymentMethodBehaviour(pmId: string, b: CardBehaviour): void;
  /** Stripe's next scheduled attempt on the invoice (scenario `smartRetries`), now; none while `auto_advance` is false. */
  runAutomaticAttempt(invoiceId: string): AutomaticAttemptResult;
  /** A new card for the customer from a test id (`pm_card_visa`), made default unless told otherwise. */
  attachTestPaymentMethod(
    customerId: string,
    testPaymentMethod: string,
    /** `expired`: a saved card past its expiry month (Stripe declines it `expired_card`). */
    opts?: { makeDefault?: boolean; expired?: boolean },
  ): Promise<{ paymentMethodId: string }>;
  /** The bank's answer to a debit that is processing (POST /_sandbox/invoices/:id/settle). */
  settleDebit(invoiceId: string, settlement: { outcome: 'succeed' } | { outcome: 'fail'; code?: string; message?: string }): void;
  /** Resolves when no webhook delivery is queued, in flight or waiting to retry. */
  flushWebhooks(timeoutMs?: number): Promise<void>;
  /** The customer disputes the invoice's last charge: `charge.dispute.created`. */
  disputeInvoice(invoiceId: string, reason?: string): { id: string; charge: string; payment_intent: string };
  /** The endpoint's API version (events are rendered at it from now on), events and URL. */
  setWebhookEndpoint(s: WebhookEndpointSettings): void;
}

/**
 * A local, Stripe-compatible server for the parts of Stripe Billing a dunning service touches, so
 * the real stripe-node SDK can run against it (development, demo, tests) without network access.
 */
export async function startStripeSandbox(opts: StripeSandboxOptions): Promise<StripeSandbox> {
  const host = opts.host ?? '127.0.0.1';
  // Requests that arrive before the routes exist (none in practice) get a 503, not a hang.
  let app: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => app(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const data = loadData(opts.dataFile, url);
  let saveTimer: NodeJS.Timeout | undefined;
  const persistNow = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = undefined;
    trimEvents(data);
    saveData(opts.dataFile, data);
  };
  // Coalesce bursts (a scenario writes a dozen events) into one write.
  const changed = () => {
    if (!opts.dataFile || saveTimer) return;
    saveTimer = setTimeout(persistNow, 50);
  };

  const webhooks = new WebhookSender({
    url: opts.webhookUrl,
    secret: opts.webhookSecret,
    retryDelaysMs: opts.webhookRetryDelaysMs ?? [250, 500, 1000, 2000],
    timeoutMs: opts.webhookTimeoutMs ?? 5000,
    concurrency: opts.webhookConcurrency,
    onAttempt: changed,
  });
  const webhookEndpoint = new SandboxWebhookEndpoint(STRIPE_API_VERSION, opts.webhookUrl);
  const billing = new SandboxBilling(data, {
    // Read at each event: Stripe renders an event at its endpoint's version.
    get apiVersion() {
      return webhookEndpoint.apiVersion;
    },
    baseUrl: url,
    onEvent: (record) => {
      const customer = eventCustomer(data, record.event);
      if (customer && data.customerOptions[customer]?.muted) record.delivery.status = 'muted';
      else webhooks.enqueue(record);
    },
    pendingWebhooks: () => webhooks.endpointCount,
  });
  const faults = new FaultInjector();

  const expressApp = express();
  expressApp.disable('x-powered-by');
  // Raw bytes for every body: the API parses Stripe's form encoding itself, and keeping the bytes
  // lets idempotency compare exactly what was sent.
  expressApp.use(express.raw({ type: () => true, limit: '1mb' }));
  expressApp.use(
    '/v1',
    stripeApiRouter({
      billing,
      faults,
      idempotency: new IdempotencyStore(),
      apiVersion: STRIPE_API_VERSION,
      changed,
      webhookEndpoint,
    }),
  );
  expressApp.use('/_sandbox', sandboxRouter({ billing, data, faults, webhooks, changed, webhookEndpoint }));
  expressApp.use((req, res) => {
    res
      .status(404)
      .json({ error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.path}).` } });
  });
  app = expressApp;

  let closed = false;
  return {
    url,
    port,
    async close() {
      if (closed) return;
      closed = true;
      await webhooks.close();
      persistNow();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    events: () => data.events,
    injectFault: (f) => faults.add(f),
    injectTimedFault: (f) => void faults.addTimed(f),
    clearFaults: () => faults.clear(),
    charges: () => data.charges,
    async createFailedInvoiceScenario(scenario) {
      const result = billing.createFailedInvoiceScenario(scenario);
      changed();
      return result;
    },
    async createActiveSubscriptionScenario(opts) {
      const result = billing.createActiveSubscriptionScenario(opts);
      changed();
      return result;
    },
    automaticallyUpdateCard(pmId, to) {
      billing.automaticallyUpdateCard(pmId, to);
      changed();
    },
    runAutomaticAttempt(invoiceId) {
      const result = billing.runAutomaticAttempt(invoiceId);
      changed();
      return result;
    },
    setPaymentMethodBehaviour(pmId, b) {
      billing.setBehaviour(pmId, b);
      changed();
    },
    async attachTestPaymentMethod(customerId, testPaymentMethod, o) {
      const pm = billing.attachTestCard(customerId, testPaymentMethod, o?.makeDefault ?? true);
      if (o?.expired) billing.expireCard(pm.id);
      changed();
      return { paymentMethodId: pm.id };
    },
    settleDebit(invoiceId, settlement) {
      billing.settleDebit(invoiceId, settlement);
      changed();
    },
    flushWebhooks: (timeoutMs) => webhooks.idle(timeoutMs),
    disputeInvoice(invoiceId, reason) {
      const dispute = billing.disputeInvoice(invoiceId, reason);
      changed();
      return dispute;
    },
    setWebhookEndpoint: (s) => webhookEndpoint.set(webhookEndpointSettingsSchema.parse(s)),
  };
}
