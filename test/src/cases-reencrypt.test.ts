/**
 * `npm run cases -- reencrypt` without a server: its command line, and what it asks the API for
 * (a fake API records the requests). Against the real stack: test/temporal/key-rotation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runCases } from '../../src/cli/cases';
import { parseCasesArgs } from '../../src/cli/casesArgs';

const by = { by: 'cli:ada' };
const NOW = Date.UTC(2027, 4, 1, 12);

describe('reencrypt: the command line', () => {
  const parse = (argv: string[]) => parseCasesArgs(argv, by);

  it('takes one invoice, or --all with an optional instant', () => {
    expect(parse(['reencrypt', 'in_1'])).toEqual({
      ok: true,
      invocation: { json: false, command: { name: 'reencrypt', invoiceId: 'in_1', by: 'cli:ada' } },
    });
    expect(parse(['reencrypt', '--all', '--by', 'ops'])).toMatchObject({
      ok: true,
      invocation: { command: { name: 'reencrypt', all: true, by: 'ops' } },
    });
    expect(parse(['reencrypt', '--all', '--started-before', '2027-05-01T10:00:00Z'])).toMatchObject({
      ok: true,
      invocation: { command: { name: 'reencrypt', all: true, startedBefore: '2027-05-01T10:00:00Z' } },
    });
  });

  it('refuses what makes no sense, saying what', () => {
    expect(parse(['reencrypt'])).toEqual({ ok: false, problem: 'reencrypt needs one invoice id (in_…), or --all' });
    expect(parse(['reencrypt', 'cus_1'])).toMatchObject({ ok: false, problem: expect.stringContaining('invoice "cus_1"') });
    expect(parse(['reencrypt', '--all', 'in_1'])).toEqual({
      ok: false,
      problem: "reencrypt --all takes no invoice (got 'in_1')",
    });
    expect(parse(['reencrypt', 'in_1', '--started-before', '2027-05-01T10:00:00Z'])).toEqual({
      ok: false,
      problem: '--started-before goes with --all',
    });
    expect(parse(['reencrypt', '--all', '--started-before', 'yesterday'])).toMatchObject({
      ok: false,
      problem: expect.stringContaining('must be an ISO-8601 time'),
    });
  });
});

describe('reencrypt: what it asks the API', () => {
  /** The CLI against a fake API: the list names two open cases, one of which has ended meanwhile. */
  async function run(argv: string[]) {
    const requests: string[] = [];
    const fetchImpl = (async (url: string, init?: RequestInit) => {
      const u = new URL(url);
      requests.push(`${init?.method ?? 'GET'} ${u.pathname}${u.search}`);
      if (u.pathname === '/api/dunning') {
        const rows =
          u.searchParams.get('state') === 'active'
            ? [
                { workflowId: 'dunning-in_a', invoiceId: 'in_a', startedAt: '2027-04-01T00:00:00Z', status: 'RUNNING' },
                { workflowId: 'dunning-in_b', invoiceId: 'in_b', startedAt: '2027-04-02T00:00:00Z', status: 'RUNNING' },
              ]
            : [];
        return new Response(JSON.stringify({ cases: rows }), { status: 200 });
      }
      if (u.pathname === '/api/invoices/in_b/reencrypt')
        return new Response(JSON.stringify({ error: { code: 'case_over', message: 'The case of in_b is over' } }), {
          status: 409,
        });
      return new Response(JSON.stringify({ reencrypt: 'requested', workflowId: 'dunning-in_a', fromRunId: 'run-1' }), {
        status: 202,
      });
    }) as typeof fetch;
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCases(argv, {
      env: { API_TOKEN: 'tok' },
      cwd: '/',
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      now: () => NOW,
      fetch: fetchImpl,
    });
    return { code, out, err, requests };
  }

  it('one case: POST …/reencrypt, and what it means', async () => {
    const r = await run(['reencrypt', 'in_a', '--by', 'ops']);
    expect(r.requests).toEqual(['POST /api/invoices/in_a/reencrypt']);
    expect(r).toMatchObject({
      code: 0,
      out: ['in_a: re-encryption requested; the case continues as new at its next wait (run run-1 ends)'],
    });
  });

  it('--all: the open cases started before the instant (now by default), each asked; one over is reported', async () => {
    const r = await run(['reencrypt', '--all']);
    const before = encodeURIComponent(new Date(NOW).toISOString());
    expect(r.requests).toEqual([
      `GET /api/dunning?state=active&startedBefore=${before}&limit=1000`,
      `GET /api/dunning?state=processing&startedBefore=${before}&limit=1000`,
      'POST /api/invoices/in_a/reencrypt',
      'POST /api/invoices/in_b/reencrypt',
    ]);
    expect(r.code).toBe(0);
    expect(r.out[0]!.split('\n')).toEqual([
      'in_a: re-encryption requested',
      'in_b: The case of in_b is over',
      '1 of 2 cases continue as new at their next wait',
    ]);
  });
});
