/**
 * The Grafana dashboard's PromQL as Grafana sends it to Prometheus: its panels' queries with the
 * built-in variables replaced the way Grafana's Prometheus data source replaces them, so that a
 * test can run them on a real Prometheus (test/temporal/prometheus.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './docsCoverage';

export interface PanelQuery {
  panel: string;
  expr: string;
}

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

export interface Dashboard {
  time: { from: string; to: string };
  templating: { list: unknown[] };
  panels: Panel[];
}

export const DASHBOARD_FILE = join(ROOT, 'deploy/grafana/dashboards/dunning.json');

export function readDashboard(file = DASHBOARD_FILE): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Every panel's every query (rows' nested panels included). */
export function panelQueries(d: Dashboard): PanelQuery[] {
  return d.panels
    .flatMap((p) => [p, ...(p.panels ?? [])])
    .filter((p) => p.type !== 'row')
    .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
}

/**
 * Grafana's `roundInterval` (rangeutil): the computed interval snapped to a round one, in ms.
 * Each pair is [below this, use that].
 */
const ROUNDED: Array<[number, number]> = [
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
  [3_628_800_000, 2_592_000_000],
];
export function roundInterval(ms: number): number {
  return ROUNDED.find(([below]) => ms < below)?.[1] ?? 31_536_000_000;
}

export interface GrafanaTime {
  /** The dashboard's time range, in ms. */
  rangeMs: number;
  /**
   * The data source's "Scrape interval" (Grafana's default 15 s: the provisioned data source sets
   * none), which is also the query's minimum interval.
   */
  scrapeIntervalMs?: number;
  /** Data points the panel asks for (about its width in pixels; Grafana's cap is the width). */
  maxDataPoints?: number;
}

/**
 * `$__interval`: the range over the panel's data points, rounded, at least the scrape interval.
 * `$__rate_interval`: max($__interval + scrape interval, 4 × scrape interval) (Grafana 7.2+).
 * `$__range`: the range in whole seconds, written `<n>s`.
 */
export function grafanaVariables(t: GrafanaTime): Record<string, string> {
  const scrape = t.scrapeIntervalMs ?? 15_000;
  const interval = Math.max(scrape, roundInterval(t.rangeMs / (t.maxDataPoints ?? 1000)));
  const rate = Math.max(interval + scrape, 4 * scrape);
  const rangeS = Math.round(t.rangeMs / 1000);
  return {
    __rate_interval: `${rate / 1000}s`,
    __interval: `${interval / 1000}s`,
    __interval_ms: String(interval),
    __range: `${rangeS}s`,
    __range_s: String(rangeS),
    __range_ms: String(rangeS * 1000),
  };
}

/**
 * `expr` with `$name`, `${name}` and `[[name]]` replaced from `vars` (the built-ins above and any
 * dashboard variable's current value); a variable it does not know is an error, not left in.
 */
export function interpolate(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    const value = vars[name];
    if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in ${expr}`);
    return value;
  });
}

/** A dashboard time like `now-30d` as ms before now (`to` must be `now`). */
export function rangeMsOf(d: Dashboard): number {
  if (d.time.to !== 'now') throw new Error(`dashboard time.to ${d.time.to}: only "now" is handled`);
  const m = /^now-(\d+)([smhdw])$/.exec(d.time.from);
  if (!m) throw new Error(`dashboard time.from ${d.time.from}: not now-<n><unit>`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit * 1000;
}
