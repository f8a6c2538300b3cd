/**
 * Phase 3: a burst of failures while the worker is down (all must be acknowledged: Temporal holds
 * them), then the worker starts with the given email rate and the first emails drain. The drain
 * rate is taken over the middle of the drain (stats.ts), against the configured rate.
 */
import { mapLimit } from '../test/chaos/driver';
import { type Bench, firstEmailTimes, newFailedInvoices, restartWorker } from './context';
import { ratePerSecond, steadyRatePerSecond } from './stats';

export interface DrainFigures {
  burst: number;
  configuredPerSecond: number;
  acked: number;
  emailed: number;
  drainPerSecond: number;
  overallPerSecond: number;
  ratio: number;
}

export async function burstDrain(b: Bench, burst: number, emailRate: number, concurrency: number): Promise<DrainFigures> {
  const invoices = await newFailedInvoices(b, burst);
  await b.stack.worker.stop();
  const statuses = await mapLimit(invoices, concurrency, (inv) => b.driver.deliver(inv.body));
  const acked = statuses.filter((s) => s === 200).length;
  b.log(`drain at ${emailRate}/s: ${acked} of ${burst} acknowledged with the worker down; starting it`);
  await restartWorker(b, { ...b.workerEnv, EMAIL_RATE_LIMIT: String(emailRate) });
  // Twice the ideal drain time and three minutes of slack (on a loaded machine the rest of the case, not the email rate, may bound the drain) before calling an email lost.
  const times = await firstEmailTimes(
    b,
    invoices.map((i) => i.invoiceId),
    (2 * burst * 1000) / emailRate + 180_000,
  );
  const drainPerSecond = steadyRatePerSecond([...times.values()]);
  return {
    burst,
    configuredPerSecond: emailRate,
    acked,
    emailed: times.size,
    drainPerSecond,
    overallPerSecond: ratePerSecond([...times.values()]),
    ratio: drainPerSecond / emailRate,
  };
}
