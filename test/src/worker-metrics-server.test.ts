/**
 * The worker's own `/metrics` (METRICS_PORT, src/workerMetricsServer.ts): its business counters,
 * the process's metrics and the Temporal SDK's text appended, in Prometheus' text format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casesOpened } from '../../activities/metrics';
import { serveWorkerMetrics, type WorkerMetricsServer } from '../../src/workerMetricsServer';

let server: WorkerMetricsServer;
beforeAll(async () => {
  server = await serveWorkerMetrics(0, {
    host: '127.0.0.1',
    extra: async () =>
      '# TYPE temporal_worker_task_slots_available gauge\ntemporal_worker_task_slots_available{worker_type="WorkflowWorker"} 5\n',
  });
});
afterAll(() => server?.close());

describe('the worker /metrics server', () => {
  it("serves the worker's counters, the process's metrics and the SDK's, as Prometheus text", async () => {
    casesOpened.inc({ currency: 'usd', decline_category: 'insufficient_funds' });
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('dunning_cases_opened_total{currency="usd",decline_category="insufficient_funds"} 1');
    expect(text).toContain('# TYPE dunning_amount_recovered_minor_units_total counter');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toContain('temporal_worker_task_slots_available{worker_type="WorkflowWorker"} 5');
    // The API's own metrics are not the worker's.
    expect(text).not.toContain('dunning_stripe_webhooks_total');
  });

  it('answers 404 elsewhere', async () => {
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
  });
});
