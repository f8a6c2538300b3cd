/**
 * No customer data in Temporal's storage: a case runs end to end on the real stack (workers and
 * client with the payload codec, as `npm start` wires them), then its raw history is read with a
 * plain client (no codec, what anyone with access to the cluster or its database sees) and every
 * string and byte in it is searched for the customer's email address and name.
 */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdForInvoice } from '../../domain/messages';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

type ProtoPayload = temporal.api.common.v1.IPayload;

/** Every payload in a history, with where it sits (`events.3.activityTaskScheduledEventAttributes.input.payloads.0`). */
function payloadsIn(value: unknown, path = ''): Array<{ path: string; payload: ProtoPayload }> {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const v = value as Record<string, unknown>;
  const metadata = v.metadata as Record<string, Uint8Array> | undefined;
  if (metadata && typeof metadata === 'object' && metadata.encoding instanceof Uint8Array) return [{ path, payload: v }];
  return Object.entries(v).flatMap(([k, child]) => payloadsIn(child, path ? `${path}.${k}` : k));
}

/** Every failure in a history (an activity's last failure, a workflow's, their causes). */
function failuresIn(value: unknown): temporal.api.failure.v1.IFailure[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const v = value as Record<string, unknown>;
  const own = 'encodedAttributes' in v || ('message' in v && 'stackTrace' in v) ? [v as temporal.api.failure.v1.IFailure] : [];
  return [...own, ...Object.values(v).flatMap(failuresIn)];
}

/** Every string and every byte field (read as UTF-8) in a history: what a search of its storage finds. */
function textsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value instanceof Uint8Array) return [Buffer.from(value).toString('utf8'), Buffer.from(value).toString('latin1')];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(textsIn);
}

const encoding = (p: ProtoPayload) => Buffer.from(p.metadata?.encoding ?? []).toString();

describe('payload encryption, read without the codec', () => {
  it('a case stores no customer email or name in any payload; search attributes carry ids and amounts only', async () => {
    const email = 'secret.customer+dunning@example.org';
    const name = 'Zelda Quartermaine';
    // The first send fails once (Resend answers 500): the retried activity's history carries the
    // failure, whose message and stack trace must be encrypted too.
    stack.outbox.injectFault({ status: 500, count: 1 });
    const s = await stack.sandbox.createFailedInvoiceScenario({ email, name, amount: 4321, currency: 'usd' });
    // The service reads its own payloads (the status query over the API goes through the codec).
    const waiting = await stack.untilStatus(s.invoiceId, 'the first email', (x) => x.emails.length >= 1, 30_000);
    expect(waiting).toMatchObject({ amountDue: 4321, currency: 'usd', state: 'active' });
    expect(stack.outbox.messages().some((m) => m.to.includes(email))).toBe(true);

    // An operator's cancel: a signal, the end action, the events to the app, the workflow's result.
    const cancel = await stack.api(`/api/invoices/${s.invoiceId}/cancel`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'test: encryption', by: 'payload-encryption.test' }),
    });
    expect(cancel.status).toBe(202);
    await stack.untilStatus(s.invoiceId, 'cancelled', (x) => x.state === 'cancelled', 30_000);

    const workflowId = workflowIdForInvoice(s.invoiceId);
    const plain = new Client({ connection: stack.client.connection, namespace: stack.client.options.namespace });
    const history = await eventually(async () => {
      const h = await plain.workflow.getHandle(workflowId).fetchHistory();
      const closed = h.events?.some(
        (e) => e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes,
      );
      return closed ? h : undefined;
    }, 30_000);

    const texts = textsIn(history);
    const leaks = texts.filter((t) => t.includes(email) || t.toLowerCase().includes(name.toLowerCase()) || t.includes('Zelda'));
    expect(leaks, 'customer data in the raw history').toEqual([]);

    // Every payload is encrypted, except search attributes (ids, state, amounts: by design),
    // headers (none the service sets) and the SDK's own patch markers (the patch id, written by the
    // worker's core, not by workflow code).
    const payloads = payloadsIn(history);
    const sdkOwn = /searchAttributes|header|markerRecordedEventAttributes\.details\.patch-data/;
    const clear = payloads.filter((p) => !sdkOwn.test(p.path) && encoding(p.payload) !== 'binary/encrypted');
    expect(clear.map((p) => `${p.path}: ${encoding(p.payload)}`)).toEqual([]);
    expect(payloads.filter((p) => encoding(p.payload) === 'binary/encrypted').length).toBeGreaterThan(5);
    const searchAttributes = payloads.filter((p) => p.path.includes('searchAttributes'));
    expect(searchAttributes.length).toBeGreaterThan(0);
    for (const p of searchAttributes) expect(encoding(p.payload)).toBe('json/plain');

    // Failures: the message and stack trace live in the encrypted encodedAttributes.
    const failures = failuresIn(history);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f).toMatchObject({ message: 'Encoded failure', stackTrace: '' });
      expect(encoding(f.encodedAttributes!)).toBe('binary/encrypted');
    }

    // Without the codec the case cannot be read: the query's answer is ciphertext to this client.
    await expect(plain.workflow.getHandle(workflowId).query('status')).rejects.toThrow(/binary\/encrypted/);
    // With it, it can.
    expect(await stack.client.workflow.getHandle(workflowId).query('status')).toMatchObject({ invoiceId: s.invoiceId });
  });
});
