/**
 * The monitoring stack evaluated with a real Prometheus (Debian's 2.42 from the toolchain, as
 * `npm run prometheus` runs it): the service as `npm start` wires it (the API's `/metrics` with the
 * worker's counters and the Temporal SDK's metrics) on the real dev server, a short load of
 * eleven failed payments through the Stripe sandbox's signed webhooks, Prometheus scraping every second
 * with the repository's alert rules. Then every Grafana panel's query, with Grafana's variables
 * replaced as Grafana replaces them, through `/api/v1/query`: none may error or come back empty.
 * And alerts fire for real: the bounces and Stripe's own retry of the load, seen in `/api/v1/alerts`.
 * Where the compose image's Prometheus 3.5 is built on this machine (npm run stack:containers), the
 * same queries run on it too.
 */
import './support/sdkMetricsRuntime';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_1_0, type DunningPolicy } from '../../domain/policy';
import { cacheDir, cachedToolchain } from '../../tools/toolchain';
import { freePort } from '../../tools/toolchain/ports';
import { startPrometheus, type PromSample, type RunningPrometheus } from '../../tools/prometheus/server';
import { grafanaVariables, interpolate, panelQueries, rangeMsOf, readDashboard } from '../support/grafanaQueries';
import { eventually, startStack, type Stack } from './support/stack';

const prometheus2 = process.env.PROMETHEUS_PATH || cachedToolchain().prometheus;
/** The compose file's prom/prometheus:v3.5.0, as scripts/containers builds it (absent unless built). */
const prometheus3 = join(cacheDir(), 'prometheus-v3.5.0', 'prometheus');

/** A case in seconds: an email, a retry at 3 s, a reminder, the end at 8 s; big invoices last an hour. */
const SECONDS_POLICY: DunningPolicy = {
  ...POLICY_1_0,
  steps: [
    { at: '0', action: 'email', template: 'payment_failed' },
    { at: '3s', action: 'retry' },
    { at: '5s', action: 'email', template: 'reminder' },
  ],
  endAfter: '8s',
  grace: '8s',
  endAction: 'cancel_subscription',
  retryHour: null,
  minRetryGap: '1s',
  byCategory: undefined,
  overrides: [{ match: { minAmount: 90_000 }, policy: { endAfter: '1h', grace: '1h' } }],
};

/** Seconds between scrapes and rule evaluations: the load is over in about 20 s. */
const INTERVAL_S = 1;

let stack: Stack;
const servers: Array<{ name: string; prom: RunningPrometheus }> = [];
let openInvoice = '';

beforeAll(async () => {
  if (!prometheus2) return;
  stack = await startStack({ policy: SECONDS_POLICY, allMetrics: true, stalledScanEveryMs: 1000 });
  const address = new URL(stack.baseUrl).host;
  for (const [name, binary] of [
    ['2.42', prometheus2],
    ['3.5', existsSync(prometheus3) ? prometheus3 : undefined],
  ] as const) {
    if (!binary) continue;
    const prom = await startPrometheus({
      binary,
      port: await freePort(),
      intervalSeconds: INTERVAL_S,
      targets: [{ job: 'dunning-api', address }],
    });
    servers.push({ name, prom });
  }

  // Every Prometheus has scraped the counters at 0 before the load: increase() cannot count the
  // sample that first shows a series, and the bounces come back within a second or two.
  await scraped('count(dunning_email_undeliverable_total)', 1);

  // ---- the load: failed payments, each through the sandbox's signed webhook ---------------------
  const scenario = (email: string, amount: number, currency = 'usd') =>
    stack.sandbox.createFailedInvoiceScenario({ email, amount, currency });
  // One send answered 500 first: a provider error, retried by Temporal.
  await fetch(`${stack.outbox.url}/_outbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 500, count: 1 }),
  });
  const [byRetry, byCard, exhausted, cancelled, open, ...bounced] = await Promise.all([
    scenario('retry@example.com', 4900),
    scenario('card@example.com', 2500),
    scenario('exhausted@example.com', 1000, 'eur'),
    scenario('cancelled@example.com', 700, 'eur'),
    scenario('open@example.com', 99_000, 'gbp'),
    // Resend's test address: each first email bounces (a signed email.bounced webhook back).
    ...[1, 2, 3].map((i) => scenario(`bounced+${i}@resend.dev`, 1500 + i)),
  ]);
  openInvoice = open!.invoiceId;
  // The scheduled retry at 3 s finds a card that now pays.
  stack.sandbox.setPaymentMethodBehaviour(byRetry!.paymentMethodId, { outcome: 'succeed' });
  const firstEmail = (id: string) => stack.untilStatus(id, 'the first email', (s) => s.emails.some((e) => e.messageId));
  await Promise.all([byCard!, cancelled!].map((s) => firstEmail(s.invoiceId)));
  stack.sandbox.setPaymentMethodBehaviour(byCard!.paymentMethodId, { outcome: 'succeed' });
  const post = (path: string, body: object) => stack.api(path, { method: 'POST', body: JSON.stringify(body) });
  expect((await post(`/api/invoices/${byCard!.invoiceId}/payment-method-updated`, {})).status).toBe(202);
  expect((await post(`/api/invoices/${cancelled!.invoiceId}/cancel`, { reason: 'customer left' })).status).toBe(202);
  // Stripe's own retry of the open case's invoice, as Stripe renders one: no request, attempt 2.
  const [failed] = stack.eventsFor('invoice.payment_failed', openInvoice);
  const invoice = failed!.data.object as { attempt_count: number };
  const retried = { ...failed!, id: `${failed!.id}_auto`, request: { id: null, idempotency_key: null } };
  retried.data = { ...failed!.data, object: { ...invoice, attempt_count: 2 } };
  expect((await stack.deliver(retried)).status).toBe(200);

  // The case starts when the sandbox's webhook is taken: wait for it, then for its end.
  const ended = async (id: string, state: string) => {
    await stack.untilStatus(id, 'the case', () => true);
    expect((await stack.client.workflow.getHandle(`dunning-${id}`).result()).state).toBe(state);
  };
  await Promise.all([
    ended(byRetry!.invoiceId, 'recovered'),
    ended(byCard!.invoiceId, 'recovered'),
    ended(exhausted!.invoiceId, 'exhausted'),
    ended(cancelled!.invoiceId, 'cancelled'),
    ...bounced.map((s) => stack.untilStatus(s.invoiceId, 'the bounce', (x) => x.emailUndeliverable !== undefined)),
  ]);
  await scraped('sum(dunning_cases_cancelled_total)', 1);
  await scraped('sum(dunning_cases_recovered_total)', 2);

  // A second wave on the same labels: a counter's series is created by its first count, which
  // increase() cannot see (docs/operations.md, "What the dashboard's increases miss"); production's
  // second recovery in a currency, category, how and step is seen, and so is this one.
  const [retryAgain, exhaustedAgain] = await Promise.all([
    scenario('retry2@example.com', 5100),
    scenario('exhausted2@example.com', 1100, 'eur'),
  ]);
  stack.sandbox.setPaymentMethodBehaviour(retryAgain!.paymentMethodId, { outcome: 'succeed' });
  await Promise.all([ended(retryAgain!.invoiceId, 'recovered'), ended(exhaustedAgain!.invoiceId, 'exhausted')]);
  // The bounced cases end exhausted too: 1 + 3 before, one more now.
  await scraped('sum(dunning_cases_exhausted_total)', 5);
  await scraped('sum(dunning_cases_recovered_total)', 3);
  // The open-cases gauges read visibility at most every 30 s; their first read came with the first
  // scrape, before the load, and found no case.
  await scraped('count(dunning_amount_at_risk_minor_units)', 1, 45_000);
  await new Promise((r) => setTimeout(r, 5 * INTERVAL_S * 1000));
}, 240_000);

afterAll(async () => {
  if (openInvoice) await stack.client.workflow.getHandle(`dunning-${openInvoice}`).terminate('test over');
  for (const { prom } of servers) await prom.close();
  await stack?.close();
});

/** Until every Prometheus has scraped `expr` (a sum) at `value` or more. */
async function scraped(expr: string, value: number, timeoutMs = 30_000): Promise<void> {
  for (const { name, prom } of servers) {
    await eventually(
      async () => {
        const now = (await prom.query(expr))[0]?.value[1];
        if (Number(now) >= value) return true;
        throw new Error(`${expr} = ${now ?? 'nothing'}`);
      },
      timeoutMs,
      `${name}: ${expr} = ${value} scraped`,
    );
  }
}

/** Grafana's view: the dashboard's own range (30 days), and zoomed in to the last 5 minutes. */
const dashboard = readDashboard();
const RANGES = { dashboard: rangeMsOf(dashboard), 'last 5 minutes': 300_000 };

describe.skipIf(!prometheus2)('a real Prometheus scraping the service', () => {
  it('scrapes the API, which serves the worker and Temporal SDK metrics too', async () => {
    for (const { name, prom } of servers) {
      const targets = await prom.targets();
      expect(
        targets.map((t) => [t.labels.job, t.health]),
        name,
      ).toEqual([['dunning-api', 'up']]);
      expect(await prom.version()).toMatch(name === '2.42' ? /^2\.42\./ : /^3\.5\./);
      // The SDK's counters have no _total (countersTotalSuffix off): the names the alerts read.
      expect((await prom.query('temporal_workflow_completed')).length, name).toBeGreaterThan(0);
      expect((await prom.query('temporal_activity_schedule_to_start_latency_bucket')).length, name).toBeGreaterThan(0);
    }
  });

  for (const [rangeName, rangeMs] of Object.entries(RANGES)) {
    it(`answers every Grafana panel's query, not empty (${rangeName})`, async () => {
      const vars = grafanaVariables({ rangeMs });
      const problems: string[] = [];
      for (const { name, prom } of servers) {
        for (const q of panelQueries(dashboard)) {
          const expr = interpolate(q.expr, vars);
          let result: PromSample[];
          try {
            result = await prom.query(expr);
          } catch (err) {
            problems.push(`${name} ${q.panel}: ${expr}: ${String(err)}`);
            continue;
          }
          if (result.length === 0) problems.push(`${name} ${q.panel}: ${expr}: empty`);
          // NaN is "no data" to Grafana too (0/0: no case ended).
          else if (result.every((s) => s.value[1] === 'NaN')) problems.push(`${name} ${q.panel}: ${expr}: NaN`);
        }
      }
      expect(problems.join('\n')).toBe('');
    });
  }

  it('fires the alerts the load calls for, and no other; every rule evaluates without error', async () => {
    for (const { name, prom } of servers) {
      // Rules are evaluated every second; give them a few evaluations, then say what fired.
      let firing: string[] = [];
      const deadline = Date.now() + 20_000;
      do {
        firing = (await prom.alerts())
          .filter((a) => a.state === 'firing')
          .map((a) => a.labels.alertname!)
          .sort();
        if (firing.includes('EmailBounceRateHigh') && firing.includes('StripeSmartRetriesOn')) break;
        await new Promise((r) => setTimeout(r, 500));
      } while (Date.now() < deadline);
      const seen = async (e: string) => (await prom.query(e))[0]?.value[1] ?? 'nothing';
      const why = `raw ${await seen('sum(dunning_email_undeliverable_total)')} bounced ${await seen('sum(increase(dunning_email_undeliverable_total{event="bounced"}[1h]))')}, sent ${await seen('sum(increase(dunning_emails_total{result="sent"}[1h]))')}`;
      expect(firing, `${name} (${why})`).toEqual(['EmailBounceRateHigh', 'StripeSmartRetriesOn']);
      const res = await fetch(`${prom.url}/api/v1/rules`);
      const groups = (
        (await res.json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } }
      ).data.groups;
      const rules = groups.flatMap((g) => g.rules);
      expect(rules.length, name).toBeGreaterThanOrEqual(11);
      for (const r of rules) expect([r.name, r.health, r.lastError ?? ''], name).toEqual([r.name, 'ok', '']);
    }
  });
});
