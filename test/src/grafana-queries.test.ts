/**
 * test/support/grafanaQueries.ts: the dashboard's queries with Grafana's variables replaced as
 * Grafana's Prometheus data source does (the real Prometheus runs them in test/temporal/prometheus.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { grafanaVariables, interpolate, panelQueries, rangeMsOf, readDashboard, roundInterval } from '../support/grafanaQueries';

describe("Grafana's variables", () => {
  it('computes $__rate_interval as max($__interval + scrape interval, 4 × scrape interval)', () => {
    // 30 days over 1000 points: 43 min, rounded to 30 min; + 15 s.
    expect(grafanaVariables({ rangeMs: 30 * 86_400_000 }).__rate_interval).toBe('1815s');
    // 5 minutes: $__interval is the scrape interval (15 s), so 4 × 15 s wins.
    expect(grafanaVariables({ rangeMs: 300_000 }).__rate_interval).toBe('60s');
    expect(grafanaVariables({ rangeMs: 300_000, scrapeIntervalMs: 1000 }).__rate_interval).toBe('4s');
    expect(grafanaVariables({ rangeMs: 300_000 }).__range).toBe('300s');
    expect(grafanaVariables({ rangeMs: 30 * 86_400_000 }).__range).toBe('2592000s');
  });

  it("rounds intervals as Grafana's roundInterval", () => {
    expect(roundInterval(2_592_000)).toBe(1_800_000);
    expect(roundInterval(300)).toBe(200);
    expect(roundInterval(16_000)).toBe(15_000);
    expect(roundInterval(4e12)).toBe(31_536_000_000);
  });

  it('replaces $x, ${x} and [[x]], and refuses a variable it does not know', () => {
    const vars = { __range: '60s', env: 'prod' };
    expect(interpolate('rate(a[$__range]) + b{e="${env}"} + c{e="[[env]]"}', vars)).toBe(
      'rate(a[60s]) + b{e="prod"} + c{e="prod"}',
    );
    expect(() => interpolate('rate(a[$__rate_interval])', vars)).toThrow(/unknown Grafana variable \$__rate_interval/);
  });

  it("reads the dashboard's queries and time range", () => {
    const d = readDashboard();
    expect(rangeMsOf(d)).toBe(30 * 86_400_000);
    const queries = panelQueries(d);
    expect(queries.length).toBeGreaterThanOrEqual(20);
    // Every query interpolates with the built-ins alone (the dashboard has no variables of its own).
    expect(d.templating.list).toEqual([]);
    for (const q of queries) expect(interpolate(q.expr, grafanaVariables({ rangeMs: rangeMsOf(d) }))).not.toMatch(/\$/);
  });
});
