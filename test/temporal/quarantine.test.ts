/**
 * The quarantine of refused Stripe events, end to end on a real Temporal server: a verified event
 * with an invalid field is kept, listed, shown with its exact body, replayed (refused again while
 * still invalid; carried out once today's code accepts it) or discarded.
 *
 * Replay success: the stored body cannot be changed, and today's code refuses the invalid bodies
 * the webhook stores. What replay is for is a body an *earlier* deployment refused and the current
 * one accepts (a rule fixed in between). That is set up honestly with the store's own `put` (what
 * the earlier deployment's webhook did), with the earlier deployment's reason and a valid body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuarantineStore } from '../../src/quarantine/quarantineStore';
import type { StripeEventPayload } from '../../sandbox/stripe';
import { quarantineDetailsQuery } from '../../domain/quarantineMessages';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ stripeWebhooks: false });
});
afterAll(async () => {
  await stack?.close();
});

let n = 0;
async function scenario() {
  const s = await stack.sandbox.createFailedInvoiceScenario({
    email: `q${++n}-${Date.now()}@example.com`,
    amount: 1200,
    currency: 'eur',
    decline: 'pm_card_chargeDeclinedInsufficientFunds',
  });
  const failed = stack.eventsFor('invoice.payment_failed', s.invoiceId)[0]!;
  return { ...s, failed, workflowId: `dunning-${s.invoiceId}` };
}
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });
const post = (path: string, body: unknown = {}) => stack.api(path, { method: 'POST', body: JSON.stringify(body) });
type Listed = { eventId: string; type: string; field: string; reason: string; receivedAt: string; status: string };
const listed = async () => ((await (await stack.api('/api/quarantine')).json()) as { events: Listed[] }).events;
const untilListed = (eventId: string, present: boolean) =>
  eventually(
    async () => ((await listed()).some((e) => e.eventId === eventId) === present ? true : undefined),
    15_000,
    `${eventId} listed: ${present}`,
  );

/** A failed-invoice event with `amount_due` as a string, delivered as `payload` (exact text). */
function invalidCopy(failed: StripeEventPayload, id: string, extra: Record<string, unknown> = {}) {
  const event = { ...failed, id, data: { object: { ...(failed.data.object as object), amount_due: '1200', ...extra } } };
  return JSON.stringify(event, null, 1);
}

describe('quarantine', () => {
  it('lists a refused event with its reason, shows its exact body, and refuses to replay it while it is still invalid', async () => {
    const s = await scenario();
    const id = `${s.failed.id}_str`;
    const payload = invalidCopy(s.failed, id);
    expect(await json(await stack.deliver(payload))).toEqual({ status: 200, body: { received: true, quarantined: id } });
    await untilListed(id, true);
    const entry = (await listed()).find((e) => e.eventId === id)!;
    expect(entry).toEqual({
      eventId: id,
      type: 'invoice.payment_failed',
      field: 'data.object.amount_due',
      reason: expect.stringContaining('data.object.amount_due'),
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      status: 'quarantined',
    });

    const details = await json(await stack.api(`/api/quarantine/${id}`));
    expect(details).toEqual({ status: 200, body: { ...entry, rawBody: payload } });

    const replay = await json(await post(`/api/quarantine/${id}/replay`, { by: 'ops@example.com' }));
    expect(replay).toEqual({
      status: 422,
      body: { error: { code: 'still_invalid', message: expect.stringContaining('data.object.amount_due') } },
    });
    // Kept, and no case.
    expect((await json(await stack.api(`/api/quarantine/${id}`))).body).toMatchObject({ status: 'quarantined' });
    expect(await stack.status(s.invoiceId)).toBeUndefined();
  });

  it('replays an event an earlier deployment refused and this one accepts: the case starts, the entry is resolved', async () => {
    const s = await scenario();
    const store = new QuarantineStore(stack.client, stack.taskQueue);
    const raw = Buffer.from(JSON.stringify(s.failed));
    // What the earlier deployment's webhook did with it (say it refused EUR invoices by mistake).
    const { eventId } = await store.put(
      {
        eventId: s.failed.id,
        type: 'invoice.payment_failed',
        field: 'data.object.currency',
        reason: 'data.object.currency: not supported',
      },
      raw,
    );
    expect(eventId).toBe(s.failed.id);
    await untilListed(eventId, true);

    const replay = await json(await post(`/api/quarantine/${eventId}/replay`, { by: 'ops@example.com' }));
    expect(replay).toEqual({ status: 200, body: { replayed: eventId, workflowId: s.workflowId } });
    const st = await stack.untilStatus(s.invoiceId, 'the case from the replay', (x) => x.emails.length === 1);
    expect(st).toMatchObject({ state: 'active', amountDue: 1200, currency: 'eur' });

    expect((await json(await stack.api(`/api/quarantine/${eventId}`))).body).toMatchObject({
      status: 'replayed',
      resolution: { action: 'replayed', by: 'ops@example.com', at: expect.any(String) },
    });
    await untilListed(eventId, false);
    // Once only.
    expect(await json(await post(`/api/quarantine/${eventId}/replay`))).toMatchObject({
      status: 409,
      body: { error: { code: 'already_resolved' } },
    });
    expect(await json(await post(`/api/quarantine/${eventId}/discard`))).toMatchObject({ status: 409 });
    await post(`/api/invoices/${s.invoiceId}/cancel`);
  });

  it('discards an event: no longer listed, kept as discarded; the same event delivered again is quarantined anew', async () => {
    const s = await scenario();
    const id = `${s.failed.id}_dis`;
    const payload = invalidCopy(s.failed, id);
    expect((await stack.deliver(payload)).status).toBe(200);
    await untilListed(id, true);
    expect(await json(await post(`/api/quarantine/${id}/discard`, { by: 'ops' }))).toEqual({
      status: 200,
      body: { discarded: id },
    });
    expect((await json(await stack.api(`/api/quarantine/${id}`))).body).toMatchObject({
      status: 'discarded',
      resolution: { action: 'discarded', by: 'ops' },
    });
    await untilListed(id, false);
    expect(await stack.status(s.invoiceId)).toBeUndefined();

    // Resent from the Stripe Dashboard, say: nothing is lost, the operator decides again.
    expect(await json(await stack.deliver(payload))).toEqual({ status: 200, body: { received: true, quarantined: id } });
    expect((await json(await stack.api(`/api/quarantine/${id}`))).body).toMatchObject({ status: 'quarantined' });
  });

  it("keeps a large body exactly, compressed: a 1 MB webhook of escapes (about 2 MB, Temporal's payload limit, as a JSON string)", async () => {
    const s = await scenario();
    const id = `${s.failed.id}_big`;
    // Whitespace that JSON-escaping doubles (newline → `\\n`).
    const body = invalidCopy(s.failed, id);
    const payload = `${body.slice(0, -1)}${'\n'.repeat(1024 * 1024 - 10 - body.length)}}`;
    expect(payload.length).toBeLessThan(1024 * 1024);
    expect(JSON.stringify(payload).length).toBeGreaterThan(2_000_000);
    expect(await json(await stack.deliver(payload))).toEqual({ status: 200, body: { received: true, quarantined: id } });
    const details = await json(await stack.api(`/api/quarantine/${id}`));
    expect(details.status).toBe(200);
    expect(details.body.rawBody === payload, 'the stored body is the delivered one').toBe(true);
    const stored = await stack.client.workflow.getHandle(`quarantine-${id}`).query(quarantineDetailsQuery);
    expect(stored.rawBodyEncoding).toBe('gzip-base64');
    expect(stored.rawBody.length).toBeLessThan(100_000);
  });

  it('400 for an id that is not one, 404 for an unknown one, 401 without the token', async () => {
    for (const path of ['/api/quarantine/foo', '/api/quarantine/body_xyz', `/api/quarantine/evt_${'a'.repeat(300)}`]) {
      expect((await stack.api(path)).status, path).toBe(400);
    }
    expect(await json(await stack.api('/api/quarantine/evt_unknown123'))).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    expect((await post('/api/quarantine/evt_unknown123/replay')).status).toBe(404);
    expect((await post('/api/quarantine/evt_unknown123/discard')).status).toBe(404);
    expect((await post('/api/quarantine/evt_unknown123/discard', { by: 'x', extra: 1 })).status).toBe(400);
    expect((await stack.api('/api/quarantine?limit=0')).status).toBe(400);
    expect((await fetch(`${stack.baseUrl}/api/quarantine`)).status).toBe(401);
  });
});
