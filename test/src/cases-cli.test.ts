/**
 * The ops CLI without a server: its command line (casesArgs), what it prints (casesFormat), where
 * it finds the API and its token (casesApi), how it answers the API's errors (exit codes), and what
 * the operator routes answer for each outcome (src/http/operatorAnswers). The commands against the
 * real stack: test/temporal/cases-cli.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCases } from '../../src/cli/cases';
import { CliError, resolveTarget } from '../../src/cli/casesApi';
import { parseCasesArgs } from '../../src/cli/casesArgs';
import { formatCase, formatCaseList, formatQuarantine, formatRetryOutcome, relativeLabel } from '../../src/cli/casesFormat';
import { resendLinkResponse, retryNowResponse } from '../../src/http/operatorAnswers';
import type { DunningStatus } from '../../domain/types';

const by = { by: 'cli:ada' };

describe('the command line', () => {
  const ok = (argv: string[]) => {
    const r = parseCasesArgs(argv, by);
    if (!r.ok) throw new Error(r.problem);
    return r.invocation;
  };
  const problem = (argv: string[]) => {
    const r = parseCasesArgs(argv, by);
    if (r.ok) throw new Error(`accepted: ${argv.join(' ')}`);
    return r.problem;
  };

  it('reads every command with its options', () => {
    expect(ok(['list'])).toEqual({ json: false, command: { name: 'list', blocked: false, limit: 100 } });
    expect(ok(['list', '--state', 'active', '--customer', 'cus_1', '--blocked', '--limit', '5', '--json'])).toEqual({
      json: true,
      command: { name: 'list', state: 'active', customerId: 'cus_1', blocked: true, limit: 5 },
    });
    expect(ok(['show', 'in_1Abc', '--api', 'http://x:1']).command).toEqual({ name: 'show', invoiceId: 'in_1Abc' });
    expect(ok(['show', 'in_1Abc', '--api', 'http://x:1']).api).toBe('http://x:1');
    expect(ok(['cancel', 'in_1', '--reason', ' duplicate invoice ']).command).toEqual({
      name: 'cancel',
      invoiceId: 'in_1',
      reason: 'duplicate invoice',
      by: 'cli:ada',
    });
    expect(ok(['retry-now', 'in_1', '--by', 'ops']).command).toEqual({ name: 'retry-now', invoiceId: 'in_1', by: 'ops' });
    expect(ok(['resend-link', 'in_1']).command).toEqual({ name: 'resend-link', invoiceId: 'in_1', by: 'cli:ada' });
    expect(ok(['release-collection']).command).toEqual({
      name: 'release-collection',
      reason: 'service_uninstalled',
      by: 'cli:ada',
    });
    expect(ok(['release-collection', '--customer', 'cus_1', '--reason', 'moving on']).command).toEqual({
      name: 'release-collection',
      reason: 'moving on',
      by: 'cli:ada',
      customerId: 'cus_1',
    });
    expect(ok(['quarantine', 'list', '--limit', '3']).command).toEqual({ name: 'quarantine list', limit: 3 });
    expect(ok(['quarantine', 'replay', 'evt_1_x']).command).toEqual({
      name: 'quarantine replay',
      eventId: 'evt_1_x',
      by: 'cli:ada',
    });
    expect(ok(['quarantine', 'discard', `body_${'a'.repeat(64)}`]).command.name).toBe('quarantine discard');
    expect(ok(['--help']).command).toEqual({ name: 'help' });
    expect(ok(['help']).command).toEqual({ name: 'help' });
  });

  it('says what is wrong, in one line', () => {
    expect(problem([])).toBe('a command is needed');
    expect(problem(['frob'])).toBe("unknown command 'frob'");
    expect(problem(['constructor'])).toBe("unknown command 'constructor'");
    expect(problem(['quarantine'])).toBe('quarantine needs list, replay or discard');
    expect(problem(['quarantine', 'eat'])).toBe("unknown command 'quarantine eat'");
    expect(problem(['show'])).toBe('show needs one invoice id (in_…)');
    expect(problem(['show', 'in_1', 'in_2'])).toBe('show needs one invoice id (in_…)');
    expect(problem(['show', 'cus_1'])).toMatch(/^invoice "cus_1" must be an id starting with in_/);
    expect(problem(['show', 'in_1', '--reason', 'x'])).toBe('show takes no --reason');
    expect(problem(['list', '--by', 'x'])).toBe('list takes no --by');
    expect(problem(['list', 'extra'])).toBe("list takes no argument (got 'extra')");
    expect(problem(['list', '--state', 'open'])).toBe(
      '--state "open" must be active, processing, recovered, exhausted, cancelled or saved_by_offer',
    );
    expect(problem(['list', '--limit', '0'])).toMatch(/^--limit "0" /);
    expect(problem(['list', '--customer', 'in_1'])).toMatch(/^--customer "in_1" must be an id starting with cus_/);
    expect(problem(['cancel', 'in_1'])).toBe('cancel needs --reason (it becomes the case outcome)');
    expect(problem(['release-collection', 'in_1'])).toBe("release-collection takes no argument (got 'in_1')");
    expect(problem(['release-collection', '--state', 'active'])).toBe('release-collection takes no --state');
    expect(problem(['cancel', 'in_1', '--reason', '  '])).toMatch(/^--reason " {2}" /);
    expect(problem(['list', '--nope'])).toMatch(/Unknown option '--nope'/);
    expect(problem(['quarantine', 'replay', 'evt-1'])).toMatch(/must be an event id/);
  });
});

const NOW = Date.UTC(2026, 10, 26, 15, 0);

const status = (over: Partial<DunningStatus> = {}): DunningStatus => ({
  invoiceId: 'in_1',
  customerId: 'cus_1',
  subscriptionId: 'sub_1',
  state: 'active',
  amountDue: 4900,
  currency: 'usd',
  declineCategory: 'insufficient_funds',
  attempts: [{ at: '2026-11-23T14:00:00.000Z', trigger: 'schedule', outcome: 'declined', declineCode: 'insufficient_funds' }],
  emails: [
    { at: '2026-11-20T10:00:05.000Z', template: 'payment_failed.insufficient_funds', messageId: 'msg_1' },
    { at: '2026-11-23T14:00:01.000Z', template: 'reminder', error: 'EmailInvalidRecipient: bad address' },
  ],
  nextAction: { kind: 'retry', at: '2026-12-01T14:00:00.000Z' },
  startedAt: '2026-11-20T10:00:00.000Z',
  card: { brand: 'visa', last4: '4242' },
  customerRetry: { allowed: false, reason: 'cooldown', retryAt: '2026-11-26T20:00:00.000Z' },
  timeZone: 'America/New_York',
  ...over,
});

describe('what the CLI prints', () => {
  it('a case as a timeline in its time zone: what happened, what is next and when', () => {
    expect(formatCase(status(), NOW)).toBe(
      [
        'in_1 · cus_1 · sub_1 · $49.00 USD · active',
        'Decline: insufficient funds · Visa •••• 4242',
        "Times in America/New_York (the customer's)",
        '',
        'What happened',
        '  Nov 20, 05:00  case opened by the failed payment',
        '  Nov 20, 05:00  email payment_failed.insufficient_funds: sent (msg_1)',
        '  Nov 23, 09:00  scheduled retry: declined (insufficient_funds)',
        '  Nov 23, 09:00  email reminder: not sent (EmailInvalidRecipient: bad address)',
        '',
        'What is next',
        '  Dec 1, 09:00   retry the card on file (in 5 days)',
        '  meanwhile: a new card, a payment elsewhere or a cancellation acts at once',
        "  customer's own retry: not possible (cooldown until Nov 26, 15:00)",
      ].join('\n'),
    );
  });

  it('an ended case ends its timeline with the outcome, and shows nothing next; UTC until the zone is known', () => {
    const text = formatCase(
      status({
        state: 'recovered',
        outcome: 'operator_retry',
        endedAt: '2026-11-25T16:00:00.000Z',
        attempts: [
          { at: '2026-11-25T16:00:00.000Z', trigger: 'operator_retry', outcome: 'succeeded' },
          { at: '2026-11-24T16:00:00.000Z', trigger: 'stripe', outcome: 'skipped_already_paid' },
        ],
        emails: [],
        nextAction: undefined,
        timeZone: undefined,
      }),
      NOW,
    );
    expect(text).toContain('Times in UTC\n');
    expect(text).toContain(
      "  Nov 25, 16:00  operator's retry now: paid\n  Nov 25, 16:00  case ended: recovered (operator_retry)",
    );
    expect(text).toContain('Nov 24, 16:00  paid elsewhere (Stripe says the invoice is paid)');
    expect(text).not.toContain('What is next');
  });

  it('a case blocked on a provider says since when and when it tries again; unknown words pass through', () => {
    const text = formatCase(
      status({
        blockedOn: {
          provider: 'stripe',
          since: '2026-11-26T14:00:00.000Z',
          reason: 'StripeTransient: 503',
          retryAt: '2026-11-26T15:30:00.000Z',
        },
        attempts: [{ at: '2026-11-26T14:00:00.000Z', trigger: 'new_kind' as never, outcome: 'skipped_later' as never }],
      }),
      NOW,
    );
    expect(text).toContain(
      '  blocked: Stripe unavailable since Nov 26, 09:00 (StripeTransient: 503); trying again Nov 26, 10:30 (in 30 minutes)',
    );
    expect(text).toContain('new kind: skipped later');
  });

  it('an undeliverable address shows in the timeline', () => {
    const text = formatCase(
      status({
        emailUndeliverable: {
          event: 'bounced',
          address: 'jane@example.com',
          reason: 'no such mailbox',
          occurredAt: '2026-11-26T14:00:00.000Z',
        },
      }),
      NOW,
    );
    expect(text).toContain('  Nov 26, 09:00  email undeliverable: bounced (no such mailbox); no more email to jane@example.com');
  });

  it('relative times, roughly', () => {
    expect(relativeLabel(NOW + 30_000, NOW)).toBe('now');
    expect(relativeLabel(NOW + 60_000, NOW)).toBe('in 1 minute');
    expect(relativeLabel(NOW + 5 * 3_600_000, NOW)).toBe('in 5 hours');
    expect(relativeLabel(NOW - 2 * 86_400_000, NOW)).toBe('2 days ago');
  });

  it('a list of cases as a table, times in UTC; the quarantine likewise', () => {
    expect(formatCaseList([])).toBe('no cases');
    expect(
      formatCaseList([
        {
          workflowId: 'dunning-in_1',
          runId: 'r',
          invoiceId: 'in_1',
          customerId: 'cus_1',
          state: 'active',
          declineCategory: 'insufficient_funds',
          amountDue: 4900,
          currency: 'usd',
          nextActionAt: '2026-12-01T14:00:00.000Z',
          blockedOn: 'resend',
          startedAt: '2026-11-20T10:00:00.000Z',
          status: 'RUNNING',
        },
        {
          workflowId: 'dunning-in_22',
          runId: 'r',
          invoiceId: 'in_22',
          customerId: 'cus_2',
          state: 'recovered',
          declineCategory: 'temporary',
          amountDue: 1999,
          currency: 'eur',
          nextActionAt: '2026-12-01T14:00:00.000Z',
          startedAt: '2026-11-20T10:00:00.000Z',
          status: 'COMPLETED',
        },
      ]),
    ).toBe(
      [
        'INVOICE  CUSTOMER  STATE      AMOUNT      DECLINE             NEXT (UTC)         BLOCKED ON',
        'in_1     cus_1     active     $49.00 USD  insufficient funds  2026-12-01 14:00Z  resend',
        'in_22    cus_2     recovered  €19.99 EUR  temporary',
        '2 cases',
      ].join('\n'),
    );
    expect(formatQuarantine([])).toBe('no quarantined events');
    expect(
      formatQuarantine([
        {
          eventId: 'evt_1',
          status: 'quarantined',
          type: 'invoice.payment_failed',
          field: 'data.object.amount_due',
          reason: 'Expected number',
          receivedAt: '2026-11-26T14:00:00.000Z',
        },
      ]),
    ).toBe(
      [
        'EVENT  STATUS       TYPE                    RECEIVED (UTC)     PROBLEM',
        'evt_1  quarantined  invoice.payment_failed  2026-11-26 14:00Z  data.object.amount_due: Expected number',
        '1 event',
      ].join('\n'),
    );
  });

  it("retry-now's answers", () => {
    expect(formatRetryOutcome('in_1', { outcome: 'succeeded' })).toBe('in_1: paid. The case ends recovered.');
    expect(formatRetryOutcome('in_1', { outcome: 'declined', declineCategory: 'temporary' })).toBe(
      'in_1: declined again (temporary); the case goes on with its schedule',
    );
    expect(formatRetryOutcome('in_1', { outcome: 'requires_action', hostedInvoiceUrl: 'https://pay' })).toBe(
      'in_1: the bank asks the customer to confirm the payment (3-D Secure): https://pay',
    );
    expect(formatRetryOutcome('in_1', { accepted: true })).toMatch(/^in_1: retry accepted; the charge is still under way/);
  });
});

describe('the operator routes, outcome by outcome', () => {
  it('retry-now: 200 the outcome, 202 accepted, 404 none or ended, 409 refused (at once or while charging)', () => {
    expect(retryNowResponse('in_1', 'r1', { kind: 'done', result: { outcome: 'succeeded' } })).toMatchObject({
      status: 200,
      body: { invoiceId: 'in_1', requestId: 'r1', outcome: 'succeeded' },
    });
    expect(retryNowResponse('in_1', 'r1', { kind: 'accepted' })).toMatchObject({
      status: 202,
      body: { invoiceId: 'in_1', requestId: 'r1', accepted: true },
    });
    expect(retryNowResponse('in_1', 'r1', { kind: 'no_case' })).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found', message: 'No dunning case for invoice in_1' } },
    });
    expect(
      retryNowResponse('in_1', 'r1', { kind: 'ended', status: status({ state: 'exhausted', outcome: 'cancel_subscription' }) }),
    ).toMatchObject({
      status: 404,
      body: {
        error: {
          code: 'case_ended',
          message: 'The dunning case for invoice in_1 has ended: exhausted (cancel_subscription)',
          state: 'exhausted',
        },
      },
    });
    expect(
      retryNowResponse('in_1', 'r1', { kind: 'refused', refusal: { allowed: false, reason: 'not_retryable' } }),
    ).toMatchObject({
      status: 409,
      body: { error: { code: 'retry_not_possible', reason: 'not_retryable' } },
    });
    expect(
      retryNowResponse('in_1', 'r1', {
        kind: 'done',
        result: { outcome: 'not_possible', reason: 'budget', retryAt: '2026-12-01T00:00:00.000Z' },
      }),
    ).toEqual({
      status: 409,
      body: {
        error: {
          code: 'retry_not_possible',
          message: "Retry of in_1 not possible: the card's network reattempt budget is used up (until 2026-12-01T00:00:00.000Z)",
          reason: 'budget',
          retryAt: '2026-12-01T00:00:00.000Z',
        },
      },
      log: { refused: 'budget' },
    });
  });

  it('resend-link: 200 sent, 502 the provider refused, 409 refused', () => {
    const at = '2026-11-26T14:00:00.000Z';
    expect(
      resendLinkResponse('in_1', 'r1', { kind: 'done', result: { outcome: 'sent', at, template: 'reminder', messageId: 'm' } }),
    ).toMatchObject({
      status: 200,
      body: { invoiceId: 'in_1', requestId: 'r1', outcome: 'sent', template: 'reminder', messageId: 'm' },
    });
    expect(
      resendLinkResponse('in_1', 'r1', { kind: 'done', result: { outcome: 'failed', at, template: 'reminder', error: 'quota' } }),
    ).toMatchObject({ status: 502, body: { error: { code: 'email_failed' } } });
    expect(
      resendLinkResponse('in_1', 'r1', { kind: 'refused', refusal: { allowed: false, reason: 'no_email_address' } }),
    ).toMatchObject({
      status: 409,
      body: {
        error: {
          code: 'link_not_possible',
          message: 'Link email for in_1 not possible: the Stripe customer has no email address',
        },
      },
    });
  });
});

describe('where the CLI finds the API and its token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cases-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('API_TOKEN first; else the dev token under DATA_DIR; never in production; the URL from --api, DUNNING_API_URL or the default', () => {
    expect(resolveTarget(undefined, { API_TOKEN: 'tok' }, dir)).toEqual({ baseUrl: 'http://localhost:3000', token: 'tok' });
    expect(resolveTarget('http://api:8080/', { API_TOKEN: 'tok', DUNNING_API_URL: 'http://other' }, dir).baseUrl).toBe(
      'http://api:8080',
    );
    expect(resolveTarget(undefined, { API_TOKEN: 'tok', DUNNING_API_URL: 'https://ops.example' }, dir).baseUrl).toBe(
      'https://ops.example',
    );
    expect(() => resolveTarget('ftp://x', { API_TOKEN: 'tok' }, dir)).toThrow(CliError);

    expect(() => resolveTarget(undefined, {}, dir)).toThrow(/no API token: set API_TOKEN, or start the service once/);
    mkdirSync(join(dir, '.data'));
    writeFileSync(join(dir, '.data', 'dev-secrets.json'), JSON.stringify({ apiToken: 'dev_abc', linkSecret: 'x' }));
    expect(resolveTarget(undefined, {}, dir).token).toBe('dev_abc');
    expect(() => resolveTarget(undefined, { NODE_ENV: 'production' }, dir)).toThrow(/API_TOKEN is required in production/);
    mkdirSync(join(dir, 'other'));
    writeFileSync(join(dir, 'other', 'dev-secrets.json'), '{}');
    expect(() => resolveTarget(undefined, { DATA_DIR: 'other' }, dir)).toThrow(/holds no apiToken/);
  });
});

describe('exit codes', () => {
  /** The CLI against a fake API answering `status` with `body`. */
  async function against(status: number, body: unknown, argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const fetchImpl = (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;
    const code = await runCases(argv, {
      env: { API_TOKEN: 'tok' },
      cwd: '/',
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      now: () => NOW,
      fetch: fetchImpl,
    });
    return { code, out, err };
  }

  it('0 done; 1 with the API’s one line; 2 for a bad command line or what the API found invalid', async () => {
    expect(await against(200, status(), ['show', 'in_1', '--json'])).toEqual({
      code: 0,
      out: [JSON.stringify(status(), null, 2)],
      err: [],
    });
    expect(
      await against(404, { error: { code: 'not_found', message: 'No dunning case for invoice in_9' } }, ['show', 'in_9']),
    ).toEqual({
      code: 1,
      out: [],
      err: ['cases: No dunning case for invoice in_9'],
    });
    expect((await against(401, { error: { code: 'unauthorized', message: 'x' } }, ['list'])).err).toEqual([
      'cases: the API at http://localhost:3000 refused the token (401): set API_TOKEN to its token',
    ]);
    expect((await against(400, { error: { code: 'invalid_input', message: 'query.limit: too big' } }, ['list'])).code).toBe(2);
    expect((await against(502, 'Bad gateway', ['list'])).err).toEqual(['cases: the API answered 502: "Bad gateway"']);
    const badAnswer = await against(200, { cases: [{ nope: true }] }, ['list']);
    expect(badAnswer.code).toBe(1);
    expect(badAnswer.err[0]).toMatch(/^cases: unexpected answer for the list of cases: cases\.0\.workflowId /);
    const usage = await against(200, {}, ['show']);
    expect(usage.code).toBe(2);
    expect(usage.err[0]).toMatch(/^cases: show needs one invoice id \(in_…\)\n\nUsage: npm run cases/);
  });
});
