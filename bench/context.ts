/**
 * What every bench phase needs: the chaos suite's multi-process stack and driver (signed
 * webhooks, failed invoices in the Stripe sandbox, the outbox), a client with the stack's payload
 * keys, and a few helpers on top of them.
 */
import type { Client } from '@temporalio/client';
import type { LocalStack } from '../tools/stack/localStack';
import { ChaosDriver, mapLimit, sleep } from '../tools/chaos/driver';
import type { SentEmail } from '../tools/chaos/driver';

export interface Bench {
  stack: LocalStack;
  driver: ChaosDriver;
  client: Client;
  /** Environment of the next worker start (EMAIL_RATE_LIMIT, WORKER_MAX_CACHED_WORKFLOWS). */
  workerEnv: NodeJS.ProcessEnv;
  log(line: string): void;
}

export interface FailedInvoice {
  invoiceId: string;
  customerId: string;
  /** The signed `invoice.payment_failed` body Stripe would deliver. */
  body: string;
}

let seq = 0;

/** Failed renewals in the sandbox whose events are kept, not delivered: the bench delivers them itself. */
export async function newFailedInvoices(b: Bench, n: number): Promise<FailedInvoice[]> {
  return mapLimit(Array.from({ length: n }), 8, async () => {
    const i = ++seq;
    const r = await b.driver.createFailedInvoice({ email: `bench-${i}@example.com`, name: `Bench ${i}`, webhooks: false });
    const failed = (await b.driver.eventsOf(r.customerId)).find((e) => e.event.type === 'invoice.payment_failed');
    if (!failed) throw new Error(`no invoice.payment_failed event for ${r.invoiceId}`);
    return { invoiceId: r.invoiceId, customerId: r.customerId, body: JSON.stringify(failed.event) };
  });
}

/** Invoice id of an outbox message, from its idempotency key `dunning-<invoice>/<step>`. */
export const invoiceOf = (m: SentEmail): string | undefined => /^dunning-([^/]+)\//.exec(m.idempotency?.key ?? '')?.[1];

/** The time of each invoice's first email, waiting until all have one or the time is up. */
export async function firstEmailTimes(b: Bench, invoiceIds: readonly string[], timeoutMs: number): Promise<Map<string, number>> {
  const wanted = new Set(invoiceIds);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const first = new Map<string, number>();
    for (const m of await b.driver.messages()) {
      const id = invoiceOf(m);
      if (!id || !wanted.has(id)) continue;
      const t = Date.parse(m.createdAt);
      if (!first.has(id) || t < first.get(id)!) first.set(id, t);
    }
    if (first.size === wanted.size || Date.now() > deadline) return first;
    await sleep(1000);
  }
}

/** Resident memory of a process in MB (Linux /proc). */
export async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const { readFile } = await import('node:fs/promises');
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Restarts every worker with this environment on top of the stack's. */
export async function restartWorker(b: Bench, env: NodeJS.ProcessEnv): Promise<void> {
  await Promise.all(b.stack.workers.map((w) => w.stop()));
  b.workerEnv = env;
  await Promise.all(b.stack.workers.map((w) => w.start()));
}
