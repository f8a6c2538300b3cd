import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type Stripe from 'stripe';
import type { CardBehaviour } from './test-cards';

export type DeliveryStatus = 'not_configured' | 'pending' | 'delivered' | 'failed';

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

/** Everything the sandbox knows. Plain JSON, so it can be written to `dataFile` as is. */
export interface SandboxData {
  version: 1;
  /** Base URL the absolute links (hosted invoice page, portal) were made with. */
  baseUrl: string;
  customers: Record<string, Stripe.Customer>;
  paymentMethods: Record<string, Stripe.PaymentMethod>;
  behaviours: Record<string, CardBehaviour>;
  prices: Record<string, Stripe.Price>;
  subscriptions: Record<string, Stripe.Subscription>;
  invoices: Record<string, Stripe.Invoice>;
  paymentIntents: Record<string, Stripe.PaymentIntent>;
  invoicePayments: Record<string, Stripe.InvoicePayment>;
  portalSessions: Record<string, Stripe.BillingPortal.Session>;
  events: StripeEventRecord[];
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
    subscriptions: {},
    invoices: {},
    paymentIntents: {},
    invoicePayments: {},
    portalSessions: {},
    events: [],
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
}
