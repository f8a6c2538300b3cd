/**
 * `/metrics` on a real Temporal server: the blocked-cases gauge is counted from visibility
 * (`DunningBlockedOn`) when scraped, and a scrape still answers while Temporal is down.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DunningClient } from '../../src/dunningClient';
import { Metrics } from '../../src/metrics';
import { POLICY_1_0 } from '../../domain/policy';
import { DunningBlockedOn, DunningState } from '../../domain/searchAttributes';
import { serveApp } from '../support/appServer';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ stripeWebhooks: false, worker: false });
});
afterAll(async () => {
  await stack?.close();
});

async function serve(cases: DunningClient, metrics?: Metrics) {
  const { base, close } = await serveApp(stack, { cases, metrics });
  return {
    scrape: async () => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text();
    },
    close,
  };
}
const gauge = (text: string, provider: string) =>
  Number(new RegExp(`dunning_cases_blocked\\{provider="${provider}"\\} (\\d+)`).exec(text)?.[1]);

describe('dunning_cases_blocked', () => {
  it("counts this deployment's running cases by DunningBlockedOn, from visibility, when scraped", async () => {
    // Cases as the workflow marks them while it waits on a provider, on a task queue no worker
    // polls (they stay as set here); the gauge counts per deployment (task queue).
    const queue = `gauge-${randomBytes(4).toString('hex')}`;
    const started: WorkflowHandle[] = [];
    const start = async (blockedOn: string | undefined) => {
      started.push(
        await stack.client.workflow.start('dunningWorkflow', {
          workflowId: `gauge-test-${randomBytes(6).toString('hex')}`,
          taskQueue: queue,
          args: [{}],
          typedSearchAttributes: [
            { key: DunningState, value: 'active' },
            ...(blockedOn === undefined ? [] : [{ key: DunningBlockedOn, value: blockedOn }]),
          ],
        }),
      );
    };
    const cases = new DunningClient(stack.client, queue, POLICY_1_0);
    const api = await serve(cases, new Metrics({ blockedCases: () => cases.blockedCaseCounts(), blockedCasesTtlMs: 0 }));
    try {
      expect(await api.scrape()).toContain('dunning_cases_blocked{provider="stripe"} 0');
      for (const b of ['stripe', 'stripe', 'resend', '', undefined]) await start(b);
      // Another deployment's blocked case is not ours.
      await stack.client.workflow
        .start('dunningWorkflow', {
          workflowId: `gauge-test-other-${randomBytes(6).toString('hex')}`,
          taskQueue: `${queue}-other`,
          args: [{}],
          typedSearchAttributes: [{ key: DunningBlockedOn, value: 'stripe' }],
        })
        .then((h) => started.push(h));

      const text = await eventually(
        async () => {
          const t = await api.scrape();
          return gauge(t, 'stripe') === 2 && gauge(t, 'resend') === 1 ? t : undefined;
        },
        15_000,
        'the gauge to count the blocked cases',
      );
      expect(text).toContain('# TYPE dunning_cases_blocked gauge');

      // A case that ends is no longer counted.
      await started[0]!.terminate('test');
      await eventually(async () => (gauge(await api.scrape(), 'stripe') === 1 ? true : undefined), 15_000, 'the gauge to drop');
    } finally {
      await api.close();
      await Promise.all(started.map((h) => h.terminate('test over').catch(() => undefined)));
    }
  });

  it('the default app wiring reads the gauge; with Temporal unreachable the scrape still answers, in seconds', async () => {
    // Nothing listens on port 1: every Temporal call fails.
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
    const api = await serve(new DunningClient(dead, 'nowhere', POLICY_1_0, 1500));
    try {
      const t0 = Date.now();
      const text = await api.scrape();
      expect(Date.now() - t0).toBeLessThan(8000);
      expect(text).toContain('# TYPE dunning_cases_blocked gauge');
      expect(text).not.toMatch(/dunning_cases_blocked\{/); // never read: no value rather than a made-up 0
      expect(text).toContain('# TYPE dunning_stripe_webhooks_total counter');
    } finally {
      await api.close();
    }
    const live = await serve(new DunningClient(stack.client, `idle-${randomBytes(4).toString('hex')}`, POLICY_1_0));
    try {
      expect(await live.scrape()).toContain('dunning_cases_blocked{provider="resend"} 0');
    } finally {
      await live.close();
    }
  });
});
