/**
 * The ops CLI (`npm run cases -- …`), every command against the real stack (worker, API, Stripe
 * sandbox, outbox), run in process: the arguments, the output, the exit code. Exit 1 with one line
 * for what the service refuses (an unknown invoice, a retry that cannot be, a wrong token); exit 2
 * with the usage for a bad command line.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCases } from '../../src/cli/cases';
import { QuarantineStore } from '../../src/quarantine/quarantineStore';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

/** `npm run cases -- …args` against the stack, with its token in API_TOKEN unless `env` says otherwise. */
async function cases(args: string[], env: NodeJS.ProcessEnv = { API_TOKEN: stack.apiToken }): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCases([...args, '--api', stack.baseUrl], {
    env,
    cwd: process.cwd(),
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    now: () => Date.now(),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const oneLine = (r: Run) => {
  expect(r.err.split('\n'), r.err).toHaveLength(1);
  expect(r.err).toMatch(/^cases: /);
};

/** A customer in New York whose renewal was declined, with the case's first email sent. */
async function declined(decline = 'pm_card_chargeDeclinedInsufficientFunds') {
  const email = `cli-${randomBytes(4).toString('hex')}@example.com`;
  const s = await stack.sandbox.createFailedInvoiceScenario({
    email,
    amount: 4900,
    currency: 'usd',
    decline,
    timeZone: 'America/New_York',
  });
  await stack.untilStatus(s.invoiceId, 'the first email', (x) => x.emails.length === 1 && x.nextAction !== undefined, 30_000);
  return { ...s, email };
}

const chargesOf = (invoiceId: string) => stack.sandbox.charges().filter((c) => c.invoiceId === invoiceId);

describe('npm run cases', () => {
  it('list, show as a timeline in the customer’s zone, resend-link, retry-now declined then paid, then refused: ended', async () => {
    const c = await declined();

    const list = await eventually(
      async () => {
        const r = await cases(['list', '--customer', c.customerId, '--state', 'active']);
        return r.out.includes(c.invoiceId) ? r : undefined;
      },
      20_000,
      'the case listed',
    );
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^INVOICE\s+CUSTOMER\s+STATE\s+AMOUNT\s+DECLINE\s+NEXT \(UTC\)\s+BLOCKED ON/);
    expect(list.out).toContain(`${c.invoiceId}  ${c.customerId}  active  $49.00 USD  insufficient funds`);
    expect(list.out).toMatch(/1 case$/);
    const asJson = JSON.parse((await cases(['list', '--customer', c.customerId, '--json'])).out);
    expect(asJson.cases).toEqual([expect.objectContaining({ invoiceId: c.invoiceId, state: 'active' })]);
    // Waiting on no provider: not listed as blocked (the visibility query is accepted by the server).
    const blocked = await cases(['list', '--customer', c.customerId, '--blocked']);
    expect(blocked).toEqual({ code: 0, out: 'no cases', err: '' });

    const show = await cases(['show', c.invoiceId]);
    expect(show.code).toBe(0);
    expect(show.out).toContain(`${c.invoiceId} · ${c.customerId} · ${c.subscriptionId} · $49.00 USD · active`);
    expect(show.out).toContain('Decline: insufficient funds');
    expect(show.out).toContain("Times in America/New_York (the customer's)");
    expect(show.out).toMatch(/What happened\n {2}\w{3} \d+, \d\d:\d\d\s+case opened by the failed payment\n/);
    expect(show.out).toMatch(/email payment_failed\.\w+: sent \(/);
    expect(show.out).toMatch(/What is next\n {2}\w{3} \d+, \d\d:\d\d\s+\S.* \(in \d+ (day|hour)s?\)/);
    expect(show.out).toContain("customer's own retry: possible");

    const link = await cases(['resend-link', c.invoiceId, '--by', 'ops@acme.test']);
    expect(link.code, link.err).toBe(0);
    expect(link.out).toMatch(new RegExp(`^${c.invoiceId}: email reminder with a fresh update link sent \\(`));
    const sent = await eventually(
      () => (stack.outbox.messages().filter((m) => m.to.includes(c.email)).length === 2 ? true : undefined),
      10_000,
      'the link email in the outbox',
    );
    expect(sent).toBe(true);
    const reminder = stack.outbox.messages().filter((m) => m.to.includes(c.email))[1]!;
    expect(reminder.html).toMatch(/\/billing\/update\//);
    expect((await stack.status(c.invoiceId))!.emails.map((e) => e.template)).toEqual([
      expect.stringMatching(/^payment_failed/),
      'reminder',
    ]);

    const before = chargesOf(c.invoiceId).length;
    const retry = await cases(['retry-now', c.invoiceId]);
    expect(retry.code, retry.err).toBe(0);
    expect(retry.out).toBe(
      `${c.invoiceId}: declined again (insufficient funds, insufficient_funds); the case goes on with its schedule`,
    );
    expect(chargesOf(c.invoiceId).slice(before)).toHaveLength(1);

    stack.sandbox.setPaymentMethodBehaviour(c.paymentMethodId, { outcome: 'succeed' });
    const paid = await cases(['retry-now', c.invoiceId]);
    expect(paid).toEqual({ code: 0, out: `${c.invoiceId}: paid. The case ends recovered.`, err: '' });
    const done = await stack.untilStatus(c.invoiceId, 'recovered', (s) => s.state === 'recovered');
    expect(done.outcome).toBe('operator_retry');
    expect(done.attempts.map((a) => [a.trigger, a.outcome])).toEqual([
      ['operator_retry', 'declined'],
      ['operator_retry', 'succeeded'],
    ]);

    const late = await cases(['retry-now', c.invoiceId]);
    expect(late.code).toBe(1);
    oneLine(late);
    expect(late.err).toBe(`cases: The dunning case for invoice ${c.invoiceId} has ended: recovered (operator_retry)`);
    const closed = await cases(['show', c.invoiceId]);
    expect(closed.out).toMatch(/case ended: recovered \(operator_retry\)$/);
    expect(closed.out).not.toContain('What is next');
  });

  it('a hard decline: retry-now refused (exit 1, why); cancel needs --reason, then stops the case', async () => {
    const c = await declined('pm_card_chargeDeclinedExpiredCard');
    const before = chargesOf(c.invoiceId).length;
    const refused = await cases(['retry-now', c.invoiceId]);
    expect(refused.code).toBe(1);
    oneLine(refused);
    expect(refused.err).toContain('not possible: the decline rules out charging the same card again');
    expect(chargesOf(c.invoiceId)).toHaveLength(before);

    const noReason = await cases(['cancel', c.invoiceId]);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toMatch(/^cases: cancel needs --reason/);
    expect(noReason.err).toContain('Usage: npm run cases');
    const cancel = await cases(['cancel', c.invoiceId, '--reason', 'customer asked on the phone']);
    expect(cancel.code, cancel.err).toBe(0);
    const ended = await stack.untilStatus(c.invoiceId, 'cancelled', (s) => s.state === 'cancelled');
    expect(ended.outcome).toBe('customer asked on the phone');
    // The run closes a moment after the case ends (its last events on their way): then no active case.
    const again = await eventually(
      async () => {
        const r = await cases(['cancel', c.invoiceId, '--reason', 'again']);
        return r.code === 1 ? r : undefined;
      },
      10_000,
      'the run closed',
    );
    expect(again.err).toBe(`cases: No active dunning case for invoice ${c.invoiceId}`);
    oneLine(again);
  });

  it('unknown invoices, a wrong token, an unreachable API: exit 1, one line; bad command lines: exit 2', async () => {
    for (const command of ['show', 'retry-now', 'resend-link']) {
      const r = await cases([command, 'in_doesnotexist123']);
      expect(r.code, command).toBe(1);
      oneLine(r);
      expect(r.err).toBe('cases: No dunning case for invoice in_doesnotexist123');
    }
    const cancel = await cases(['cancel', 'in_doesnotexist123', '--reason', 'x']);
    expect(cancel).toMatchObject({ code: 1, err: 'cases: No active dunning case for invoice in_doesnotexist123' });

    const token = await cases(['list'], { API_TOKEN: 'not_the_token_0123456789' });
    expect(token.code).toBe(1);
    oneLine(token);
    expect(token.err).toContain('refused the token (401)');

    const out: string[] = [];
    const down = await runCases(['list', '--api', 'http://127.0.0.1:9'], {
      env: { API_TOKEN: stack.apiToken },
      cwd: process.cwd(),
      out: () => undefined,
      err: (t) => out.push(t),
      now: () => Date.now(),
    });
    expect(down).toBe(1);
    expect(out).toEqual([expect.stringMatching(/^cases: cannot reach the API at http:\/\/127\.0\.0\.1:9 /)]);

    // The routes behind the CLI check their input as every /api route does.
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      stack.api(path, { method: 'POST', body: JSON.stringify(body), headers });
    expect((await post('/api/invoices/in_doesnotexist123/retry-now', { requestId: 'short' })).status).toBe(400);
    expect((await post('/api/invoices/in_doesnotexist123/resend-link', { extra: 1 })).status).toBe(400);
    expect((await post('/api/invoices/not-an-invoice/retry-now', {})).status).toBe(400);
    expect((await post('/api/invoices/in_doesnotexist123/retry-now', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(await (await post('/api/invoices/in_doesnotexist123/resend-link', {})).json()).toEqual({
      error: { code: 'not_found', message: 'No dunning case for invoice in_doesnotexist123' },
    });

    for (const args of [[], ['frob'], ['show'], ['show', 'cus_123'], ['list', '--state', 'open'], ['list', '--reason', 'x']]) {
      const r = await cases(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain('Usage: npm run cases');
    }
  });

  it('quarantine list, replay (still invalid: exit 1; accepted today: the case starts) and discard', async () => {
    const s = await stack.sandbox.createFailedInvoiceScenario({
      email: `cli-q-${randomBytes(4).toString('hex')}@example.com`,
      amount: 1200,
      currency: 'eur',
      webhooks: false,
    });
    const failed = stack.eventsFor('invoice.payment_failed', s.invoiceId)[0]!;
    // Refused today (amount as a string): quarantined by the webhook.
    const invalidId = `${failed.id}_cli`;
    const invalid = { ...failed, id: invalidId, data: { object: { ...(failed.data.object as object), amount_due: '1200' } } };
    expect((await stack.deliver(invalid)).status).toBe(200);
    // Refused by an earlier deployment, accepted today (see test/temporal/quarantine.test.ts).
    const store = new QuarantineStore(stack.client, stack.taskQueue);
    await store.put(
      {
        eventId: failed.id,
        type: 'invoice.payment_failed',
        field: 'data.object.currency',
        reason: 'data.object.currency: not supported',
      },
      Buffer.from(JSON.stringify(failed)),
    );

    const list = await eventually(
      async () => {
        const r = await cases(['quarantine', 'list']);
        return r.out.includes(invalidId) && r.out.includes(`${failed.id} `) ? r : undefined;
      },
      15_000,
      'both events listed',
    );
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^EVENT\s+STATUS\s+TYPE\s+RECEIVED \(UTC\)\s+PROBLEM/);
    expect(list.out).toMatch(
      new RegExp(`${invalidId}\\s+quarantined\\s+invoice\\.payment_failed\\s+\\S+ \\S+Z\\s+data\\.object\\.amount_due: `),
    );

    const still = await cases(['quarantine', 'replay', invalidId]);
    expect(still.code).toBe(1);
    oneLine(still);
    expect(still.err).toContain('data.object.amount_due');

    const replay = await cases(['quarantine', 'replay', failed.id, '--by', 'ops@acme.test']);
    expect(replay).toEqual({ code: 0, out: `${failed.id}: replayed {"workflowId":"dunning-${s.invoiceId}"}`, err: '' });
    await stack.untilStatus(s.invoiceId, 'the case from the replay', (x) => x.emails.length === 1, 30_000);

    expect(await cases(['quarantine', 'discard', invalidId])).toEqual({ code: 0, out: `${invalidId}: discarded`, err: '' });
    const unknown = await cases(['quarantine', 'replay', 'evt_unknown123']);
    expect(unknown).toMatchObject({ code: 1, err: 'cases: No quarantined event evt_unknown123' });
    await cases(['cancel', s.invoiceId, '--reason', 'test over']);
  });
});
