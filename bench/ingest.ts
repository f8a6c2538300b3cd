/**
 * Phase 1: failure webhooks (HTTP, signature check, the service's signal-with-start) against the
 * same signal-with-start made straight from this process with the service's own client code, from
 * the same concurrency. Raw and webhook run in alternating halves (raw, webhook, webhook, raw) so
 * that a drift of the shared machine's load falls on both.
 */
import { DunningClient } from '../src/dunningClient';
import { mapStripeEvent } from '../src/http/stripeEvents';
import { DEFAULT_POLICY } from '../domain/policy';
import { mapLimit, sleep } from '../tools/chaos/driver';
import type { Bench, FailedInvoice } from './context';
import { percentile, ratePerSecond } from './stats';

export type Side = 'webhook' | 'raw';

export interface Ack {
  start: number;
  end: number;
  ok: boolean;
}

/** Sends one failure through the given side; never throws (a failure is an ack that is not ok). */
export function sender(b: Bench): (side: Side, inv: FailedInvoice) => Promise<Ack> {
  const service = new DunningClient(b.client, b.stack.taskQueue, DEFAULT_POLICY);
  return async (side, inv) => {
    const start = Date.now();
    let ok = false;
    if (side === 'webhook') ok = (await b.driver.deliver(inv.body)) === 200;
    else {
      const action = mapStripeEvent(JSON.parse(inv.body));
      if (action.kind !== 'payment_failed') throw new Error(`not a failure event: ${inv.invoiceId}`);
      ok = await service.failureTaken(action.signal).then(
        () => true,
        () => false,
      );
    }
    return { start, end: Date.now(), ok };
  };
}

export interface PeakFigures {
  webhookPerSecond: number;
  rawPerSecond: number;
  ratio: number;
  notAcked: number;
}

export async function ingestPeak(b: Bench, invoices: readonly FailedInvoice[], concurrency: number): Promise<PeakFigures> {
  const send = sender(b);
  const quarter = Math.floor(invoices.length / 4);
  const chunks: Array<[Side, readonly FailedInvoice[]]> = [
    ['raw', invoices.slice(0, quarter)],
    ['webhook', invoices.slice(quarter, 2 * quarter)],
    ['webhook', invoices.slice(2 * quarter, 3 * quarter)],
    ['raw', invoices.slice(3 * quarter, 4 * quarter)],
  ];
  // Acks and milliseconds per side, summed over its chunks.
  const totals: Record<Side, { acks: number; ms: number }> = { webhook: { acks: 0, ms: 0 }, raw: { acks: 0, ms: 0 } };
  let notAcked = 0;
  for (const [side, chunk] of chunks) {
    const acks = await mapLimit(chunk, concurrency, (inv) => send(side, inv));
    notAcked += acks.filter((a) => !a.ok).length;
    // Acks per second over the chunk: from the first send to the last answer.
    const span = Math.max(...acks.map((a) => a.end)) - Math.min(...acks.map((a) => a.start));
    totals[side].acks += acks.length;
    totals[side].ms += span;
    b.log(`ingest: ${side} ${acks.length} at ${((acks.length * 1000) / span).toFixed(1)}/s`);
  }
  const webhookPerSecond = (totals.webhook.acks * 1000) / totals.webhook.ms;
  const rawPerSecond = (totals.raw.acks * 1000) / totals.raw.ms;
  return { webhookPerSecond, rawPerSecond, ratio: webhookPerSecond / rawPerSecond, notAcked };
}

export interface PacedFigures {
  ratePerSecond: number;
  webhook: { p50: number; p99: number; achieved: number };
  raw: { p50: number; p99: number; achieved: number };
  p99Ratio: number;
}

/**
 * Acks at a fixed pace (a send every 1000/rate ms, each without waiting for the last), webhook and
 * raw interleaved one by one so that both see the same load.
 */
export async function ingestPaced(b: Bench, invoices: readonly FailedInvoice[], rate: number): Promise<PacedFigures> {
  const send = sender(b);
  const gapMs = 1000 / rate;
  const started = Date.now();
  const pending: Array<Promise<[Side, Ack]>> = [];
  for (let i = 0; i < invoices.length; i++) {
    const due = started + i * gapMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const side: Side = i % 2 ? 'webhook' : 'raw';
    pending.push(send(side, invoices[i]!).then((ack) => [side, ack]));
  }
  const acks = await Promise.all(pending);
  const figures = (side: Side) => {
    const mine = acks.filter(([s]) => s === side).map(([, a]) => a);
    const ms = mine.map((a) => a.end - a.start);
    return { p50: percentile(ms, 0.5), p99: percentile(ms, 0.99), achieved: ratePerSecond(mine.map((a) => a.start)) * 2 };
  };
  const webhook = figures('webhook');
  const raw = figures('raw');
  return { ratePerSecond: rate, webhook, raw, p99Ratio: webhook.p99 / raw.p99 };
}
