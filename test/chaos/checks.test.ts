/** The chaos invariants themselves: they must see a duplicate when there is one. */
import { describe, expect, it } from 'vitest';
import type { ChargeRecord } from '../../sandbox/stripe';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  caseFigures,
  doubleCharges,
  duplicateEmails,
  keepSettling,
  logFigures,
  stepOfKey,
  stillSettling,
} from '../../tools/chaos/checks';
import type { SentEmail } from '../../tools/chaos/driver';

const email = (id: string, invoice: string, key: string, template: string, to = 'a@x.test'): SentEmail => ({
  id,
  to: [to],
  tags: [
    { name: 'invoice_id', value: invoice },
    { name: 'template', value: template },
  ],
  idempotency: { key, bodyHash: 'h' },
  createdAt: '2026-01-01T00:00:00Z',
});

const charge = (invoiceId: string, key: string, o: Partial<ChargeRecord> = {}): ChargeRecord => ({
  at: '2026-01-01T00:00:00Z',
  invoiceId,
  paymentMethodId: 'pm_1',
  fingerprint: 'fp1',
  idempotencyKey: key,
  requestId: 'req_1',
  source: 'api',
  outcome: 'declined',
  ...o,
});

describe('chaos checks', () => {
  it('reads the step out of a key with or without a run id', () => {
    expect(stepOfKey('dunning-in_1/email:reminder_1', 'in_1')).toBe('email:reminder_1');
    expect(stepOfKey('dunning-in_1/5f0e-run-id/email:reminder_1', 'in_1')).toBe('email:reminder_1');
    expect(stepOfKey('dunning-in_1/retry:card_update_2', 'in_1')).toBe('retry:card_update_2');
  });

  it('counts a step emailed twice under keys of two runs, and a once-per-case template sent twice', () => {
    const ids = new Set(['in_1', 'in_2']);
    const messages = [
      email('m1', 'in_1', 'dunning-in_1/run-a/email:payment_failed', 'payment_failed'),
      email('m2', 'in_1', 'dunning-in_1/run-b/email:payment_failed', 'payment_failed'),
      email('m3', 'in_1', 'dunning-in_1/email:reminder_1', 'reminder'),
      email('m4', 'in_1', 'dunning-in_1/email:reminder_2', 'reminder'),
      email('m5', 'in_2', 'dunning-in_2/email:final_notice', 'final_notice'),
      email('m6', 'in_2', 'dunning-in_2/email:final_notice_again', 'final_notice'),
      email('m7', 'in_9', 'dunning-in_9/email:payment_failed', 'payment_failed'),
    ];
    expect(duplicateEmails(messages, ids).map((m) => m.id)).toEqual(['m2', 'm6']);
  });

  it('counts a step charged twice, a reported card charged twice, and a second success', () => {
    const ids = new Set(['in_1']);
    const charges = [
      charge('in_1', 'dunning-in_1/retry:step_1'),
      charge('in_1', 'dunning-in_1/retry:step_1'), // the same step executed twice
      charge('in_1', 'dunning-in_1/retry:card_update_1', { fingerprint: 'fp2' }),
      charge('in_1', 'dunning-in_1/retry:card_update_2', { fingerprint: 'fp2' }), // the same card reported again
      charge('in_1', 'dunning-in_1/retry:step_2', { outcome: 'succeeded' }),
      charge('in_1', 'dunning-in_1/retry:step_3', { outcome: 'succeeded' }), // a second success
      charge('in_1', null as unknown as string, { source: 'automatic' }), // Stripe's own attempt is not ours
    ];
    expect(doubleCharges(charges, ids)).toHaveLength(3);
    expect(doubleCharges(charges.slice(0, 1), ids)).toHaveLength(0);
  });

  it('flags a lost case, a Failed run, an active state on a closed run and a wrong end', () => {
    const cases = [
      { invoiceId: 'in_1', customerId: 'c', subscriptionId: 's', fate: 'paid' as const },
      { invoiceId: 'in_2', customerId: 'c', subscriptionId: 's', fate: 'voided' as const, settledAt: 1 },
      { invoiceId: 'in_3', customerId: 'c', subscriptionId: 's', fate: 'none' as const },
      { invoiceId: 'in_4', customerId: 'c', subscriptionId: 's', fate: 'card_fixed' as const, settledAt: 1 },
    ];
    const facts = new Map([
      ['in_2', { found: true, status: 'FAILED', state: 'active' }],
      ['in_3', { found: true, status: 'RUNNING', state: 'active' }],
      ['in_4', { found: true, status: 'COMPLETED', state: 'exhausted' }],
    ]);
    const f = caseFigures(cases, facts, [], [], false);
    expect(f).toMatchObject({ cases: 4, lost: 1, failed: 1, stateMismatch: 1, wrongEnd: 2 });
    // At the end of a full run an open case is a wrong end too.
    expect(caseFigures(cases.slice(2, 3), facts, [], [], true).wrongEnd).toBe(1);
  });

  it('takes a debit case processing on an open run for what it is, not a state that disagrees with its run', () => {
    const cases = [{ invoiceId: 'in_1', customerId: 'c', subscriptionId: 's', fate: 'none' as const }];
    const facts = new Map([['in_1', { found: true, status: 'RUNNING', state: 'processing' }]]);
    expect(caseFigures(cases, facts, [], [], false).stateMismatch).toBe(0);
    facts.set('in_1', { found: true, status: 'COMPLETED', state: 'processing' });
    expect(caseFigures(cases, facts, [], [], false).stateMismatch).toBe(1);
  });

  it('waits for a missing case, a settled case still open, and a case in the middle of ending', () => {
    const facts = new Map([
      ['in_settled_open', { found: true, status: 'RUNNING', state: 'active' }],
      ['in_ending', { found: true, status: 'RUNNING', state: 'recovered' }],
      ['in_open', { found: true, status: 'RUNNING', state: 'active' }],
      ['in_processing', { found: true, status: 'RUNNING', state: 'processing' }],
      ['in_closed', { found: true, status: 'COMPLETED', state: 'recovered' }],
      ['in_starting', { found: true, status: 'RUNNING' }],
    ]);
    const ids = ['in_missing', ...facts.keys()];
    expect(stillSettling(ids, facts, new Set(['in_settled_open', 'in_closed']))).toEqual([
      'in_missing',
      'in_settled_open',
      'in_ending',
    ]);
  });

  it('keeps settling past the planned deadline only while cases keep closing, and never past the hard stop', () => {
    const clock = { settleBy: 100_000, hardStop: 150_000, lastProgressAt: 0, stallMs: 20_000 };
    expect(keepSettling({ ...clock, now: 99_000 })).toBe(true); // before the deadline, even with no progress
    expect(keepSettling({ ...clock, now: 110_000, lastProgressAt: 95_000 })).toBe(true); // still closing
    expect(keepSettling({ ...clock, now: 110_000, lastProgressAt: 85_000 })).toBe(false); // stalled
    expect(keepSettling({ ...clock, now: 150_000, lastProgressAt: 149_000 })).toBe(false); // the hard stop
  });

  it('counts a case that ended on its schedule because its fate reached it too late apart from a wrong end', () => {
    const closed = Date.parse('2026-01-01T00:10:00Z');
    const facts = new Map([['in_1', { found: true, status: 'COMPLETED', state: 'exhausted', closeTime: closed }]]);
    const fixed = (settledAt?: number) => [
      { invoiceId: 'in_1', customerId: 'c', subscriptionId: 's', fate: 'card_fixed' as const, settledAt },
    ];
    expect(caseFigures(fixed(closed + 1000), facts, [], [], true)).toMatchObject({ wrongEnd: 0, settledLate: 1 });
    expect(caseFigures(fixed(undefined), facts, [], [], true)).toMatchObject({ wrongEnd: 0, settledLate: 1 });
    expect(caseFigures(fixed(closed - 5 * 60_000), facts, [], [], true)).toMatchObject({ wrongEnd: 1, settledLate: 0 });
  });

  it('finds every log line that is not one JSON object, in worker and API logs only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaos-logs-'));
    try {
      writeFileSync(join(dir, 'worker-1.log'), '{"level":"info","msg":"a"}\n{"level":"warn","msg":"b"}\n');
      // A pretty-printed SDK object, and a last line cut by a SIGKILL.
      writeFileSync(join(dir, 'worker-2.log'), '{"msg":"ok"}\n2026-01-01 [WARN] Activity failed {\n  attempt: 2,\n}\n{"msg":"cu');
      writeFileSync(join(dir, 'api-1.log'), '{"msg":"ok"}\n[1,2]\n');
      writeFileSync(join(dir, 'stripe-sandbox.log'), 'ready: http://127.0.0.1:1\n');
      const f = logFigures(dir);
      expect(f).toMatchObject({ files: 3, lines: 8, notJson: 4, cutByKill: 1 });
      expect(f.examples[0]).toMatch(/^api-1\.log:2: \[1,2\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
