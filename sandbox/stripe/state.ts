import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type Stripe from 'stripe';
import type { CardBehaviour } from './test-cards';

/** `muted`: the event is about a customer whose events test code delivers itself. */
export type DeliveryStatus = 'not_configured' | 'muted' | 'pending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  at: string;
  /** HTTP status from the receiver; absent when the request itself failed. */
  status?: number;
  error?: string;
  durationMs: number;
}

/** A Stripe event as sent to webhook endpoints (snapshot payload, API version pinned). */
export interface StripeEventPayload {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: object; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  /** The API request that caused it; `id: null` for automatic events (renewals, portal, scenarios). */
  request: { id: string | null; idempotency_key: string | null };
  type: Stripe.Event.Type;
}

/** One generated event and what became of its delivery to `webhookUrl`. */
export interface StripeEventRecord {
  event: StripeEventPayload;
  delivery: { status: DeliveryStatus; attempts: DeliveryAttempt[] };
}

/**
 * One charge of an invoice that reached the card (not an injected fault, not an idempotent replay,
 * not a refusal before charging): what test code counts double charges with.
 */
export interface ChargeRecord {
  at: string;
  invoiceId: string;
  paymentMethodId: string;
  /** The card behind the payment method: the same card may come back under a new id. */
  fingerprint: string | null;
  /** The `Idempotency-Key` of the request; null for Stripe's own attempt and the hosted page. */
  idempotencyKey: string | null;
  requestId: string | null;
  /** `api`: POST /v1/invoices/:id/pay; `automatic`: the renewal's own attempt; `hosted_page`: the customer paid there. */
  source: 'api' | 'automatic' | 'hosted_page';
  /** `processing`: a bank debit accepted, to settle later (see SandboxBilling.settleDebit). */
  outcome: 'succeeded' | 'declined' | 'requires_action' | 'processing';
  declineCode?: string;
}

/** Per-customer switches of the sandbox (not Stripe fields, so never in the customer object). */
export interface CustomerOptions {
  /** Its events are recorded but not delivered: test code delivers them itself, in any order. */
  muted?: boolean;
  /** Every card it gets has a fingerprint of its own, as if each customer had a different card. */
  ownCards?: boolean;
  /**
   * Stripe's Smart Retries (or a custom retry schedule) are on for its invoices: `attempts` in all,
   * the first one included, `intervalSeconds` apart (what `next_payment_attempt` says). The
   * sandbox makes a scheduled attempt only when told (`runAutomaticAttempt`), never on a timer.
   */
  smartRetries?: { attempts: number; intervalSeconds: number };
}

/** Everything the sandbox knows. Plain JSON, so it can be written to `dataFile` as is. */
export interface SandboxData {
  version: 1;
  /** Base URL the absolute links (hosted invoice page, portal) were made with. */
  baseUrl: string;
  customers: Record<string, Stripe.Customer>;
  paymentMethods: Record<string, Stripe.PaymentMethod>;
  behaviours: Record<string, CardBehaviour>;
  prices: Record<string, Stripe.Price>;
  /** Coupons and the discounts made from them (absent in data files written before they existed). */
  coupons: Record<string, Stripe.Coupon>;
  discounts: Record<string, Stripe.Discount>;
  subscriptions: Record<string, Stripe.Subscription>;
  invoices: Record<string, Stripe.Invoice>;
  paymentIntents: Record<string, Stripe.PaymentIntent>;
  invoicePayments: Record<string, Stripe.InvoicePayment>;
  portalSessions: Record<string, Stripe.BillingPortal.Session>;
  events: StripeEventRecord[];
  /** Every charge attempt, oldest first (absent in data files written before it existed). */
  charges: ChargeRecord[];
  customerOptions: Record<string, CustomerOptions>;
}

/** Events kept in memory and on disk; older ones are dropped so a long demo stays small. */
const MAX_EVENTS = 2000;

export function emptyData(baseUrl: string): SandboxData {
  return {
    version: 1,
    baseUrl,
    customers: {},
    paymentMethods: {},
    behaviours: {},
    prices: {},
    coupons: {},
    discounts: {},
    subscriptions: {},
    invoices: {},
    paymentIntents: {},
    invoicePayments: {},
    portalSessions: {},
    events: [],
    charges: [],
    customerOptions: {},
  };
}

/**
 * Loads `dataFile` if present. Links were made with the previous run's base URL (the port may
 * differ after a restart), so they are moved to the new one.
 */
export function loadData(file: string | undefined, baseUrl: string): SandboxData {
  if (!file || !existsSync(file)) return emptyData(baseUrl);
  const data = JSON.parse(readFileSync(file, 'utf8')) as SandboxData;
  if (data.version !== 1) throw new Error(`stripe sandbox: unsupported data file version in ${file}`);
  data.charges ??= [];
  data.customerOptions ??= {};
  data.coupons ??= {};
  data.discounts ??= {};
  if (data.baseUrl !== baseUrl) {
    const move = (url: string | null | undefined) =>
      url?.startsWith(data.baseUrl) ? baseUrl + url.slice(data.baseUrl.length) : (url ?? null);
    for (const inv of Object.values(data.invoices)) {
      inv.hosted_invoice_url = move(inv.hosted_invoice_url);
      inv.invoice_pdf = move(inv.invoice_pdf);
    }
    for (const s of Object.values(data.portalSessions)) s.url = move(s.url) ?? s.url;
    data.baseUrl = baseUrl;
  }
  // Deliveries in flight when the previous run stopped are not resumed.
  for (const r of data.events) if (r.delivery.status === 'pending') r.delivery.status = 'failed';
  return data;
}

/** Write-then-rename, so a crash mid-write never leaves a truncated file behind. */
export function saveData(file: string | undefined, data: SandboxData): void {
  if (!file) return;
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(data));
  renameSync(tmp, file);
}

export function trimEvents(data: SandboxData): void {
  if (data.events.length > MAX_EVENTS) data.events.splice(0, data.events.length - MAX_EVENTS);
  if (data.charges.length > MAX_EVENTS) data.charges.splice(0, data.charges.length - MAX_EVENTS);
}

/** The customer an event is about, for the per-customer switches and the events filter. */
export function eventCustomer(data: SandboxData, event: StripeEventPayload): string | undefined {
  const o = event.data.object as { id?: string; object?: string; customer?: unknown; invoice?: unknown };
  if (o.object === 'customer') return o.id;
  if (typeof o.customer === 'string') return o.customer;
  if (typeof o.invoice === 'string') {
    const customer = data.invoices[o.invoice]?.customer;
    return typeof customer === 'string' ? customer : undefined;
  }
  return undefined;
}
