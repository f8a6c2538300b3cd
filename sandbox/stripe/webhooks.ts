import Stripe from 'stripe';
import { nowSeconds } from './ids';
import type { StripeEventRecord } from './state';

/**
 * `Stripe-Signature` as Stripe computes it (`t=…,v1=…`), made by stripe-node itself so it always
 * matches what `webhooks.constructEvent` verifies. The timestamp is passed explicitly so the
 * sandbox's clock (not stripe-node's `Date.now()`) decides it.
 */
export function stripeSignatureHeader(payload: string, secret: string, timestamp = nowSeconds()): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

export interface WebhookSenderOptions {
  url?: string;
  secret: string;
  /** Waits before each retry; tries = 1 + length. Stripe retries for days; a sandbox must not. */
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  /**
   * First attempts in flight at once; default 1: one at a time in creation order. Stripe itself
   * delivers concurrently and promises no order; a load test wants that, a demo the order.
   */
  concurrency?: number;
  /** Called after each attempt, so the caller can persist delivery status. */
  onAttempt: () => void;
}

/**
 * Sends events to the webhook endpoint. First attempts go out one at a time in creation order
 * (unless `concurrency` says otherwise), so a receiver sees `invoice.payment_failed` before a later
 * `invoice.paid` on the happy path; a failed delivery is retried on its own timer and never holds
 * up the events behind it.
 */
export class WebhookSender {
  private readonly queue: StripeEventRecord[] = [];
  /** Loops taking first attempts off the queue: at most `concurrency` at once. */
  private readonly lanes = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly opts: WebhookSenderOptions) {}

  /** Number of deliveries (live endpoints) counted in an event's `pending_webhooks`. */
  get endpointCount(): number {
    return this.opts.url ? 1 : 0;
  }

  enqueue(record: StripeEventRecord): void {
    if (!this.opts.url || this.closed) {
      record.delivery.status = 'not_configured';
      return;
    }
    record.delivery.status = 'pending';
    this.queue.push(record);
    while (this.lanes.size < Math.max(1, this.opts.concurrency ?? 1) && this.lanes.size < this.queue.length) {
      const lane: Promise<void> = this.drain().finally(() => this.lanes.delete(lane));
      this.lanes.add(lane);
    }
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry (or after `timeoutMs`). */
  async idle(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 || this.lanes.size > 0 || this.inFlight.size > 0 || this.timers.size > 0) {
      if (Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.abort.abort();
    await Promise.allSettled([...this.lanes, ...this.inFlight]);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const record = this.queue.shift();
      if (record) await this.track(this.attempt(record, 0));
    }
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private async attempt(record: StripeEventRecord, retry: number): Promise<void> {
    const url = this.opts.url;
    if (!url || this.closed) return;
    // Stripe sends the event pretty-printed; receivers must verify the raw bytes, not re-serialise.
    const payload = JSON.stringify(record.event, null, 2);
    const started = Date.now();
    let ok = false;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': stripeSignatureHeader(payload, this.opts.secret),
        },
        body: payload,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.timeoutMs)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      ok = res.status >= 200 && res.status < 300;
      record.delivery.attempts.push({
        at: new Date(started).toISOString(),
        status: res.status,
        durationMs: Date.now() - started,
      });
    } catch (err) {
      if (this.closed) return;
      record.delivery.attempts.push({
        at: new Date(started).toISOString(),
        error: err instanceof Error ? err.message : String(err),
        durationMs: Date.now() - started,
      });
    }
    const delay = this.opts.retryDelaysMs[retry];
    record.delivery.status = ok ? 'delivered' : delay === undefined ? 'failed' : 'pending';
    this.opts.onAttempt();
    if (ok || delay === undefined || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.track(this.attempt(record, retry + 1));
    }, delay);
    this.timers.add(timer);
  }
}
