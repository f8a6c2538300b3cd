/**
 * What a verified Stripe event must look like before anything is done with it: the envelope of
 * every event, and for each event type dunning uses, the fields it reads — nothing more, so a
 * field Stripe adds or a field we never read cannot get an event refused.
 *
 * The signature proves Stripe sent it, not that it is what we expect (another API version, a
 * Stripe bug, a field we misunderstood). An event that fails here is not taken: the webhook
 * route quarantines it with the reason this file gives (see ../quarantine).
 */
import { z } from 'zod';
import { stripeId } from './stripeIds';

const eventId = stripeId('evt');
const invoiceId = stripeId('in');
const customerId = stripeId('cus');
const subscriptionId = stripeId('sub');
/** Cards and sources created through the older APIs are payment methods too. */
const paymentMethodId = stripeId('pm', 'card', 'src');

/**
 * An expandable field: the id, or the expanded object (of which only `id` is read). The object
 * becomes its id first, so both fail with the id's own message.
 */
const expandable = (id: z.ZodString) =>
  z.preprocess((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && 'id' in v ? v.id : v), id);

/** `Number.isSafeInteger`: `1e308` is an integer to JavaScript but not an amount anyone owes. */
const safeInteger = (what: string, min: number) =>
  z.number().refine((n) => Number.isSafeInteger(n) && n >= min, `must be ${what}`);
/** Minor units (cents). */
const amount = safeInteger('a non-negative safe integer (minor units)', 0);
const count = safeInteger('a non-negative safe integer', 0);
/** Unix seconds. */
const timestamp = safeInteger('a positive safe integer (Unix seconds)', 1);
/** ISO 4217, which Stripe sends lowercase; lowercased so that `EUR` and `eur` are one currency. */
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be three ASCII letters')
  .transform((c) => c.toLowerCase());
/** Shown to customers (emails): a link they can open, never `javascript:` or the like. */
const httpUrl = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .url('must be a URL')
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

/**
 * `invoice.payment_failed` and the like; lowercase dotted words, bounded (Stripe's longest are
 * under 60 characters).
 */
const eventType = z
  .string()
  .max(100, 'must be at most 100 characters')
  .regex(/^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/, 'must be dotted lowercase words like invoice.paid');

/** Every event, whatever its type: what the route needs to acknowledge or ignore it. */
export const stripeEventEnvelope = z.object({
  id: eventId,
  type: eventType,
  created: timestamp,
  data: z.object({ object: z.record(z.unknown()) }),
});

const envelope = stripeEventEnvelope.omit({ type: true, data: true });

const failedInvoice = z.object({
  id: invoiceId,
  // Stripe types it nullable; an invoice without a customer is skipped (no one to dun).
  customer: expandable(customerId).nullable(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']),
  amount_due: amount,
  amount_remaining: amount,
  currency,
  number: z.string().min(1).max(255).nullable(),
  hosted_invoice_url: httpUrl.nullable(),
  attempt_count: count,
  // A one-off invoice has no parent; a quote's parent has no subscription details.
  parent: z.object({ subscription_details: z.object({ subscription: expandable(subscriptionId) }).nullish() }).nullable(),
});

/** The Stripe event types the service acts on (others are acknowledged); exported for the fuzzers and the chaos driver. */
export const USED_TYPES = [
  'invoice.payment_failed',
  'invoice.paid',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'customer.subscription.deleted',
  'payment_method.attached',
  'payment_method.automatically_updated',
  'customer.updated',
  'customer.subscription.updated',
] as const;
export type UsedEventType = (typeof USED_TYPES)[number];
export const isUsedEventType = (t: string): t is UsedEventType => (USED_TYPES as readonly string[]).includes(t);

const usedEvent = z.discriminatedUnion('type', [
  envelope.extend({ type: z.literal('invoice.payment_failed'), data: z.object({ object: failedInvoice }) }),
  envelope.extend({
    type: z.enum(['invoice.paid', 'invoice.voided', 'invoice.marked_uncollectible']),
    data: z.object({ object: z.object({ id: invoiceId }) }),
  }),
  envelope.extend({
    type: z.literal('customer.subscription.deleted'),
    data: z.object({
      object: z.object({
        id: subscriptionId,
        customer: expandable(customerId),
        latest_invoice: expandable(invoiceId).nullable(),
      }),
    }),
  }),
  envelope.extend({
    type: z.enum(['payment_method.attached', 'payment_method.automatically_updated']),
    // customer null: detached, or never attached.
    data: z.object({ object: z.object({ id: paymentMethodId, customer: expandable(customerId).nullable() }) }),
  }),
  envelope.extend({
    type: z.literal('customer.subscription.updated'),
    // Which request caused it: an update the service made itself is not news (see stripeEvents.ts).
    request: z.object({ idempotency_key: z.string().nullable() }).nullish(),
    data: z.object({
      object: z.object({
        id: subscriptionId,
        customer: expandable(customerId),
        default_payment_method: expandable(paymentMethodId).nullable(),
      }),
      // Only which keys changed is read, not their old values.
      previous_attributes: z.object({}).passthrough().optional(),
    }),
  }),
  envelope.extend({
    type: z.literal('customer.updated'),
    data: z.object({
      object: z.object({
        id: customerId,
        invoice_settings: z.object({ default_payment_method: expandable(paymentMethodId).nullable() }),
      }),
      // Only which keys changed is read (passthrough keeps them), not their old values.
      previous_attributes: z
        .object({ invoice_settings: z.object({}).passthrough().nullish() })
        .passthrough()
        .optional(),
    }),
  }),
]);
export type UsedStripeEvent = z.output<typeof usedEvent>;

/** Why a verified event is refused: the first offending field (a path), and every problem found. */
export interface EventProblem {
  /** The event id when the envelope's id is valid. */
  eventId?: string;
  /** The event type when it is a well-formed type name. */
  type?: string;
  /** Path of the first invalid field, e.g. `data.object.amount_due`; `(body)` for the whole body. */
  field: string;
  /** `data.object.amount_due: Expected number, received string; …`, bounded in length. */
  reason: string;
}

export type ReadStripeEvent =
  | { status: 'used'; event: UsedStripeEvent }
  | { status: 'unused'; id: string; type: string; created: number }
  | { status: 'invalid'; problem: EventProblem };

/** Bounds on what a problem may say: a message can quote the value it refused (up to 1 MB). */
const MAX_MESSAGE = 200;
const MAX_REASON = 1000;
const MAX_ISSUES = 5;

/** The verified, parsed body of a webhook, checked: used (typed), unused (acknowledged), or invalid. */
export function readStripeEvent(body: unknown): ReadStripeEvent {
  const env = stripeEventEnvelope.safeParse(body);
  if (!env.success) return { status: 'invalid', problem: problemOf(body, env.error) };
  const { id, type, created } = env.data;
  if (!isUsedEventType(type)) return { status: 'unused', id, type, created };
  const used = usedEvent.safeParse(body);
  if (!used.success) return { status: 'invalid', problem: problemOf(body, used.error) };
  return { status: 'used', event: used.data };
}

function problemOf(body: unknown, error: z.ZodError): EventProblem {
  const issues = error.issues.slice(0, MAX_ISSUES);
  const pathOf = (i: z.ZodIssue) => (i.path.length ? i.path.join('.') : '(body)');
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const reason = clip(issues.map((i) => `${pathOf(i)}: ${clip(i.message, MAX_MESSAGE)}`).join('; '), MAX_REASON);
  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const id = eventId.safeParse(fields.id);
  const type = eventType.safeParse(fields.type);
  return {
    eventId: id.success ? id.data : undefined,
    type: type.success ? type.data : undefined,
    field: pathOf(issues[0]!),
    reason,
  };
}
