/**
 * The scrape config of a Prometheus run on this machine (`npm run prometheus`, the monitoring
 * tests): the compose stack's deploy/prometheus/prometheus.yml with static targets in place of
 * its DNS discovery, a token file in place of the container's, and the same alert rules.
 */
import { resolve } from 'node:path';

/** The repository's alert rules, as compose's Prometheus loads them. */
export const ALERT_RULES_FILE = resolve(__dirname, '../../deploy/prometheus/alerts.yml');

export interface ScrapeTarget {
  /** The compose stack's job names: `dunning-api` (the API's /metrics; all of it in `npm start`), `dunning-worker`. */
  job: 'dunning-api' | 'dunning-worker';
  /** `host:port` serving `/metrics`. */
  address: string;
}

export interface LocalPrometheusConfig {
  targets: ScrapeTarget[];
  /** Seconds between scrapes and between rule evaluations (compose: 15). */
  intervalSeconds: number;
  /** A file holding METRICS_TOKEN (production's /metrics needs it); unset: no authorization. */
  tokenFile?: string;
  ruleFiles?: string[];
}

/** prometheus.yml as text (YAML is a superset of JSON: one JSON value per line keeps it exact). */
export function prometheusConfig(c: LocalPrometheusConfig): string {
  const jobs = [...new Set(c.targets.map((t) => t.job))];
  const interval = `${c.intervalSeconds}s`;
  const lines = [
    `# Written by tools/prometheus for a run on this machine; compose's is deploy/prometheus/prometheus.yml.`,
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
  ];
  for (const job of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(job)}`);
    if (c.tokenFile) lines.push('    authorization:', `      credentials_file: ${JSON.stringify(c.tokenFile)}`);
    const addresses = c.targets.filter((t) => t.job === job).map((t) => t.address);
    lines.push('    static_configs:', `      - targets: ${JSON.stringify(addresses)}`);
  }
  lines.push(`rule_files: ${JSON.stringify(c.ruleFiles ?? [ALERT_RULES_FILE])}`);
  return `${lines.join('\n')}\n`;
}
