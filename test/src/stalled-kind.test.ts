import { describe, expect, it } from 'vitest';
import { parseCasesArgs } from '../../src/cli/casesArgs';
import { formatStalled } from '../../src/cli/casesFormat';
import {
  isStalled,
  mapLimited,
  shortMessage,
  stalledCounts,
  stalledErrorKind,
  type StalledCase,
} from '../../src/stalled/stalledKind';

const stalled = (workflowType: string, errorKind: string): StalledCase => ({
  workflowId: `wf-${Math.random()}`,
  runId: 'r',
  workflowType,
  attempt: 3,
  errorKind,
});

describe('stalled cases', () => {
  it('names the error kind from the failure cause, bounded', () => {
    expect(stalledErrorKind({ kind: 'failed', cause: 'WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES' })).toBe(
      'bad_search_attributes',
    );
    expect(stalledErrorKind({ kind: 'failed', cause: 'WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR' })).toBe(
      'non_deterministic_error',
    );
    expect(stalledErrorKind({ kind: 'failed', cause: 'WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED' })).toBe('unknown');
    expect(stalledErrorKind({ kind: 'failed', cause: undefined })).toBe('unknown');
    expect(stalledErrorKind({ kind: 'failed', cause: 'something else' })).toBe('unknown');
    expect(stalledErrorKind({ kind: 'timed_out' })).toBe('timed_out');
    expect(stalledErrorKind(undefined)).toBe('unknown');
  });

  it('is stalled from the second try of a workflow task on', () => {
    expect(isStalled(undefined)).toBe(false);
    expect(isStalled(1)).toBe(false);
    expect(isStalled(2)).toBe(true);
    expect(isStalled(40)).toBe(true);
  });

  it('counts by workflow type and error kind', () => {
    const cases = [
      stalled('dunningWorkflow', 'bad_search_attributes'),
      stalled('dunningWorkflow', 'bad_search_attributes'),
      stalled('dunningWorkflow', 'non_deterministic_error'),
      stalled('cardRetryBudgetWorkflow', 'timed_out'),
    ];
    expect(stalledCounts(cases)).toEqual([
      { workflowType: 'cardRetryBudgetWorkflow', errorKind: 'timed_out', count: 1 },
      { workflowType: 'dunningWorkflow', errorKind: 'bad_search_attributes', count: 2 },
      { workflowType: 'dunningWorkflow', errorKind: 'non_deterministic_error', count: 1 },
    ]);
  });

  it('shortens a message to one line', () => {
    expect(shortMessage('a\n  b')).toBe('a b');
    expect(shortMessage('x'.repeat(400))).toHaveLength(300);
    expect(shortMessage(undefined)).toBeUndefined();
  });

  it('runs at most `limit` at a time, in order', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(most).toBe(3);
  });

  it('`list --stalled` takes no filter, and prints one row per case', () => {
    const ok = parseCasesArgs(['list', '--stalled'], { by: 'cli:t' });
    expect(ok.ok && ok.invocation.command).toEqual({ name: 'list', blocked: false, limit: 100, stalled: true });
    const bad = parseCasesArgs(['list', '--stalled', '--state', 'active'], { by: 'cli:t' });
    expect(bad).toEqual({ ok: false, problem: '--stalled takes no other option (got --state)' });
    const text = formatStalled({
      scannedAt: '2026-12-07T10:00:00.000Z',
      method: 'describe',
      scanned: 12,
      truncated: false,
      cases: [
        { ...stalled('dunningWorkflow', 'bad_search_attributes'), workflowId: 'dunning-in_1', message: 'BadSearchAttributes: …' },
      ],
    });
    expect(text).toContain('dunning-in_1');
    expect(text).toContain('bad_search_attributes');
    expect(text.split('\n').at(-1)).toBe(
      '1 case stalled: workflow task failing (scanned 2026-12-07 10:00Z); see docs/production/stalled-cases.md',
    );
  });
});
