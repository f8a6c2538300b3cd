/**
 * The metric names `/metrics` exposes (the service's registries and the Temporal SDK's worker
 * metrics), and the metric names a PromQL expression reads: for the checks that the Grafana
 * dashboard and the alert rules name only metrics that exist.
 */
import { workerRegistry } from '../../activities/metrics';
import { Metrics, processRegistry, undecryptableRegistry } from '../../src/metrics';

/**
 * The Temporal SDK worker metrics the dashboard and the alerts may use, as the TS SDK's core
 * exports them to Prometheus with the default `temporal_` prefix (src/temporal/runtime.ts installs
 * it so). Durations are in milliseconds (`useSecondsForDurations` is off). Counters carry no
 * `_total` (`countersTotalSuffix` is off: runtime.ts leaves the default; the real scrape in
 * test/temporal/prometheus.test.ts sees `temporal_workflow_completed` so named). Each name is
 * checked against the native core of the installed SDK (test/src/grafana-dashboard.test.ts).
 */
export const TEMPORAL_SDK_METRICS: Record<string, 'gauge' | 'histogram' | 'counter'> = {
  workflow_task_schedule_to_start_latency: 'histogram',
  workflow_task_execution_latency: 'histogram',
  activity_schedule_to_start_latency: 'histogram',
  activity_execution_latency: 'histogram',
  worker_task_slots_available: 'gauge',
  worker_task_slots_used: 'gauge',
  sticky_cache_size: 'gauge',
  num_pollers: 'gauge',
  workflow_failed: 'counter',
  workflow_completed: 'counter',
};

/** Every sample name a registry's metrics produce (a histogram's `_bucket`, `_sum`, `_count`). */
export async function exposedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [new Metrics().registry, workerRegistry, processRegistry, undecryptableRegistry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
      if (String(m.type) === 'summary') for (const s of ['_sum', '_count']) names.add(`${m.name}${s}`);
    }
  }
  for (const [name, type] of Object.entries(TEMPORAL_SDK_METRICS)) {
    names.add(`temporal_${name}`);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`temporal_${name}${s}`);
  }
  return names;
}

/** The metric names in a PromQL expression: identifiers that are not functions, keywords, labels or ranges. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values (and label_replace's strings)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
  return [...stripped.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)]
    .map((m) => m[1]!)
    .filter((name) => !keywords.has(name.toLowerCase()));
}
