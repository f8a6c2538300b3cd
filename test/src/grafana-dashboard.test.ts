/**
 * deploy/grafana/dashboards/dunning.json: it parses, every panel reads the provisioned Prometheus,
 * and every metric its PromQL names is one that `/metrics` exposes: the service's own (the API's
 * registry, the worker's, the process's) or the Temporal SDK's worker metrics.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exposedNames, metricNames, TEMPORAL_SDK_METRICS } from '../support/exposedMetrics';

const root = resolve(__dirname, '../..');

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/dashboards/dunning.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');

describe('deploy/grafana/dashboards/dunning.json', () => {
  it('has panels, each with a query, on the provisioned Prometheus data source', () => {
    const datasource = readFileSync(join(root, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    const uid = /^\s+uid: (\S+)$/m.exec(datasource)?.[1];
    expect(panels.length).toBeGreaterThanOrEqual(15);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.datasource?.uid ?? uid, p.title).toBe(uid);
    }
  });

  it('names only metrics that /metrics exposes', async () => {
    const exposed = await exposedNames();
    const named = new Set<string>();
    for (const p of panels) {
      for (const t of p.targets!) {
        const names = metricNames(t.expr);
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const name of names) {
          expect(exposed.has(name), `${p.title}: ${name} is not exposed`).toBe(true);
          named.add(name);
        }
      }
    }
    // What the issue asks the dashboard to show is there.
    for (const name of [
      'dunning_cases_recovered_total',
      'dunning_cases_exhausted_total',
      'dunning_amount_at_risk_minor_units',
      'dunning_amount_recovered_minor_units_total',
      'dunning_emails_total',
      'dunning_charges_total',
      'dunning_cases_blocked',
      'temporal_workflow_task_schedule_to_start_latency_bucket',
      'temporal_worker_task_slots_available',
    ])
      expect(named, name).toContain(name);
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, task_queue) (rate(temporal_x_bucket{a="b{c}"}[5m]))) / ignoring(k) max(y_total offset 1h) * 60',
      ),
    ).toEqual(['temporal_x_bucket', 'y_total']);
  });

  it("uses Temporal SDK metrics that the installed SDK's core defines", () => {
    const releases = join(root, 'node_modules/@temporalio/core-bridge/releases');
    const [target] = readdirSync(releases).filter((d) => d.startsWith(`${process.arch === 'x64' ? 'x86_64' : 'aarch64'}-`));
    const core = readFileSync(join(releases, target!, 'index.node')).toString('latin1');
    for (const name of Object.keys(TEMPORAL_SDK_METRICS)) expect(core.includes(name), name).toBe(true);
  });
});
