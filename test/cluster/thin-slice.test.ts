/**
 * The thin slice on a real Temporal cluster (`npm run cluster`: PostgreSQL, the server version
 * docker-compose.yml pins, four history shards, SQL visibility) with the service deployed as on a
 * cluster: two worker processes and two API processes, the standalone Stripe sandbox and Resend
 * outbox. A failed invoice becomes a case, the first email goes out, a card update recovers it,
 * and the other API process lists it; then a worker is SIGKILLed while cases are starting, and the
 * surviving one finishes every case, nothing lost and no email twice.
 *
 * Starts the cluster when it is not running (the first run on a machine builds the server: minutes)
 * and stops it afterwards; a cluster that was already running is reused and left running. Skipped,
 * saying why, where PostgreSQL is missing and cannot be installed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresUnavailable, startCluster, stopCluster, type Cluster } from '../../tools/cluster';
import type { DunningStatus } from '../../domain/types';
import { startServiceProcesses, type ServiceProcesses } from './support/serviceProcesses';

let skipReason: string | undefined;
let cluster: Cluster | undefined;
let service: ServiceProcesses;
let dataDir: string;

beforeAll(async () => {
  try {
    cluster = await startCluster({ ui: false, log: (line) => console.log(`[cluster] ${line}`) });
  } catch (err) {
    if (!(err instanceof PostgresUnavailable)) throw err;
    skipReason = `no local cluster: ${err.message}`;
    return;
  }
  dataDir = mkdtempSync(join(tmpdir(), 'dunning-cluster-test-'));
  service = await startServiceProcesses({
    temporalAddress: cluster.address,
    namespace: cluster.namespace,
    // A queue of this run's own: cases of earlier runs sleep on the same cluster, bound to sandboxes that are gone.
    taskQueue: `cluster-test-${randomBytes(4).toString('hex')}`,
    dataDir,
    workers: 2,
    apis: 2,
  });
});

afterAll(async () => {
  await service?.stop();
  if (cluster?.started) await stopCluster();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function api(n: number, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${service.apiUrls[n]}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${service.apiToken}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}

async function statusOf(n: number, invoiceId: string): Promise<DunningStatus | undefined> {
  const res = await api(n, `/api/invoices/${invoiceId}/dunning`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET /api/invoices/${invoiceId}/dunning: ${res.status} ${await res.text()}`);
  return (await res.json()) as DunningStatus;
}

/**
 * Polls until `probe` gives a value. Errors count as "not yet": a query to a case whose sticky
 * worker was just killed fails until the server hands its tasks to the other worker.
 */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Scenario {
  customerId: string;
  invoiceId: string;
  paymentMethodId: string;
}

async function failedInvoice(email: string): Promise<Scenario> {
  const res = await fetch(`${service.stripeUrl}/_sandbox/scenarios/failed-invoice`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, amount: 1999, currency: 'usd', decline: 'pm_card_chargeDeclinedInsufficientFunds' }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Scenario;
}

/** The customer's card works now, and the billing page says so through the signal API of API `n`. */
async function cardUpdated(n: number, s: Scenario): Promise<void> {
  const behaviour = await fetch(`${service.stripeUrl}/_sandbox/payment_methods/${s.paymentMethodId}/behaviour`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome: 'succeed' }),
  });
  expect(behaviour.status).toBe(200);
  const signal = await api(n, `/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
  expect(signal.status).toBe(202);
}

async function sentTo(email: string): Promise<Array<{ tags?: Array<{ name: string; value: string }> }>> {
  const res = await fetch(`${service.outboxUrl}/_outbox/messages?summary=1&to=${encodeURIComponent(email)}`);
  return (await res.json()) as Array<{ tags?: Array<{ name: string; value: string }> }>;
}

const templateOf = (m: { tags?: Array<{ name: string; value: string }> }) => m.tags?.find((t) => t.name === 'template')?.value;

describe('thin slice on the local cluster (two workers, two APIs)', () => {
  it('a failed invoice becomes a case, emails, recovers on a card update, and the other API lists it', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const email = `cluster-${randomBytes(4).toString('hex')}@example.com`;
    const scenario = await failedInvoice(email); // its webhook goes to API 1

    const first = await eventually('the first email', 60_000, async () => {
      const s = await statusOf(1, scenario.invoiceId);
      return s && s.emails.length >= 1 ? s : undefined;
    });
    expect(first).toMatchObject({ state: 'active', customerId: scenario.customerId, declineCategory: 'insufficient_funds' });
    expect(first.emails[0]!.template).toBe('payment_failed.insufficient_funds');

    await cardUpdated(0, scenario);
    const done = await eventually('recovery', 60_000, async () => {
      const s = await statusOf(1, scenario.invoiceId);
      return s?.state === 'recovered' ? s : undefined;
    });
    expect(done.outcome).toBe('card_updated');
    expect(done.attempts).toEqual([expect.objectContaining({ trigger: 'payment_method_updated', outcome: 'succeeded' })]);
    expect((await sentTo(email)).map(templateOf).sort()).toEqual(['payment_failed_insufficient_funds', 'payment_recovered']);

    // Listed from visibility (PostgreSQL) by the API process that took neither the webhook nor the signal.
    const listed = await eventually('the case in GET /api/dunning', 30_000, async () => {
      const res = await api(1, `/api/dunning?customerId=${scenario.customerId}&state=recovered`);
      const body = (await res.json()) as { cases: Array<{ invoiceId: string }> };
      return body.cases.length === 1 ? body.cases : undefined;
    });
    expect(listed[0]!.invoiceId).toBe(scenario.invoiceId);
  });

  it('a worker SIGKILLed while cases start loses nothing: the other finishes every case', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const run = randomBytes(4).toString('hex');
    const emails = Array.from({ length: 4 }, (_, i) => `killed-${run}-${i}@example.com`);
    const scenarios = await Promise.all(emails.map((e) => failedInvoice(e)));
    // The cases exist (the webhook was taken) and their first workflow tasks are under way.
    await Promise.all(scenarios.map((s) => eventually(`case ${s.invoiceId}`, 30_000, () => statusOf(0, s.invoiceId))));
    await service.workers[0]!.kill();

    for (const s of scenarios) {
      await eventually(`the first email of ${s.invoiceId}`, 90_000, async () => {
        const st = await statusOf(0, s.invoiceId);
        return st && st.emails.length >= 1 ? st : undefined;
      });
      await cardUpdated(1, s);
    }
    for (const s of scenarios) {
      const done = await eventually(`recovery of ${s.invoiceId}`, 90_000, async () => {
        const st = await statusOf(1, s.invoiceId);
        return st?.state === 'recovered' ? st : undefined;
      });
      expect(done.outcome).toBe('card_updated');
    }
    for (const email of emails) {
      expect((await sentTo(email)).map(templateOf).sort(), email).toEqual([
        'payment_failed_insufficient_funds',
        'payment_recovered',
      ]);
    }
  });
});
