/** The metrics registry: names and labels as before prom-client, and the gauges read at scrape time. */
import { describe, expect, it, vi } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { Metrics } from '../../src/metrics';
import type { StalledScan } from '../../src/stalled/stalledKind';

const gaugeLines = (text: string) => text.split('\n').filter((l) => l.startsWith('dunning_cases_blocked{'));

describe('Metrics', () => {
  it('keeps the counter names and labels, per app (two registries never mix)', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.webhooks.inc({ type: 'invoice.paid', result: 'ok' });
    a.webhooks.inc({ type: 'invoice.paid', result: 'ok' });
    a.apiRequests.inc({ route: '/api/dunning', status: '200' });
    a.linkVisits.inc({ result: 'portal' });
    a.eventsQuarantined.inc({ type: 'invoice.payment_failed', reason_field: 'data.object.amount_due' });
    const text = await a.render();
    expect(text).toContain('# TYPE dunning_stripe_webhooks_total counter');
    expect(text).toContain('dunning_stripe_webhooks_total{type="invoice.paid",result="ok"} 2');
    expect(text).toContain('dunning_api_requests_total{route="/api/dunning",status="200"} 1');
    expect(text).toContain('dunning_update_link_visits_total{result="portal"} 1');
    expect(text).toContain(
      'dunning_stripe_events_quarantined_total{type="invoice.payment_failed",reason_field="data.object.amount_due"} 1',
    );
    expect(await b.render()).not.toContain('invoice.paid');
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  // Prometheus's increase() cannot count the sample that creates a series: a first bounce must
  // find its series at 0 already (deploy/prometheus/alerts.yml, EmailBounceRateHigh).
  it('has every undeliverable event at 0 before the first', async () => {
    const text = await new Metrics().render();
    for (const event of ['bounced', 'complained', 'suppressed', 'failed'])
      expect(text).toContain(`dunning_email_undeliverable_total{event="${event}"} 0`);
  });

  it('reads 0 stalled cases (no labels) once a scan found none; nothing before the first scan', async () => {
    const last: { scan?: StalledScan } = {};
    const m = new Metrics({ stalled: { latest: () => last.scan } });
    expect(await m.render()).not.toMatch(/^dunning_cases_stalled/m);
    last.scan = { scannedAt: new Date().toISOString(), method: 'reported_problems', scanned: 3, truncated: false, cases: [] };
    expect(await m.render()).toMatch(/^dunning_cases_stalled 0$/m);
  });

  it('reads blocked cases when scraped, at most once per TTL, shared by concurrent scrapes', async () => {
    let stripe = 3;
    const read = vi.fn(async () => ({ stripe, resend: 1 }));
    const m = new Metrics({ blockedCases: read, blockedCasesTtlMs: 60_000 });
    expect(read).not.toHaveBeenCalled();
    const [first] = await Promise.all([m.render(), m.render(), m.render()]);
    expect(read).toHaveBeenCalledTimes(1);
    expect(gaugeLines(first)).toEqual([
      'dunning_cases_blocked{provider="stripe"} 3',
      'dunning_cases_blocked{provider="resend"} 1',
    ]);
    stripe = 5;
    expect(gaugeLines(await m.render())).toContain('dunning_cases_blocked{provider="stripe"} 3'); // cached
    expect(read).toHaveBeenCalledTimes(1);

    const fresh = new Metrics({ blockedCases: read, blockedCasesTtlMs: 0 });
    expect(gaugeLines(await fresh.render())).toContain('dunning_cases_blocked{provider="stripe"} 5');
  });

  it('Temporal down: the scrape still answers, the gauge keeps its last value, one log line per reading', async () => {
    let up = true;
    const log = vi.fn();
    const m = new Metrics({
      blockedCases: async () => {
        if (!up) throw new Error('14 UNAVAILABLE: connection refused');
        return { stripe: 2, resend: 0 };
      },
      blockedCasesTtlMs: 0,
      log,
    });
    m.webhooks.inc({ type: 'invoice.paid', result: 'ok' });
    expect(gaugeLines(await m.render())).toContain('dunning_cases_blocked{provider="stripe"} 2');
    up = false;
    const text = await m.render();
    expect(gaugeLines(text)).toEqual([
      'dunning_cases_blocked{provider="stripe"} 2',
      'dunning_cases_blocked{provider="resend"} 0',
    ]);
    expect(text).toContain('dunning_stripe_webhooks_total{type="invoice.paid",result="ok"} 1');
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![1]).toMatchObject({ error: expect.stringContaining('UNAVAILABLE') });
  });

  it("serves another registry with its own (the worker's in `npm start`)", async () => {
    const worker = new Registry();
    new Counter({ name: 'dunning_worker_thing_total', help: 'x', registers: [worker] }).inc(4);
    const m = new Metrics({ alsoRender: [worker] });
    m.webhooks.inc({ type: 'invoice.paid', result: 'ok' });
    const text = await m.render();
    expect(text).toContain('dunning_worker_thing_total 4');
    expect(text).toContain('dunning_stripe_webhooks_total{type="invoice.paid",result="ok"} 1');
    expect(await new Metrics().render()).not.toContain('dunning_worker_thing_total');
  });

  it('open cases and amount at risk by currency, read when scraped; a currency without open cases reads 0', async () => {
    let reading = { cases: { usd: 2, eur: 1 }, amount: { usd: 7400, eur: 1000 } } as {
      cases: Record<string, number>;
      amount: Record<string, number>;
    };
    const m = new Metrics({ openCases: async () => reading, openCasesTtlMs: 0 });
    const lines = (text: string) => text.split('\n').filter((l) => /^dunning_(cases_open|amount_at_risk_minor_units)\{/.test(l));
    expect(lines(await m.render())).toEqual([
      'dunning_cases_open{currency="usd"} 2',
      'dunning_cases_open{currency="eur"} 1',
      'dunning_amount_at_risk_minor_units{currency="usd"} 7400',
      'dunning_amount_at_risk_minor_units{currency="eur"} 1000',
    ]);
    reading = { cases: { usd: 1 }, amount: { usd: 4900 } };
    expect(lines(await m.render())).toContain('dunning_amount_at_risk_minor_units{currency="eur"} 0');
    expect(lines(await m.render())).toContain('dunning_amount_at_risk_minor_units{currency="usd"} 4900');
  });

  it('a slow reading does not hold the scrape: it answers with the last values, the reading sets the next', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const m = new Metrics({
      blockedCases: async () => {
        await slow;
        return { stripe: 4, resend: 0 };
      },
      blockedCasesTtlMs: 0,
    });
    const t0 = Date.now();
    expect(gaugeLines(await m.render())).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(4000);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(gaugeLines(await m.render())).toContain('dunning_cases_blocked{provider="stripe"} 4');
  });

  it("serves the process metrics and appends text (the Temporal SDK's)", async () => {
    const text = await new Metrics({ alsoText: async () => 'temporal_num_pollers{poller_type="workflow_task"} 2\n' }).render();
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text.trimEnd().endsWith('temporal_num_pollers{poller_type="workflow_task"} 2')).toBe(true);
  });
});
