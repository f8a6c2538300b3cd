import { describe, expect, it } from 'vitest';
import { DEFAULT_NOTICE_SEVERITY, pickNoticeCase, severityAt } from '../../domain/noticeSeverity';
import { POLICY_1_0, noticeThresholds } from '../../domain/policy';
import { parsePolicy } from '../../src/policyFile';

const H = 3_600_000;
const D = 24 * H;
const start = Date.parse('2026-12-01T00:00:00Z');

const base = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  version: 1,
  steps: [
    { at: '0', action: 'email', template: 'payment_failed' },
    { at: '3d', action: 'retry' },
    { at: '8d', action: 'final_notice' },
  ],
  endAfter: '10d',
  endAction: 'cancel_subscription',
  ...extra,
});
const errorsOf = (input: unknown): string[] => {
  const r = parsePolicy(input);
  if (r.ok) throw new Error('expected the policy to be rejected');
  return r.errors;
};

describe('the notice severity by day since the failure', () => {
  const t = noticeThresholds(POLICY_1_0);

  it('defaults to a warning on day 7 and a wall on day 12 when the policy names none', () => {
    expect(DEFAULT_NOTICE_SEVERITY).toEqual({ warning: '7d', wall: '12d' });
    expect(t).toEqual({ warningMs: 7 * D, wallMs: 12 * D });
  });

  it('is a notice, then a warning, then a wall, each from its first instant', () => {
    expect(severityAt(t, start, start)).toBe('notice');
    expect(severityAt(t, start, start + 7 * D - 1)).toBe('notice');
    expect(severityAt(t, start, start + 7 * D)).toBe('warning');
    expect(severityAt(t, start, start + 12 * D - 1)).toBe('warning');
    expect(severityAt(t, start, start + 12 * D)).toBe('wall');
  });

  it('is a wall once the grace period has ended, whatever the day', () => {
    expect(severityAt(t, start, start + 3 * D, start + 3 * D)).toBe('wall');
    expect(severityAt(t, start, start + 3 * D - 1, start + 3 * D)).toBe('notice');
  });

  it('takes the policy’s own levels, the default filling a missing one', () => {
    const r = parsePolicy(base({ noticeSeverity: { warning: '2d' } }));
    expect(r.ok && noticeThresholds(r.policy)).toEqual({ warningMs: 2 * D, wallMs: 12 * D });
    const both = parsePolicy(base({ noticeSeverity: { warning: '1d12h', wall: '6d' } }));
    expect(both.ok && both.policy.noticeSeverity).toEqual({ warning: '1d12h', wall: '6d' });
  });
});

describe('noticeSeverity in a policy file: clear errors', () => {
  it('refuses a wall not after the warning, naming both and which is the default', () => {
    expect(errorsOf(base({ noticeSeverity: { warning: '5d', wall: '5d' } }))).toContain(
      "noticeSeverity: wall '5d' must come after warning '5d'",
    );
    expect(errorsOf(base({ noticeSeverity: { warning: '13d' } }))).toContain(
      "noticeSeverity: wall '12d' (the default) must come after warning '13d'",
    );
  });

  it('refuses a wall no open case reaches, a warning at 0, a bad duration and an unknown level', () => {
    expect(errorsOf(base({ noticeSeverity: { warning: '2d', wall: '10d' } }))).toContain(
      "noticeSeverity.wall: '10d' is not before endAfter '10d': no open case would reach it",
    );
    expect(errorsOf(base({ noticeSeverity: { warning: '0', wall: '5d' } }))).toContain(
      "noticeSeverity.warning: must be later than '0' (the first days are a plain notice)",
    );
    expect(errorsOf(base({ noticeSeverity: { warning: 'soon' } }))).toContain(
      "noticeSeverity.warning: 'soon' is not a duration like '3d', '12h', '30m' or '20s'",
    );
    expect(errorsOf(base({ noticeSeverity: { banner: '1d' } }))).toContain('noticeSeverity.banner: unknown key');
  });

  it('leaves a policy without the field as it was (valid, no field added)', () => {
    const r = parsePolicy(base());
    expect(r.ok).toBe(true);
    expect(r.ok && 'noticeSeverity' in r.policy).toBe(false);
  });
});

describe('which open case the notice shows', () => {
  const c = (invoiceId: string, severity: 'notice' | 'warning' | 'wall', startedAt: string) => ({
    invoiceId,
    severity,
    startedAt,
  });

  it('the most severe, and among equals the oldest', () => {
    expect(
      pickNoticeCase([
        c('in_new_warning', 'warning', '2026-12-05T00:00:00Z'),
        c('in_old_notice', 'notice', '2026-11-20T00:00:00Z'),
        c('in_old_warning', 'warning', '2026-12-01T00:00:00Z'),
      ])?.invoiceId,
    ).toBe('in_old_warning');
    expect(
      pickNoticeCase([c('in_a', 'notice', '2026-12-01T00:00:00Z'), c('in_b', 'wall', '2026-12-02T00:00:00Z')])?.invoiceId,
    ).toBe('in_b');
  });

  it('none for no case', () => {
    expect(pickNoticeCase([])).toBeUndefined();
  });
});
