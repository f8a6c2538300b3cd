/**
 * How the chaos suite acts on the stack from outside, as Stripe, customers and operators would:
 * failed renewals and card changes in the Stripe sandbox (its `/_sandbox` routes, which faults do
 * not touch), Stripe API calls through the real SDK, signed webhook deliveries, fault injection in
 * both providers, and what the providers saw (charges, emails).
 */
import type Stripe from 'stripe';
import type { LocalStack } from '../stack/localStack';
import { USED_TYPES } from '../../src/http/stripeEventSchemas';
import { createStripeClient } from '../../src/providers/stripe';
import type { OutboxMessage, OutboxTimedFault } from '../../sandbox/resend';
import {
  stripeSignatureHeader,
  type ChargeRecord,
  type ScenarioOptions,
  type ScenarioResult,
  type StripeEventRecord,
  type StripeTimedFaultSpec,
} from '../../sandbox/stripe';

/** An email as the outbox lists it for counting (its bodies left out). */
export type SentEmail = Pick<OutboxMessage, 'id' | 'to' | 'tags' | 'idempotency' | 'createdAt'>;

/** How a delivery is signed: as Stripe would, not at all, with another endpoint's secret, or too long ago. */
export type DeliverySigning = 'signed' | 'unsigned' | 'wrong_secret' | 'stale';

/** The event types the service uses, i.e. the ones a case's shuffled sequence is made of. */
export const CASE_EVENT_TYPES: ReadonlySet<string> = new Set(USED_TYPES);

export class ChaosDriver {
  /** The real SDK against the sandbox, retrying like the service's own client would not: the driver must get through storms. */
  readonly stripe: Stripe;

  constructor(private readonly stack: LocalStack) {
    this.stripe = createStripeClient({ secretKey: 'sk_test_chaos', apiBase: stack.stripeUrl, maxNetworkRetries: 8 });
  }

  private async json<T>(url: string, init: RequestInit = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
        if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      } catch (err) {
        // A sandbox busy with a burst may drop a connection; the driver's own calls must not fail the run.
        if (attempt >= 5 || (err instanceof Error && /: [45]\d\d /.test(err.message))) throw err;
        await sleep(200 * attempt);
      }
    }
  }

  createFailedInvoice(o: Omit<ScenarioOptions, 'amount' | 'currency'> & { amount?: number }): Promise<ScenarioResult> {
    return this.json(`${this.stack.stripeUrl}/_sandbox/scenarios/failed-invoice`, {
      method: 'POST',
      body: JSON.stringify({ amount: 2900, currency: 'usd', ownCards: true, ...o }),
    });
  }

  /** The customer adds a card (a Stripe test id), which becomes the default: `payment_method.attached`, `customer.updated`. */
  attachCard(customerId: string, testPaymentMethod: string): Promise<{ paymentMethodId: string }> {
    return this.json(`${this.stack.stripeUrl}/_sandbox/customers/${customerId}/payment_methods`, {
      method: 'POST',
      body: JSON.stringify({ testPaymentMethod }),
    });
  }

  /** The customer pays on the hosted invoice page with a working card: `invoice.paid`. */
  async payOnHostedPage(invoiceId: string): Promise<void> {
    const res = await fetch(`${this.stack.stripeUrl}/_sandbox/invoices/${invoiceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa',
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`hosted page payment of ${invoiceId}: ${res.status}`);
  }

  async eventsOf(customerId: string): Promise<StripeEventRecord[]> {
    return (await this.json<{ data: StripeEventRecord[] }>(`${this.stack.stripeUrl}/_sandbox/events?customer=${customerId}`))
      .data;
  }

  async charges(): Promise<ChargeRecord[]> {
    return (await this.json<{ data: ChargeRecord[] }>(`${this.stack.stripeUrl}/_sandbox/charges`)).data;
  }

  /** Every email the outbox took, without bodies. */
  messages(): Promise<SentEmail[]> {
    return this.json(`${this.stack.outboxUrl}/_outbox/messages?summary=1`);
  }

  stripeFault(spec: StripeTimedFaultSpec): Promise<unknown> {
    return this.json(`${this.stack.stripeUrl}/_sandbox/faults`, { method: 'POST', body: JSON.stringify(spec) });
  }

  outboxFault(spec: OutboxTimedFault): Promise<unknown> {
    return this.json(`${this.stack.outboxUrl}/_outbox/faults`, { method: 'POST', body: JSON.stringify(spec) });
  }

  /**
   * One POST to the webhook route, signed with the stack's secret unless told otherwise (as the
   * fuzzer's deliveries say); the HTTP status, or 0 when no answer came.
   */
  async deliver(body: string, o: { signing?: DeliverySigning; contentType?: string } = {}): Promise<number> {
    const now = Math.floor(Date.now() / 1000);
    const signing = o.signing ?? 'signed';
    const signature =
      signing === 'unsigned'
        ? undefined
        : stripeSignatureHeader(
            body,
            signing === 'wrong_secret' ? 'whsec_someone_else' : this.stack.webhookSecret,
            signing === 'stale' ? now - 3600 : now,
          );
    try {
      const res = await fetch(`${this.stack.apiUrl}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': o.contentType ?? 'application/json; charset=utf-8',
          ...(signature ? { 'stripe-signature': signature } : {}),
        },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  /**
   * Delivers as Stripe does: again after any answer but a 2xx, with growing waits, for a bounded
   * number of tries. Returns every status seen.
   */
  async deliverLikeStripe(body: string, tries = 8): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < tries; i++) {
      const status = await this.deliver(body);
      statuses.push(status);
      if (status >= 200 && status < 300) break;
      await sleep(Math.min(500 * 2 ** i, 8_000));
    }
    return statuses;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `limit` at a time; results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  // Every lane finishes before a failure is passed on: none may outlive the caller's cleanup.
  const lanes = await Promise.allSettled(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !failed) {
        const i = next++;
        try {
          results[i] = await fn(items[i]!, i);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    }),
  );
  const rejected = lanes.find((l) => l.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}
