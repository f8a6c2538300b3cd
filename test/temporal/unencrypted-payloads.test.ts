/**
 * In production an unencrypted start, signal or Update has no effect on a case (issue #21): they
 * are sent as an outsider would, with the Temporal CLI and no codec, to a case run by a worker as
 * NODE_ENV=production wires it (src/temporal/dataConverter.ts workerDataConverter). The case
 * ignores them (logged, counted), never fails a workflow task, and still recovers afterwards. In
 * development plaintext is read as before: the same signal cancels the case.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { unencryptedPayloadsIgnored } from '../../activities/metrics';
import { workflowIdForInvoice } from '../../domain/messages';
import { UNENCRYPTED_START_FAILURE, UNENCRYPTED_UPDATE_FAILURE } from '../../domain/unencryptedPayloads';
import { ensureTemporalCli } from '../../tools/toolchain';
import { workerDataConverter } from '../../src/temporal/dataConverter';
import { eventually, sharedBundle, startStack, type Stack } from './support/stack';

const run = promisify(execFile);
const address = inject('temporalAddress');
const namespace = inject('temporalNamespace');

let cli: string;
let production: Stack;
let development: Stack;
beforeAll(async () => {
  const path = await ensureTemporalCli(() => undefined);
  if (!path) throw new Error('the Temporal CLI is needed to send payloads without the codec (npm run toolchain)');
  cli = path;
  // The webhooks are delivered by the test, so that a case can be started (or not) when it wants.
  [production, development] = await Promise.all([
    startStack({ production: true, stripeWebhooks: false }),
    startStack({ stripeWebhooks: false }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([production?.close(), development?.close()]);
});

/** The Temporal CLI with no codec: its payloads are plain JSON. Resolves with its exit and output. */
async function temporalCli(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await run(cli, [...args, '--address', address, '--namespace', namespace], { timeout: 30_000 });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

let n = 0;
/** A failed invoice whose case is running (its first email sent). */
async function openCase(stack: Stack) {
  const s = await stack.sandbox.createFailedInvoiceScenario({
    email: `plaintext${++n}-${Date.now()}@example.com`,
    amount: 1990,
    currency: 'usd',
    decline: 'pm_card_chargeDeclinedInsufficientFunds',
  });
  expect((await stack.deliver(stack.eventsFor('invoice.payment_failed', s.invoiceId)[0]!)).status).toBe(200);
  await stack.untilStatus(s.invoiceId, 'the first email', (x) => x.emails.length >= 1, 30_000);
  return { ...s, workflowId: workflowIdForInvoice(s.invoiceId) };
}

/** The history as stored (read without the codec: only event types and ids are needed). */
async function eventTypes(stack: Stack, workflowId: string): Promise<string[]> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '?');
}

/** Waits until the workflow task that follows the last signal has completed. */
async function untilSignalHandled(stack: Stack, workflowId: string): Promise<string[]> {
  return eventually(
    async () => {
      const types = await eventTypes(stack, workflowId);
      const signal = types.lastIndexOf('workflowExecutionSignaledEventAttributes');
      return signal >= 0 && types.indexOf('workflowTaskCompletedEventAttributes', signal) > signal ? types : undefined;
    },
    20_000,
    'the workflow task after the signal',
  );
}

const ignoredCount = async (kind: string, name: string) =>
  (await unencryptedPayloadsIgnored.get()).values.find((v) => v.labels.kind === kind && v.labels.name === name)?.value ?? 0;

const plaintextCancel = (workflowId: string) =>
  temporalCli([
    'workflow',
    'signal',
    '--workflow-id',
    workflowId,
    '--name',
    'cancelDunning',
    '--input',
    JSON.stringify({ reason: 'sent in clear with the CLI', by: 'an outsider' }),
  ]);

describe('production: an unencrypted payload has no effect', () => {
  it('a plaintext cancelDunning signal is ignored, no workflow task fails, and the case still recovers', async () => {
    const s = await openCase(production);
    const before = await ignoredCount('signal', 'cancelDunning');

    const sent = await plaintextCancel(s.workflowId);
    expect(sent, sent.output).toMatchObject({ ok: true });
    const types = await untilSignalHandled(production, s.workflowId);
    expect(types).not.toContain('workflowTaskFailedEventAttributes');
    expect(await production.status(s.invoiceId)).toMatchObject({ state: 'active' });
    expect(await ignoredCount('signal', 'cancelDunning')).toBe(before + 1);

    // A signal with no payload at all: its handler would throw (a TypeError) and fail the task.
    const bare = await temporalCli(['workflow', 'signal', '--workflow-id', s.workflowId, '--name', 'paymentFailed']);
    expect(bare, bare.output).toMatchObject({ ok: true });
    expect(await untilSignalHandled(production, s.workflowId)).not.toContain('workflowTaskFailedEventAttributes');
    expect(await ignoredCount('signal', 'paymentFailed')).toBe(1);
    expect(await production.status(s.invoiceId)).toMatchObject({ state: 'active' });

    // An Update in clear (an operator's retry now) is refused before it is accepted: no charge.
    const attempts = (await production.status(s.invoiceId))!.attempts.length;
    const update = await temporalCli([
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      s.workflowId,
      '--name',
      'retryNowRequested',
      '--input',
      JSON.stringify({ requestId: 'plaintext-1', by: 'an outsider' }),
    ]);
    expect(update.ok, update.output).toBe(false);
    // The failure's message is encrypted (the failure converter); its type is what the CLI can show.
    expect(update.output).toContain(UNENCRYPTED_UPDATE_FAILURE);
    expect(await ignoredCount('update', 'retryNowRequested')).toBe(1);
    expect((await production.status(s.invoiceId))!.attempts).toHaveLength(attempts);

    // The service's own (encrypted) signals still act: a working card, and the case recovers.
    await production.sandbox.attachTestPaymentMethod(s.customerId, 'pm_card_visa', { makeDefault: true });
    const updated = await production.api(`/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
    expect(updated.status).toBe(202);
    await production.untilStatus(s.invoiceId, 'recovered', (x) => x.state === 'recovered', 30_000);
    expect(await eventTypes(production, s.workflowId)).not.toContain('workflowTaskFailedEventAttributes');

    // A worker that replays this history (after a restart or a cache eviction) takes the same path:
    // the plaintext signal is ignored again, deterministically.
    const history = await eventually(async () => {
      const h = await production.client.workflow.getHandle(s.workflowId).fetchHistory();
      return h.events?.some((e) => e.workflowExecutionCompletedEventAttributes) ? h : undefined;
    });
    await Worker.runReplayHistory(
      { workflowBundle: await sharedBundle(), dataConverter: workerDataConverter(production.encryptionKeys, true) },
      history,
      s.workflowId,
    );
  });

  it.each([
    ['a plaintext input', true],
    ['no input at all', false],
  ])(
    "a start with %s fails its run at once, which does not keep the invoice's real case from starting",
    async (_what, withInput) => {
      const s = await production.sandbox.createFailedInvoiceScenario({
        email: `plaintext-start-${Date.now()}@example.com`,
        amount: 990,
        currency: 'usd',
        decline: 'pm_card_chargeDeclinedInsufficientFunds',
      });
      const workflowId = workflowIdForInvoice(s.invoiceId);
      const before = await ignoredCount('start', 'dunningWorkflow');
      const input = withInput ? ['--input', JSON.stringify({ invoiceId: s.invoiceId, customerId: s.customerId })] : [];
      const started = await temporalCli([
        'workflow',
        'start',
        '--type',
        'dunningWorkflow',
        '--task-queue',
        production.taskQueue,
        '--workflow-id',
        workflowId,
        ...input,
      ]);
      expect(started, started.output).toMatchObject({ ok: true });
      const failure = await production.client.workflow
        .getHandle(workflowId)
        .result()
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
      expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe(UNENCRYPTED_START_FAILURE);
      expect(await eventTypes(production, workflowId)).not.toContain('workflowTaskFailedEventAttributes');
      expect(await ignoredCount('start', 'dunningWorkflow')).toBe(before + 1);

      // Stripe's webhook starts the real case on the same workflow id.
      expect((await production.deliver(production.eventsFor('invoice.payment_failed', s.invoiceId)[0]!)).status).toBe(200);
      await production.untilStatus(s.invoiceId, 'the first email', (x) => x.state === 'active' && x.emails.length >= 1, 30_000);
    },
  );
});

describe('development: plaintext is read as before', () => {
  it('the same plaintext cancelDunning signal cancels the case', async () => {
    const s = await openCase(development);
    const before = await ignoredCount('signal', 'cancelDunning');
    const sent = await plaintextCancel(s.workflowId);
    expect(sent, sent.output).toMatchObject({ ok: true });
    await development.untilStatus(s.invoiceId, 'cancelled', (x) => x.state === 'cancelled', 30_000);
    expect(await ignoredCount('signal', 'cancelDunning')).toBe(before);
  });
});
