/**
 * Phase 2: failure → first email, the service against its floor (bench/floor) on the same server
 * from the same concurrency, with the email rate limit out of the way (the caller restarts the
 * worker with a high EMAIL_RATE_LIMIT). Latency: from the moment the failure is sent to the moment
 * the email (the floor: its last activity) went out. Cases per second: all of them over the span
 * from the first send to the last email.
 */
import { mapLimit } from '../tools/chaos/driver';
import { DunningState } from '../domain/searchAttributes';
import { workflowIdForInvoice } from '../domain/messages';
import { type Bench, type FailedInvoice, firstEmailTimes } from './context';
import { FLOOR_SIGNAL, FLOOR_WORKFLOW, type FloorShape } from './floor/workflows';
import { shapeUpToFirstEmail } from './historyShape';
import { percentile } from './stats';

export interface ThroughputFigures {
  casesPerSecond: number;
  p50: number;
  p99: number;
  done: number;
}

function figures(sent: Map<string, number>, doneAt: Map<string, number>): ThroughputFigures {
  const latencies = [...doneAt].map(([id, t]) => t - sent.get(id)!);
  const span = Math.max(...doneAt.values()) - Math.min(...sent.values());
  return {
    casesPerSecond: (doneAt.size * 1000) / span,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    done: doneAt.size,
  };
}

export async function serviceToFirstEmail(
  b: Bench,
  invoices: readonly FailedInvoice[],
  concurrency: number,
): Promise<ThroughputFigures> {
  const sent = new Map<string, number>();
  await mapLimit(invoices, concurrency, async (inv) => {
    sent.set(inv.invoiceId, Date.now());
    const status = await b.driver.deliver(inv.body);
    if (status !== 200) b.log(`first email: webhook for ${inv.invoiceId} answered ${status}`);
  });
  const emails = await firstEmailTimes(
    b,
    invoices.map((i) => i.invoiceId),
    120_000,
  );
  return figures(sent, emails);
}

/** The floor's shape, counted from the history of a case that has sent its first email. */
export async function floorShapeOf(b: Bench, invoiceId: string): Promise<FloorShape> {
  const history = await b.client.workflow.getHandle(workflowIdForInvoice(invoiceId)).fetchHistory();
  return shapeUpToFirstEmail(history.events ?? []);
}

export async function floorToLastActivity(
  b: Bench,
  taskQueue: string,
  shape: FloorShape,
  n: number,
  concurrency: number,
): Promise<ThroughputFigures> {
  const sent = new Map<string, number>();
  const handles = await mapLimit(Array.from({ length: n }), concurrency, async (_, i) => {
    const workflowId = `bench-floor-${Date.now()}-${i}`;
    sent.set(workflowId, Date.now());
    return b.client.workflow.signalWithStart(FLOOR_WORKFLOW, {
      workflowId,
      taskQueue,
      args: [shape],
      signal: FLOOR_SIGNAL,
      signalArgs: [{}],
      typedSearchAttributes: [{ key: DunningState, value: 'active' }],
    });
  });
  const doneAt = new Map<string, number>();
  await mapLimit(handles, concurrency, async (h) => doneAt.set(h.workflowId, (await h.result()) as number));
  return figures(sent, doneAt);
}
