/**
 * Phase 3: a burst of failures while every worker is down (all must be acknowledged: Temporal
 * holds them), then the workers start with the given email rate and the first emails drain. The
 * drain rate is taken over the middle of the drain (stats.ts), against the configured rate.
 *
 * With `killOneAt`, one worker of two or more is SIGKILLed once that fraction of the burst has
 * been emailed and stays down: the others must take over its workflow tasks (its sticky queue
 * times out) and its activities (retried after their start-to-close timeout), so that every case
 * is still emailed, and exactly once (the outbox's idempotency keys, counted as the chaos suite
 * counts them).
 */
import { duplicateEmails } from '../tools/chaos/checks';
import { mapLimit, sleep } from '../tools/chaos/driver';
import { type Bench, firstEmailTimes, invoiceOf, newFailedInvoices, restartWorker } from './context';
import { ratePerSecond, steadyRatePerSecond } from './stats';

export interface DrainFigures {
  burst: number;
  configuredPerSecond: number;
  workers: number;
  acked: number;
  emailed: number;
  drainPerSecond: number;
  overallPerSecond: number;
  ratio: number;
  /** From the workers' start to the last first email (ms). */
  drainMs: number;
  /** Emails beyond one per case step (tools/chaos/checks.ts duplicateEmails). */
  duplicateEmails: number;
  /** Set when a worker was SIGKILLed mid-burst: after how many first emails, and when (ms after the start). */
  killed?: { afterEmails: number; atMs: number };
}

/** A retried activity of a killed worker waits for its start-to-close timeout (45 s at most) before it runs again. */
const AFTER_KILL_SETTLE_MS = 60_000;

export async function burstDrain(
  b: Bench,
  burst: number,
  emailRate: number,
  concurrency: number,
  o: { killOneAt?: number } = {},
): Promise<DrainFigures> {
  const workers = b.stack.workers;
  if (o.killOneAt !== undefined && workers.length < 2) throw new Error('a mid-burst SIGKILL needs two workers or more');
  const invoices = await newFailedInvoices(b, burst);
  const wanted = new Set(invoices.map((i) => i.invoiceId));
  await Promise.all(workers.map((w) => w.stop()));
  const statuses = await mapLimit(invoices, concurrency, (inv) => b.driver.deliver(inv.body));
  const acked = statuses.filter((s) => s === 200).length;
  b.log(`drain at ${emailRate}/s: ${acked} of ${burst} acknowledged with the workers down; starting ${workers.length}`);
  await restartWorker(b, { ...b.workerEnv, EMAIL_RATE_LIMIT: String(emailRate) });
  const started = Date.now();

  let killed: DrainFigures['killed'];
  let draining = true;
  const killer =
    o.killOneAt === undefined
      ? Promise.resolve()
      : (async () => {
          const victim = workers[workers.length - 1]!;
          while (draining) {
            const sent = new Set((await b.driver.messages()).map(invoiceOf).filter((id) => id && wanted.has(id))).size;
            if (sent >= o.killOneAt! * burst) {
              const pid = victim.pid();
              await victim.kill();
              killed = { afterEmails: sent, atMs: Date.now() - started };
              b.log(`drain at ${emailRate}/s: SIGKILLed worker pid ${pid} after ${sent} of ${burst} first emails`);
              return;
            }
            await sleep(200);
          }
        })();

  // Twice the ideal drain time and three minutes of slack (on a loaded machine the rest of the case, not the email rate, may bound the drain) before calling an email lost.
  const times = await firstEmailTimes(b, [...wanted], (2 * burst * 1000) / emailRate + 180_000);
  draining = false;
  await killer;
  if (killed) {
    // A killed worker's email activity may have reached the outbox before it died; its retry must not send again.
    const settleUntil = started + killed.atMs + AFTER_KILL_SETTLE_MS;
    if (Date.now() < settleUntil) await sleep(settleUntil - Date.now());
  }
  const duplicates = duplicateEmails(await b.driver.messages(), wanted).length;
  const drainPerSecond = steadyRatePerSecond([...times.values()]);
  return {
    burst,
    configuredPerSecond: emailRate,
    workers: workers.length,
    acked,
    emailed: times.size,
    drainPerSecond,
    overallPerSecond: ratePerSecond([...times.values()]),
    ratio: drainPerSecond / emailRate,
    drainMs: times.size ? Math.max(...times.values()) - started : NaN,
    duplicateEmails: duplicates,
    ...(killed ? { killed } : {}),
  };
}
