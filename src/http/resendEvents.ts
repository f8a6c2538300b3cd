/**
 * What a verified Resend webhook event means for a case: the four delivery events that make an
 * address undeliverable, and which case they are about (the `invoice_id` tag every dunning email
 * carries, activities/email/dunningEmail.ts). Pure: checked with zod at the edge, nothing else.
 *
 * The shapes are resend-node's `EmailBouncedEvent`, `EmailComplainedEvent`, `EmailSuppressedEvent`
 * and `EmailFailedEvent` (dist/index.d.mts, `WebhookEventPayload`).
 */
import { z } from 'zod';
import type { EmailUndeliverableEvent, EmailUndeliverableSignal } from '../../domain/types';

const UNDELIVERABLE: Record<string, EmailUndeliverableEvent> = {
  'email.bounced': 'bounced',
  'email.complained': 'complained',
  'email.suppressed': 'suppressed',
  'email.failed': 'failed',
};

/** What a case can be told of its address, each once (the metric's label values). */
export const UNDELIVERABLE_EVENTS: readonly EmailUndeliverableEvent[] = Object.values(UNDELIVERABLE);

/** The event types the route acts on; any other is acknowledged and ignored. */
export const isUndeliverableType = (type: string): boolean => type in UNDELIVERABLE;

// Resend's types say `tags?: Record<string, string>`; older payloads carried `[{ name, value }]`.
const Tags = z
  .union([z.record(z.string(), z.string()), z.array(z.object({ name: z.string(), value: z.string() }))])
  .transform((t) => (Array.isArray(t) ? Object.fromEntries(t.map(({ name, value }) => [name, value])) : t));

const Said = z.object({ message: z.string().optional(), reason: z.string().optional() }).partial();

const EmailEvent = z.object({
  type: z.string(),
  created_at: z.string().optional(),
  data: z.object({
    email_id: z.string().optional(),
    to: z.array(z.string().min(3)).min(1),
    tags: Tags.optional(),
    bounce: Said.optional(),
    suppressed: Said.optional(),
    failed: Said.optional(),
  }),
});

export type ResendEventMeaning =
  { kind: 'undeliverable'; invoiceId: string; signal: EmailUndeliverableSignal } | { kind: 'ignore'; reason: string };

/** `body`: the payload `webhooks.verify` returned. `now`: when the event carries no time. */
export function interpretResendEvent(body: unknown, now: Date): ResendEventMeaning {
  const type = (body as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return { kind: 'ignore', reason: 'no event type' };
  const event = UNDELIVERABLE[type];
  if (!event) return { kind: 'ignore', reason: `${type} is not a delivery failure` };
  const parsed = EmailEvent.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'ignore', reason: `invalid ${type}: ${issue?.path.join('.') || '(event)'}: ${issue?.message}` };
  }
  const { data, created_at } = parsed.data;
  // Every dunning email is tagged with its invoice; an email sent by something else is not ours.
  const invoiceId = data.tags?.invoice_id;
  if (!invoiceId) return { kind: 'ignore', reason: 'not a dunning email (no invoice_id tag)' };
  const said = data.bounce?.message ?? data.suppressed?.message ?? data.failed?.reason;
  const at = created_at && !Number.isNaN(Date.parse(created_at)) ? new Date(created_at) : now;
  return {
    kind: 'undeliverable',
    invoiceId,
    signal: {
      event,
      // A dunning email has one recipient.
      address: data.to[0]!.trim().toLowerCase(),
      ...(data.email_id ? { emailId: data.email_id } : {}),
      ...(said ? { reason: said.slice(0, 300) } : {}),
      occurredAt: at.toISOString(),
    },
  };
}
