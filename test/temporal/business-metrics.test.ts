/**
 * `curl /metrics` after a small run, as `npm start` serves it (the API's metrics with the
 * worker's and the Temporal SDK's): cases recovered (by a scheduled retry, by a card update),
 * exhausted, cancelled and one still open, on a policy in seconds; every business metric holds
 * what those cases did, and the SDK's worker metrics the Grafana dashboard reads are there.
 * This file is its own process, so the worker's counters start at zero here.
 */
import './support/sdkMetricsRuntime';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerRegistry } from '../../activities/metrics';
import { Metrics } from '../../src/metrics';
import { readOpenCases } from '../../src/amountAtRisk';
import { sdkMetricsText } from '../../src/temporal/runtime';
import { POLICY_1_0, type DunningPolicy } from '../../domain/policy';
import type { DunningStatus } from '../../domain/types';
import { serveApp, type ServedApp } from '../support/appServer';
import { startStack, type Stack } from './support/stack';

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

let stack: Stack;
let app: ServedApp;
beforeAll(async () => {
  stack = await startStack({ policy: SECONDS_POLICY });
  // As main.ts wires `npm start`: the API's /metrics with the worker's registry.
  const metrics = new Metrics({
    blockedCases: () => stack.cases.blockedCaseCounts(),
    openCases: () => readOpenCases(stack.client, stack.taskQueue),
    openCasesTtlMs: 0,
    alsoRender: [workerRegistry],
    alsoText: sdkMetricsText,
  });
  app = await serveApp(stack, { cases: stack.cases, metrics });
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

/** The samples of `/metrics`: `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${app.base}/metrics`);
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (m) samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}
const sum = (samples: Map<string, number>, name: string, labels: Record<string, string> = {}) =>
  [...samples]
    .filter(([k]) => k === name || k.startsWith(`${name}{`))
    .filter(([k]) => Object.entries(labels).every(([l, v]) => k.includes(`${l}="${v}"`)))
    .reduce((n, [, v]) => n + v, 0);

describe('business metrics after a small run', () => {
  it('counts cases opened, recovered (by how and step), exhausted and cancelled, with amounts; open cases and amount at risk from visibility', async () => {
    const scenario = (amount: number, currency: string) =>
      stack.sandbox.createFailedInvoiceScenario({ email: `m${amount}@example.com`, amount, currency });
    const [byRetry, byCard, exhausted, cancelled, open] = await Promise.all([
      scenario(4900, 'usd'),
      scenario(2500, 'usd'),
      scenario(1000, 'eur'),
      scenario(700, 'eur'),
      scenario(99_000, 'gbp'),
    ]);
    const firstEmail = (id: string) => stack.untilStatus(id, 'the first email', (s) => s.emails.some((e) => e.messageId));
    await Promise.all([byRetry, byCard, cancelled].map((s) => firstEmail(s.invoiceId)));
    // The scheduled retry at 3 s finds a card that now pays; another customer updates their card.
    stack.sandbox.setPaymentMethodBehaviour(byRetry.paymentMethodId, { outcome: 'succeed' });
    stack.sandbox.setPaymentMethodBehaviour(byCard.paymentMethodId, { outcome: 'succeed' });
    const post = (path: string, body: object) => stack.api(path, { method: 'POST', body: JSON.stringify(body) });
    expect((await post(`/api/invoices/${byCard.invoiceId}/payment-method-updated`, {})).status).toBe(202);
    expect((await post(`/api/invoices/${cancelled.invoiceId}/cancel`, { reason: 'customer left' })).status).toBe(202);

    const ended = async (id: string, state: string) => {
      const result = await stack.client.workflow.getHandle(`dunning-${id}`).result();
      expect(result.state).toBe(state);
      return (await stack.status(id))!;
    };
    const statuses: DunningStatus[] = await Promise.all([
      ended(byRetry.invoiceId, 'recovered'),
      ended(byCard.invoiceId, 'recovered'),
      ended(exhausted.invoiceId, 'exhausted'),
      ended(cancelled.invoiceId, 'cancelled'),
    ]);
    statuses.push((await stack.status(open.invoiceId))!);
    expect(statuses[4]!.state).toBe('active');

    const m = await scrape();
    const ifs = { decline_category: 'insufficient_funds' };
    expect(sum(m, 'dunning_cases_opened_total', { currency: 'usd', ...ifs })).toBe(2);
    expect(sum(m, 'dunning_cases_opened_total', { currency: 'eur', ...ifs })).toBe(2);
    expect(sum(m, 'dunning_cases_opened_total', { currency: 'gbp', ...ifs })).toBe(1);

    const retry = { currency: 'usd', ...ifs, how: 'scheduled_retry', step: 'retry_1' };
    const card = { currency: 'usd', ...ifs, how: 'card_update', step: 'after_email_1' };
    expect(sum(m, 'dunning_cases_recovered_total', retry)).toBe(1);
    expect(sum(m, 'dunning_cases_recovered_total', card)).toBe(1);
    expect(sum(m, 'dunning_cases_recovered_total')).toBe(2);
    expect(sum(m, 'dunning_amount_recovered_minor_units_total', retry)).toBe(4900);
    expect(sum(m, 'dunning_amount_recovered_minor_units_total', card)).toBe(2500);
    expect(sum(m, 'dunning_cases_exhausted_total', { currency: 'eur', ...ifs })).toBe(1);
    expect(sum(m, 'dunning_cases_exhausted_total')).toBe(1);
    expect(sum(m, 'dunning_cases_cancelled_total', { currency: 'eur', ...ifs })).toBe(1);
    expect(sum(m, 'dunning_cases_cancelled_total')).toBe(1);

    // Open now: from visibility, not from counters.
    expect(sum(m, 'dunning_cases_open', { currency: 'gbp' })).toBe(1);
    expect(sum(m, 'dunning_amount_at_risk_minor_units', { currency: 'gbp' })).toBe(99_000);
    expect(sum(m, 'dunning_amount_at_risk_minor_units')).toBe(99_000);

    // Emails and charges as the cases recorded them (the open case may send its reminder meanwhile).
    const settled = statuses.slice(0, 4);
    const sentEmails = settled.flatMap((s) => s.emails.filter((e) => e.messageId));
    const after = await scrape();
    const openEmails = (await stack.status(open.invoiceId))!.emails.filter((e) => e.messageId).length;
    expect(sum(after, 'dunning_emails_total', { result: 'sent' })).toBe(sentEmails.length + openEmails);
    expect(sum(after, 'dunning_emails_total', { template: 'payment_recovered', result: 'sent' })).toBe(2);
    const attempts = statuses.flatMap((s) => s.attempts);
    expect(sum(m, 'dunning_charges_total', { outcome: 'succeeded' })).toBe(2);
    expect(sum(m, 'dunning_charges_total', { outcome: 'declined', ...ifs })).toBe(
      attempts.filter((a) => a.outcome === 'declined').length,
    );
    expect(sum(m, 'dunning_provider_errors_total')).toBe(0);

    // And the process's own metrics.
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);

    await stack.client.workflow.getHandle(`dunning-${open.invoiceId}`).terminate('test over');
  });

  it("serves the Temporal SDK's worker metrics that the Grafana dashboard reads", async () => {
    const dashboard = readFileSync(join(__dirname, '../../deploy/grafana/dashboards/dunning.json'), 'utf8');
    const used = new Set([...dashboard.matchAll(/\btemporal_\w+/g)].map((m) => m[0]));
    expect(used.size).toBeGreaterThanOrEqual(5);
    const m = await scrape();
    for (const name of used)
      expect(
        [...m.keys()].some((k) => k.startsWith(`${name}{`)),
        name,
      ).toBe(true);
  });
});
