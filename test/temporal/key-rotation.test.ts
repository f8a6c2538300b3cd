/**
 * Key rotation on the real dev server (#21 §3): cases and a quarantined event are written under
 * keys [old, new] (old first, so it encrypts), then an API process restarted with [new] only (the
 * old key removed too early) must still answer every route: the lists show the unreadable rows
 * flagged (id and state from the search attributes), the status route says what is wrong, and
 * the card-update webhooks still reach their cases. The worker that still has the old key carries
 * the updates out; one with [new] only cannot replay the cases' histories (see the second test
 * and docs/production/key-rotation.md).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdForInvoice } from '../../domain/messages';
import { workflowIdForQuarantine } from '../../domain/quarantineMessages';
import { POLICY_1_0 } from '../../domain/policy';
import type { DunningStatus } from '../../domain/types';
import { stripeSignatureHeader, type StripeEventPayload } from '../../sandbox/stripe';
import { freePort } from '../../tools/toolchain/ports';
import { DunningClient } from '../../src/dunningClient';
import { createApp } from '../../src/http/app';
import { encryptingDataConverter } from '../../src/temporal/dataConverter';
import { METADATA_KEY_ID, type EncryptionKey } from '../../src/temporal/payloadCodec';
import { DunningCustomerId, DunningInvoiceId, DunningState } from '../../domain/searchAttributes';
import { createResendClient } from '../../src/providers/resend';
import { loadNetworkRules } from '../../src/networkRulesFile';
import { createWorkers } from '../../src/worker';
import { eventually, sharedBundle, startStack, TEST_ENCRYPTION_KEYS, type Stack } from './support/stack';

const OLD: EncryptionKey = { id: `rotation-old-${randomBytes(3).toString('hex')}`, key: randomBytes(32) };
const NEW_ONLY = TEST_ENCRYPTION_KEYS;

let stack: Stack;
/** Every workflow this file wrote under the old key: deleted at the end, so that other files' lists stay readable. */
const written: string[] = [];

beforeAll(async () => {
  stack = await startStack({ stripeWebhooks: false, encryptionKeys: [OLD, ...NEW_ONLY] });
});
afterAll(async () => {
  const namespace = stack?.client.options.namespace;
  for (const workflowId of written) {
    await stack.client.workflowService
      .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId } })
      .catch(() => undefined);
  }
  await stack?.close();
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });
const lastEvent = (type: string, objectId: string): StripeEventPayload => {
  const all = stack.eventsFor(type, objectId);
  expect(all.length, `a ${type} event for ${objectId}`).toBeGreaterThan(0);
  return all[all.length - 1]!;
};

/** A case opened by the stack (keys [old, new]): its input, memo and query answers under the old key. */
async function caseUnderOldKey(options: { ownCards?: boolean } = {}) {
  const s = await stack.sandbox.createFailedInvoiceScenario({
    ...options,
    email: `rot-${randomBytes(4).toString('hex')}@example.com`,
    amount: 3100,
    currency: 'eur',
    decline: 'pm_card_chargeDeclinedInsufficientFunds',
  });
  written.push(workflowIdForInvoice(s.invoiceId));
  expect((await stack.deliver(lastEvent('invoice.payment_failed', s.invoiceId))).status).toBe(200);
  // The memo (subscription id) is written once the case has read the invoice.
  await eventually(
    async () => (await stack.cases.list({ customerId: s.customerId })).find((c) => c.subscriptionId === s.subscriptionId),
    30_000,
    'the case listed with its subscription',
  );
  await stack.untilStatus(s.invoiceId, 'the first email', (x) => x.emails.length >= 1, 30_000);
  return s;
}

/** The HTTP service as restarted with [new] only, on the same task queue, Stripe and secrets; no worker. */
async function apiWithKeys(keys: EncryptionKey[]) {
  const client = new Client({
    connection: stack.client.connection,
    namespace: stack.client.options.namespace,
    dataConverter: encryptingDataConverter(keys),
  });
  const cases = new DunningClient(client, stack.taskQueue, POLICY_1_0);
  const app = createApp({
    stripe: stack.stripe,
    cases,
    webhookSecret: stack.webhookSecret,
    apiToken: stack.apiToken,
    linkSecret: stack.linkSecret,
    publicBaseUrl: stack.baseUrl,
    businessName: 'Acme',
    log: () => undefined,
  });
  const port = await freePort();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${stack.apiToken}`, 'content-type': 'application/json' };
  return {
    url,
    get: (path: string) => fetch(`${url}${path}`, { headers }),
    post: (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }),
    deliver: (event: StripeEventPayload) => {
      const payload = JSON.stringify(event);
      return fetch(`${url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignatureHeader(payload, stack.webhookSecret) },
        body: payload,
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A worker on the stack's task queue with `keys`, as `npm start` wires it (the activities' client too); returns its stop. */
async function startWorker(keys: EncryptionKey[]): Promise<() => Promise<void>> {
  const address = inject('temporalAddress');
  const namespace = stack.client.options.namespace;
  const connection = await NativeConnection.connect({ address });
  const dataConverter = encryptingDataConverter(keys);
  // The activities' client too (the card ledger): with the same keys, as `npm start` wires it.
  const client = new Client({ connection: await Connection.connect({ address }), namespace, dataConverter });
  const workers = await createWorkers({
    deployment: stack.deployment, // the same build, already current: no other version to make so
    connection,
    client,
    namespace,
    taskQueue: stack.taskQueue,
    stripe: stack.stripe,
    resend: createResendClient({ apiKey: 're_test', baseUrl: stack.outbox.url }),
    email: {
      from: 'Acme Billing <billing@acme.test>',
      replyTo: 'support@acme.test',
      businessName: 'Acme',
      publicBaseUrl: stack.baseUrl,
      linkSecret: stack.linkSecret,
      linkTtlDays: 30,
    },
    emailRatePerSecond: 50,
    networkRules: loadNetworkRules(),
    dataConverter,
    workflowBundle: await sharedBundle(),
  });
  const running = workers.run();
  return async () => {
    workers.shutdown();
    await running;
    await connection.close();
    await client.connection.close();
  };
}

type Row = { workflowId: string; invoiceId?: string; state?: string; subscriptionId?: string; undecryptable?: boolean };

describe('an API restarted without the old key', () => {
  it('answers every route, flags the unreadable rows, and still routes card updates to their cases', async () => {
    const a = await caseUnderOldKey();
    const b = await caseUnderOldKey();
    // A refused event in quarantine, its memo under the old key too.
    const failed = lastEvent('invoice.payment_failed', a.invoiceId);
    const badId = `${failed.id}_rot`;
    const bad = { ...failed, id: badId, data: { object: { ...(failed.data.object as object), amount_due: '3100' } } };
    written.push(workflowIdForQuarantine(badId));
    expect(await json(await stack.deliver(JSON.stringify(bad)))).toMatchObject({ status: 200, body: { quarantined: badId } });

    // The check docs/production/key-rotation.md gives before an old key may go: executions started
    // before the rotation are still there (the count an operator runs with the Temporal CLI).
    const rotatedAt = new Date().toISOString();
    const before = await stack.client.workflow.count(`TaskQueue = '${stack.taskQueue}' AND StartTime < '${rotatedAt}'`);
    expect(before.count).toBeGreaterThanOrEqual(3);

    const api = await apiWithKeys(NEW_ONLY);
    try {
      // The list: 200, each case of ours flagged, with its id and state from the search attributes.
      const listed = await json(await api.get(`/api/dunning?customerId=${a.customerId}`));
      expect(listed.status).toBe(200);
      expect(listed.body.cases).toEqual([
        expect.objectContaining({ invoiceId: a.invoiceId, customerId: a.customerId, state: 'active', undecryptable: true }),
      ]);
      expect((listed.body.cases as Row[])[0]!.subscriptionId).toBeUndefined();
      const all = await json(await api.get('/api/dunning?limit=1000'));
      expect(all.status).toBe(200);
      const ours = (all.body.cases as Row[]).filter((c) => c.invoiceId === a.invoiceId || c.invoiceId === b.invoiceId);
      expect(ours.map((c) => [c.state, c.undecryptable])).toEqual([
        ['active', true],
        ['active', true],
      ]);

      // The quarantine list: the event flagged, under its id.
      const quarantine = await json(await api.get('/api/quarantine'));
      expect(quarantine.status).toBe(200);
      expect(quarantine.body.events).toContainEqual(expect.objectContaining({ eventId: badId, undecryptable: true }));
      // Its details cannot be read: said so, not a 500.
      expect(await json(await api.get(`/api/quarantine/${badId}`))).toMatchObject({
        status: 409,
        body: { error: { code: 'undecryptable', message: expect.stringContaining('PAYLOAD_ENCRYPTION_KEYS') } },
      });

      // The dashboard: the page, with the unreadable cases counted and named.
      const page = await api.get('/dashboard');
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/data-figure="undecryptable-count">2</);
      expect(html).toContain(a.invoiceId);

      // One case's status: not a 500, but what is wrong and what visibility still knows.
      const status = await json(await api.get(`/api/invoices/${a.invoiceId}/dunning`));
      expect(status).toMatchObject({
        status: 409,
        body: {
          error: { code: 'case_undecryptable', message: expect.stringContaining('PAYLOAD_ENCRYPTION_KEYS') },
          case: { invoiceId: a.invoiceId, state: 'active', undecryptable: true },
        },
      });

      // Counted.
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(metrics).toMatch(/dunning_undecryptable_rows_total\{list="cases"\} [1-9]/);
      expect(metrics).toMatch(/dunning_undecryptable_rows_total\{list="quarantine"\} [1-9]/);

      // Card updates reach their cases: the subscription's own new card (routed by subscription,
      // which the unreadable memo no longer tells: Stripe's open invoices do) and a customer's
      // new card (routed by DunningCustomerId).
      const { paymentMethodId: subCard } = await stack.sandbox.attachTestPaymentMethod(a.customerId, 'pm_card_visa', {
        makeDefault: false,
      });
      await stack.stripe.subscriptions.update(a.subscriptionId, { default_payment_method: subCard });
      const subUpdated = await json(await api.deliver(lastEvent('customer.subscription.updated', a.subscriptionId)));
      expect(subUpdated).toEqual({
        status: 200,
        body: expect.objectContaining({ signaled: [workflowIdForInvoice(a.invoiceId)] }),
      });

      const { paymentMethodId: newCard } = await stack.sandbox.attachTestPaymentMethod(b.customerId, 'pm_card_visa', {
        makeDefault: true,
      });
      const attached = await json(await api.deliver(lastEvent('payment_method.attached', newCard)));
      expect(attached).toEqual({ status: 200, body: expect.objectContaining({ signaled: [workflowIdForInvoice(b.invoiceId)] }) });

      // The worker still has the old key: both cases take the update and recover.
      for (const s of [a, b]) {
        const st = await stack.untilStatus(s.invoiceId, 'recovered', (x: DunningStatus) => x.state === 'recovered', 30_000);
        expect(st.outcome).toBe('card_updated');
      }
    } finally {
      await api.close();
    }
  }, 150_000);
});

describe('a subscription cancelled while its case is unreadable', () => {
  it("reaches the case through the invoice Stripe returns, not the memo's subscription id", async () => {
    const c = await caseUnderOldKey();
    const api = await apiWithKeys(NEW_ONLY);
    try {
      await stack.stripe.subscriptions.cancel(c.subscriptionId);
      const event = structuredClone(lastEvent('customer.subscription.deleted', c.subscriptionId));
      // The event names the subscription's latest invoice, which need not be the failing one (a
      // later renewal): routing must find the case without it.
      (event.data.object as { latest_invoice?: unknown }).latest_invoice = null;
      const answer = await json(await api.deliver(event));
      expect(answer).toEqual({ status: 200, body: expect.objectContaining({ signaled: [workflowIdForInvoice(c.invoiceId)] }) });
      // The worker still has the old key: the case ends as the cancellation says.
      const st = await stack.untilStatus(c.invoiceId, 'cancelled', (x: DunningStatus) => x.state === 'cancelled', 30_000);
      expect(st.outcome).toBe('subscription_deleted');
    } finally {
      await api.close();
    }
  }, 90_000);
});

describe('a worker restarted without the old key', () => {
  it('cannot run a case written under it: the update waits in the history, and the case goes on once the key is back', async () => {
    const s = await caseUnderOldKey();
    const api = await apiWithKeys(NEW_ONLY);
    const namespace = stack.client.options.namespace;
    try {
      // The stack's worker (old key) stops; one with [new] only takes the task queue.
      await stack.stopWorker();
      const stopNewOnly = await startWorker(NEW_ONLY);
      try {
        const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa', {
          makeDefault: true,
        });
        const answer = await json(await api.deliver(lastEvent('payment_method.attached', paymentMethodId)));
        expect(answer).toEqual({ status: 200, body: expect.objectContaining({ signaled: [workflowIdForInvoice(s.invoiceId)] }) });
        // The signal is durable in the history; the worker's task fails on the old key, nothing is charged.
        const plain = new Client({ connection: stack.client.connection, namespace });
        await eventually(
          async () => {
            const h = await plain.workflow.getHandle(workflowIdForInvoice(s.invoiceId)).fetchHistory();
            const failedTask = h.events?.find((e) => e.workflowTaskFailedEventAttributes);
            return failedTask &&
              h.events?.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'paymentMethodUpdated')
              ? true
              : undefined;
          },
          30_000,
          'the signal in the history and a failed workflow task',
        );
        expect(stack.sandbox.charges().filter((c) => c.invoiceId === s.invoiceId && c.outcome === 'succeeded')).toEqual([]);
      } finally {
        await stopNewOnly();
      }
      // The old key back (after the current one): the case replays, takes the update, recovers.
      const stopBoth = await startWorker([...NEW_ONLY, OLD]);
      try {
        const st = await stack.untilStatus(s.invoiceId, 'recovered', (x) => x.state === 'recovered', 60_000);
        expect(st.outcome).toBe('card_updated');
      } finally {
        await stopBoth();
      }
    } finally {
      await api.close();
    }
  }, 150_000);
});

/** The key ids that encrypted the payloads of one run's history (read raw, without a codec). */
async function keyIdsInHistory(workflowId: string, runId: string): Promise<Map<string, number>> {
  const plain = new Client({ connection: stack.client.connection, namespace: stack.client.options.namespace });
  const history = await plain.workflow.getHandle(workflowId, runId).fetchHistory();
  const ids = new Map<string, number>();
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
    const metadata = (v as { metadata?: Record<string, Uint8Array> }).metadata;
    const keyId = metadata?.[METADATA_KEY_ID];
    if (keyId) {
      const id = Buffer.from(keyId).toString('utf8');
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    for (const child of Object.values(v)) walk(child);
  };
  walk(history.events);
  return ids;
}

describe('an open case re-encrypted after a rotation', () => {
  it('continues as new with no payload under the old key, and finishes once the old key is gone', async () => {
    // Before the rotation: a worker with the old key first (the stack's may be stopped by now).
    await stack.stopWorker();
    const stopOld = await startWorker([OLD, ...NEW_ONLY]);
    let s: Awaited<ReturnType<typeof caseUnderOldKey>>;
    try {
      // Cards of its own: a card ledger written under the old key by another test would need it
      // (ledgers are not re-encrypted; they end on their own, docs/production/key-rotation.md).
      s = await caseUnderOldKey({ ownCards: true });
    } finally {
      await stopOld();
    }
    const workflowId = workflowIdForInvoice(s.invoiceId);
    const firstRunId = (await stack.client.workflow.getHandle(workflowId).describe()).runId;
    const [current] = NEW_ONLY;
    expect((await keyIdsInHistory(workflowId, firstRunId)).get(OLD.id)).toBeGreaterThan(0);

    // The rotation: every process has the new key first, the old one after it.
    const rotated = [...NEW_ONLY, OLD];
    const stopRotated = await startWorker(rotated);
    const api = await apiWithKeys(rotated);
    let before: DunningStatus;
    try {
      before = (await json(await api.get(`/api/invoices/${s.invoiceId}/dunning`))).body as unknown as DunningStatus;
      const rotatedAt = new Date().toISOString();
      // Re-encrypt the open case (`npm run cases -- reencrypt <invoice>` calls this route).
      const asked = await json(await api.post(`/api/invoices/${s.invoiceId}/reencrypt`, { by: 'key-rotation-test' }));
      expect(asked).toEqual({ status: 202, body: { reencrypt: 'requested', workflowId, fromRunId: firstRunId } });
      const next = await eventually(
        async () => {
          const d = await stack.client.workflow.getHandle(workflowId).describe();
          return d.runId !== firstRunId ? d : undefined;
        },
        30_000,
        'the new run',
      );
      // Its history: every encrypted payload (input, memo, timers' summaries, activities) under the new key.
      const ids = await keyIdsInHistory(workflowId, next.runId);
      expect(ids.get(OLD.id), `payloads under ${OLD.id} in the new run`).toBeUndefined();
      expect(ids.get(current!.id)).toBeGreaterThan(0);
      expect([...ids.keys()]).toEqual([current!.id]);
      // Memo and search attributes carried over; the docs' count: only the old run, now closed, started before the rotation.
      expect(next.typedSearchAttributes.get(DunningInvoiceId)).toBe(s.invoiceId);
      expect(next.typedSearchAttributes.get(DunningCustomerId)).toBe(s.customerId);
      expect(next.typedSearchAttributes.get(DunningState)).toBe('active');
      expect(next.memo).toMatchObject({ subscriptionId: s.subscriptionId });
      const left = await stack.client.workflow.count(`WorkflowId = '${workflowId}' AND StartTime < '${rotatedAt}'`);
      const open = await stack.client.workflow.count(
        `WorkflowId = '${workflowId}' AND StartTime < '${rotatedAt}' AND ExecutionStatus = 'Running'`,
      );
      expect([left.count, open.count]).toEqual([1, 0]);
      // The run that handed over is not a case of its own: `reencrypt --all --started-before T`
      // finds nothing left to ask, and the customer's case is listed once, as its new run.
      const listed = async (query: string) =>
        (
          (await json(await api.get(`/api/dunning?customerId=${s.customerId}${query}`))).body as {
            cases: Array<{ runId: string }>;
          }
        ).cases;
      await eventually(async () => ((await listed('')).length === 1 ? true : undefined), 15_000, 'the case listed once');
      expect((await listed('')).map((c) => c.runId)).toEqual([next.runId]);
      expect(await listed(`&startedBefore=${encodeURIComponent(rotatedAt)}`)).toEqual([]);
    } finally {
      await api.close();
      await stopRotated();
    }

    // The old key removed from every process: the worker runs the new run, the API reads it.
    const stopNewOnly = await startWorker(NEW_ONLY);
    const apiNew = await apiWithKeys(NEW_ONLY);
    try {
      const read = await json(await apiNew.get(`/api/invoices/${s.invoiceId}/dunning`));
      expect(read.status).toBe(200);
      expect(read.body).toEqual(before);
      const { paymentMethodId } = await stack.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa', {
        makeDefault: true,
      });
      const answer = await json(await apiNew.deliver(lastEvent('payment_method.attached', paymentMethodId)));
      expect(answer).toEqual({ status: 200, body: expect.objectContaining({ signaled: [workflowId] }) });
      const end = await eventually(
        async () => {
          const r = await json(await apiNew.get(`/api/invoices/${s.invoiceId}/dunning`));
          return r.status === 200 && r.body.state === 'recovered' ? (r.body as unknown as DunningStatus) : undefined;
        },
        60_000,
        'recovered with the new card',
      );
      expect(end.outcome).toBe('card_updated');
      expect(end.emails.map((e) => e.template)).toEqual([...before.emails.map((e) => e.template), 'payment_recovered']);
    } finally {
      await apiNew.close();
      await stopNewOnly();
    }
  }, 150_000);
});
