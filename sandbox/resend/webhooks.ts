/**
 * The outbox's delivery events, sent as Resend sends them: a JSON event (resend-node's
 * `EmailBouncedEvent` / `EmailComplainedEvent`) signed the Svix way (`svix-id`, `svix-timestamp`,
 * `svix-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the `whsec_` secret's
 * bytes), delivered again after a non-2xx answer or a network error, as Resend does.
 *
 * Which addresses: Resend's own test addresses, `bounced@resend.dev` and `complained@resend.dev`
 * (a `+label` allowed: `bounced+ada@resend.dev`), and any address marked with
 * `markUndeliverable` / `POST /_outbox/undeliverable`.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { OutboxMessage } from './store';

export type OutboxDeliveryEvent = 'bounced' | 'complained';

export interface OutboxWebhookTarget {
  url: string;
  /** `whsec_<base64>`, as Resend shows a webhook's signing secret. */
  secret: string;
  /** Waits before each delivery again; default 0.5, 1, 2, 4, 8 s. */
  retryDelaysMs?: number[];
}

/** The event Resend's test address (or a mark) asks for, if any. */
export function testAddressEvent(address: string): OutboxDeliveryEvent | undefined {
  const m = /^(bounced|complained)(\+[^@]*)?@resend\.dev$/i.exec(address.trim());
  return m ? (m[1]!.toLowerCase() as OutboxDeliveryEvent) : undefined;
}

/** The Svix signature header of `body`, as resend-node's `webhooks.verify` checks it. */
export function svixSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

export function deliveryEventBody(event: OutboxDeliveryEvent, m: OutboxMessage, now: Date): string {
  const data = {
    created_at: m.createdAt,
    email_id: m.id,
    message_id: `<${m.id}@outbox.local>`,
    from: m.from,
    to: m.to,
    subject: m.subject,
    tags: Object.fromEntries(m.tags.map((t) => [t.name, t.value])),
    ...(event === 'bounced'
      ? {
          bounce: {
            message: "The recipient's email provider sent a hard bounce message (outbox sandbox).",
            subType: 'General',
            type: 'Permanent',
          },
        }
      : {}),
  };
  return JSON.stringify({ type: `email.${event}`, created_at: now.toISOString(), data });
}

/** Sends one event, again after a failure, until a 2xx or the delays run out; never throws. */
export async function deliverEvent(
  target: OutboxWebhookTarget,
  body: string,
  isClosed: () => boolean,
  log: (line: string) => void = (line) => console.error(`[resend-outbox] ${line}`),
): Promise<boolean> {
  const id = `msg_${randomUUID()}`;
  const delays = [0, ...(target.retryDelaysMs ?? [500, 1000, 2000, 4000, 8000])];
  for (const delay of delays) {
    if (delay) await new Promise((r) => setTimeout(r, delay).unref());
    if (isClosed()) return false;
    // Signed anew at each try: the timestamp is checked against the receiver's clock.
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'svix-id': id,
          'svix-timestamp': String(timestamp),
          'svix-signature': svixSignature(target.secret, id, timestamp, body),
        },
        body,
      });
      if (res.ok) return true;
      log(`webhook ${id} answered ${res.status}`);
    } catch (err) {
      log(`webhook ${id} not delivered: ${(err as Error).message}`);
    }
  }
  return false;
}
