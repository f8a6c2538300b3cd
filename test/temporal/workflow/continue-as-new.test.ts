/**
 * A case asked to re-encrypt itself (`reencryptRequested`, workflows/continueAsNew.ts) continues as
 * new at its next wait, and its new run carries on exactly where the old one was: the same status,
 * the same steps due at the same instants, its counts (idempotency keys numbered on), its emails
 * and attempts; the workflow id, memo and search attributes kept; a signal sent with the request
 * is not lost. Both runs' histories are recorded for the replay test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  paymentMethodUpdatedSignal,
  REENCRYPT_NOT_POSSIBLE,
  reencryptRequestedUpdate,
  statusQuery,
} from '../../../domain/messages';
import { DAY, HOUR, iso, startHarness, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const EVENT_CONTINUED_AS_NEW = 'workflowExecutionContinuedAsNewEventAttributes';

describe('a case asked to re-encrypt itself', () => {
  it('continues as new at its next wait and carries on exactly where it was', async () => {
    const c = await h.startCase({ record: 'reencrypted-case', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    await until(async () => ((await c.status()).emails.length === 1 ? true : undefined), 'the first email');
    const firstRunId = (await c.handle.describe()).runId;
    h.record('reencrypted-case-first-run', h.env.client.workflow.getHandle(c.workflowId, firstRunId));

    // Day 1: a new card that declines (a count, an attempt, an email); then re-encryption is asked.
    await h.advanceBy(DAY);
    const { paymentMethodId: declining } = await h.sandbox.attachTestPaymentMethod(
      c.scenario.customerId,
      'pm_card_chargeDeclined',
    );
    await c.handle.signal(paymentMethodUpdatedSignal, {
      source: 'api',
      paymentMethodId: declining,
      occurredAt: iso(await h.now()),
    });
    const before = await until(async () => {
      const s = await c.status();
      return s.emails.length === 2 ? s : undefined;
    }, 'the declined card and its email');
    expect(before.attempts.map((a) => a.outcome)).toEqual(['declined']);

    const accepted = await c.handle.executeUpdate(reencryptRequestedUpdate, {
      args: [{ requestId: 'reencrypt-1', by: 'test' }],
      updateId: 'reencrypt-1',
    });
    expect(accepted).toEqual({ fromRunId: firstRunId });
    const described = await until(async () => {
      const d = await c.handle.describe();
      return d.runId !== firstRunId ? d : undefined;
    }, 'the new run');

    // The same workflow id; the old run ended as continued-as-new. (The memo and search attributes
    // carried over are checked on the real dev server, test/temporal/key-rotation.test.ts: the
    // time-skipping test server does not carry them.)
    expect(described.workflowId).toBe(c.workflowId);
    const old = await h.env.client.workflow.getHandle(c.workflowId, firstRunId).describe();
    expect(old.status.name).toBe('CONTINUED_AS_NEW');
    const oldEvents = (await h.env.client.workflow.getHandle(c.workflowId, firstRunId).fetchHistory()).events ?? [];
    expect(oldEvents.at(-1)?.[EVENT_CONTINUED_AS_NEW]).toBeTruthy();

    // The new run knows all the old one knew: the same status, the same next step at the same instant.
    const after = await c.handle.query(statusQuery);
    expect(after).toEqual(before);
    expect(after.nextAction).toEqual({ kind: 'email', at: iso(Date.parse(before.startedAt) + 3 * DAY) });

    // Day 3: the reminder, once (the new run did not send the first email again).
    await h.advanceTo(Date.parse(before.startedAt) + 3 * DAY + HOUR);
    expect(c.sentTemplates()).toEqual(['payment_failed_insufficient_funds', 'new_card_declined', 'reminder']);

    // A card that works, sent together with a second request: neither is lost, the card is charged
    // once, under the next number (the count went on across runs).
    const { paymentMethodId: good } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_visa');
    await Promise.all([
      c.handle.executeUpdate(reencryptRequestedUpdate, { args: [{ requestId: 'reencrypt-2' }], updateId: 'reencrypt-2' }),
      c.handle.signal(paymentMethodUpdatedSignal, { source: 'api', paymentMethodId: good, occurredAt: iso(await h.now()) }),
    ]);
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    const end = await c.handle.query(statusQuery);
    expect(end.attempts.map((a) => [a.trigger, a.outcome])).toEqual([
      ['payment_method_updated', 'declined'],
      ['payment_method_updated', 'succeeded'],
    ]);
    expect(end.emails.map((e) => e.template)).toEqual([
      'payment_failed.insufficient_funds',
      'new_card_declined',
      'reminder',
      'payment_recovered',
    ]);
    const charges = await c.charges();
    expect(charges.map((x) => [x.idempotencyKey?.replace(/.*\//, ''), x.outcome])).toEqual([
      ['retry:card_update_1', 'failed'],
      ['retry:card_update_2', 'succeeded'],
    ]);
    // dunning.started once: the new run did not start the case again.
    expect(h.appEvents().filter((e) => e.type === 'dunning.started' && e.data.invoiceId === c.scenario.invoiceId)).toHaveLength(
      1,
    );

    // Once the case is over, a request is refused, said so.
    const refused = await c.handle
      .executeUpdate(reencryptRequestedUpdate, { args: [{ requestId: 'reencrypt-3' }], updateId: 'reencrypt-3' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    if (refused instanceof WorkflowUpdateFailedError)
      expect((refused.cause as { type?: string }).type).toBe(REENCRYPT_NOT_POSSIBLE);
  }, 60_000);
});
