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
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
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
  // Optional in Stripe's types (`hosted_invoice_url?: string | null`): absent on some invoices.
  hosted_invoice_url: httpUrl.nullish(),
  attempt_count: count,
  // Only `subscription_create` (a failed sign-up) is told apart; any other reason, or none, is a renewal's.
  billing_reason: z.string().max(100).nullish(),
  // Null without a retry schedule; optional because only Stripe's own retries are told by it.
  next_payment_attempt: timestamp.nullish(),
  // A one-off invoice has no parent; a quote's parent has no subscription details.
  parent: z.object({ subscription_details: z.object({ subscription: expandable(subscriptionId) }).nullish() }).nullable(),
});

/** The Stripe event types the service acts on (others are acknowledged); exported for the fuzzers and the chaos driver. */
export const USED_TYPES = [
  'invoice.payment_failed',
  'invoice.payment_action_required',
  'invoice.paid',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'customer.subscription.deleted',
  'customer.subscription.updated',
  'payment_method.attached',
  'payment_method.automatically_updated',
  'customer.updated',
  'charge.dispute.created',
  'payment_method.detached',
] as const;
export type UsedEventType = (typeof USED_TYPES)[number];
export const isUsedEventType = (t: string): t is UsedEventType => (USED_TYPES as readonly string[]).includes(t);

/**
 * `customer.subscription.updated`: what ends or pauses its cases (see ./stripeEvents
 * `subscriptionStateChange`). The fields read are optional, so an update about something else
 * is never refused for them; which keys changed is read from `previous_attributes`.
 */
const subscriptionUpdated = envelope.extend({
  type: z.literal('customer.subscription.updated'),
  // Which request caused it: an update the service made itself is not news (see stripeEvents.ts).
  request: z.object({ idempotency_key: z.string().nullable() }).nullish(),
  data: z.object({
    object: z.object({
      id: subscriptionId,
      customer: expandable(customerId),
      // The subscription's own card: a change is a card update (stripeEvents.ts).
      default_payment_method: expandable(paymentMethodId).nullable(),
      latest_invoice: expandable(invoiceId).nullish(),
      status: z.string().max(100).optional(),
      cancel_at_period_end: z.boolean().optional(),
      cancel_at: timestamp.nullish(),
      pause_collection: z
        .object({ behavior: z.string().max(100) })
        .passthrough()
        .nullish(),
    }),
    previous_attributes: z.object({}).passthrough().optional(),
  }),
});

/** `charge.dispute.created`: whose cases must stop charging (the PaymentIntent names the customer). */
const disputeCreated = envelope.extend({
  type: z.literal('charge.dispute.created'),
  data: z.object({
    object: z.object({
      id: stripeId('dp', 'du'),
      charge: expandable(stripeId('ch', 'py')),
      payment_intent: expandable(stripeId('pi')).nullish(),
      reason: z.string().max(100).optional(),
    }),
  }),
});

/** `payment_method.detached`: the object has no customer any more; the previous attributes name it. */
const paymentMethodDetached = envelope.extend({
  type: z.literal('payment_method.detached'),
  data: z.object({
    object: z.object({ id: paymentMethodId }),
    previous_attributes: z
      .object({ customer: expandable(customerId).nullish() })
      .passthrough()
      .optional(),
  }),
});

const usedEvent = z.discriminatedUnion('type', [
  subscriptionUpdated,
  disputeCreated,
  paymentMethodDetached,
  envelope.extend({
    type: z.literal('invoice.payment_failed'),
    // `id: null`: no API request caused it (the renewal's attempt, or Stripe's own retry).
    request: z.object({ id: z.string().max(255).nullable() }).nullish(),
    data: z.object({ object: failedInvoice }),
  }),
  // 3-D Secure: the attempt waits for the customer; the same fields as a failure.
  envelope.extend({
    type: z.literal('invoice.payment_action_required'),
    request: z.object({ id: z.string().max(255).nullable() }).nullish(),
    data: z.object({ object: failedInvoice }),
  }),
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
  /** Set when refused as `api_version_mismatch`: the event's version (null: none given), clipped. */
  apiVersion?: string | null;
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
  // Before the fields: an event of another version can be valid and still mean something else.
  const mismatch = apiVersionProblem(body, id, type);
  if (mismatch) return { status: 'invalid', problem: mismatch };
  const used = usedEvent.safeParse(body);
  if (!used.success) return { status: 'invalid', problem: problemOf(body, used.error) };
  return { status: 'used', event: used.data };
}

/** The quarantine reason (and its prefix) of an event rendered at another API version. */
export const API_VERSION_MISMATCH = 'api_version_mismatch';

/**
 * Stripe renders an event's `data` at the webhook endpoint's API version (or the account's), never
 * at the version the SDK sends, so an endpoint created at another version delivers other shapes:
 * a renamed field may still parse and mean something else. Compared first, for the used types
 * (others are acknowledged whatever their version). Null (events from before 2014) or absent
 * counts as a mismatch too: nothing says the shape is ours.
 */
function apiVersionProblem(body: unknown, eventId: string, type: string): EventProblem | undefined {
  const version = (body as { api_version?: unknown }).api_version;
  if (version === STRIPE_API_VERSION) return undefined;
  const given = typeof version === 'string' ? version.slice(0, 40) : null;
  const named = given === null ? 'none' : JSON.stringify(given);
  return {
    eventId,
    type,
    apiVersion: given,
    field: 'api_version',
    reason: `${API_VERSION_MISMATCH}: event rendered at API version ${named}, the service is pinned to ${STRIPE_API_VERSION}`,
  };
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
