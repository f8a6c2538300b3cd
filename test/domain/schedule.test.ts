import { describe, expect, it } from 'vitest';
import { POLICY_1_0, resolvePolicy, type ResolvedPolicy } from '../../domain/policy';
import { nextPaydayAt, planSchedule, type PlanContext, zonedTimeToEpoch } from '../../domain/schedule';
import type { DeclineCategory } from '../../domain/types';

const H = 3_600_000;
const D = 24 * H;
const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

const resolved = (category: DeclineCategory, patch: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({
  ...resolvePolicy(POLICY_1_0, { category, amountDue: 1000, currency: 'usd' }),
  ...patch,
});

const plan = (category: DeclineCategory, ctx: Omit<PlanContext, 'category'>, patch: Partial<ResolvedPolicy> = {}) =>
  planSchedule(resolved(category, patch), { category, ...ctx }).map((s): [string, string] => [s.key, iso(s.at)]);

describe('zonedTimeToEpoch', () => {
  it.each<[string, [number, number, number, number, number], string]>([
    ['UTC', [2024, 1, 15, 9, 0], '2024-01-15T09:00:00.000Z'],
    ['Asia/Ho_Chi_Minh', [2024, 2, 1, 9, 0], '2024-02-01T02:00:00.000Z'],
    ['America/Los_Angeles', [2024, 1, 15, 9, 0], '2024-01-15T17:00:00.000Z'], // PST, UTC-8
    ['America/Los_Angeles', [2024, 7, 15, 9, 0], '2024-07-15T16:00:00.000Z'], // PDT, UTC-7
    // 02:30 does not exist on 10 March 2024 (02:00 → 03:00): moves forward by the gap, to 03:30 PDT.
    ['America/Los_Angeles', [2024, 3, 10, 2, 30], '2024-03-10T10:30:00.000Z'],
    // 01:30 happens twice on 3 November 2024: the earlier (PDT) instant.
    ['America/Los_Angeles', [2024, 11, 3, 1, 30], '2024-11-03T08:30:00.000Z'],
    ['Asia/Kolkata', [2024, 1, 1, 0, 0], '2023-12-31T18:30:00.000Z'],
  ])('%s %j', (tz, [y, mo, d, h, mi], expected) => {
    expect(iso(zonedTimeToEpoch(y, mo, d, h, mi, tz))).toBe(expected);
  });
});

describe('nextPaydayAt', () => {
  it.each<[string, string, number[], number, string, string]>([
    ['before the payday', '2024-01-02T00:00:00Z', [1, 15], 9, 'UTC', '2024-01-15T09:00:00.000Z'],
    ['exactly at it (at or after)', '2024-01-15T09:00:00Z', [1, 15], 9, 'UTC', '2024-01-15T09:00:00.000Z'],
    ['just after it', '2024-01-15T09:00:00.001Z', [1, 15], 9, 'UTC', '2024-02-01T09:00:00.000Z'],
    ['unsorted paydays', '2024-01-02T00:00:00Z', [15, 1], 9, 'UTC', '2024-01-15T09:00:00.000Z'],
    ['across the year end', '2024-12-20T00:00:00Z', [1, 15], 9, 'UTC', '2025-01-01T09:00:00.000Z'],
    ['31 in a leap February', '2024-02-01T10:00:00Z', [31], 9, 'UTC', '2024-02-29T09:00:00.000Z'],
    ['31 in February', '2023-02-01T10:00:00Z', [31], 9, 'UTC', '2023-02-28T09:00:00.000Z'],
    ['30 in April', '2024-04-01T00:00:00Z', [30, 31], 9, 'UTC', '2024-04-30T09:00:00.000Z'],
    ['after the clamped day, into March', '2023-02-28T10:00:00Z', [31], 9, 'UTC', '2023-03-31T09:00:00.000Z'],
    // Ho Chi Minh is UTC+7: 20:00Z on 31 Jan is already 1 Feb 03:00 locally, so payday is today.
    ['local date ahead of UTC', '2024-01-31T20:00:00Z', [1, 15], 9, 'Asia/Ho_Chi_Minh', '2024-02-01T02:00:00.000Z'],
    ['local hour passed', '2024-01-15T03:00:00Z', [1, 15], 9, 'Asia/Ho_Chi_Minh', '2024-02-01T02:00:00.000Z'],
    ['local hour to come', '2024-01-15T01:00:00Z', [1, 15], 9, 'Asia/Ho_Chi_Minh', '2024-01-15T02:00:00.000Z'],
    // Los Angeles is UTC-8: 1 March 00:00Z is still 29 Feb locally; 15 March is after the DST switch.
    ['local date behind UTC, across DST', '2024-03-01T00:00:00Z', [15], 9, 'America/Los_Angeles', '2024-03-15T16:00:00.000Z'],
    ['winter in Los Angeles', '2024-01-01T00:00:00Z', [15], 9, 'America/Los_Angeles', '2024-01-15T17:00:00.000Z'],
    ['payday on the spring-forward night', '2024-03-01T00:00:00Z', [10], 2, 'America/Los_Angeles', '2024-03-10T10:00:00.000Z'],
    ['payday on the fall-back night', '2024-10-20T00:00:00Z', [3], 1, 'America/Los_Angeles', '2024-11-03T08:00:00.000Z'],
    ['midnight', '2024-01-01T00:00:00Z', [1], 0, 'UTC', '2024-01-01T00:00:00.000Z'],
  ])('%s', (_name, after, paydays, hour, tz, expected) => {
    expect(iso(nextPaydayAt(t(after), paydays, hour, tz))).toBe(expected);
  });
});

describe('planSchedule: insufficient funds waits for payday', () => {
  it('all retries collapse onto the 15th (first key kept)', () => {
    expect(plan('insufficient_funds', { startedAt: t('2024-01-02T10:00:00Z') })).toEqual([
      ['email:payment_failed@0', '2024-01-02T10:00:00.000Z'],
      ['email:reminder@3d', '2024-01-05T10:00:00.000Z'],
      ['email:reminder@7d', '2024-01-09T10:00:00.000Z'],
      ['final_notice@12d', '2024-01-14T10:00:00.000Z'],
      ['retry@3d', '2024-01-15T09:00:00.000Z'],
      ['end_action', '2024-01-16T10:00:00.000Z'],
    ]);
  });

  it('a payday at or after the end keeps the nominal time', () => {
    // Nominal 12d is 1 Feb 10:00, after the 09:00 payday; the next one (15 Feb) is after the end.
    expect(plan('insufficient_funds', { startedAt: t('2024-01-20T10:00:00Z') })).toEqual([
      ['email:payment_failed@0', '2024-01-20T10:00:00.000Z'],
      ['email:reminder@3d', '2024-01-23T10:00:00.000Z'],
      ['email:reminder@7d', '2024-01-27T10:00:00.000Z'],
      ['retry@3d', '2024-02-01T09:00:00.000Z'],
      ['retry@12d', '2024-02-01T10:00:00.000Z'],
      ['final_notice@12d', '2024-02-01T10:00:00.000Z'],
      ['end_action', '2024-02-03T10:00:00.000Z'],
    ]);
  });

  it('paydays are local: Asia/Ho_Chi_Minh', () => {
    const steps = plan('insufficient_funds', { startedAt: t('2024-01-28T20:00:00Z'), timeZone: 'Asia/Ho_Chi_Minh' });
    expect(steps.filter(([k]) => k.startsWith('retry'))).toEqual([
      ['retry@3d', '2024-02-01T02:00:00.000Z'], // 1 Feb 09:00 local
      ['retry@5d', '2024-02-02T20:00:00.000Z'], // next payday (15 Feb) is after the end: nominal
      ['retry@8d', '2024-02-05T20:00:00.000Z'],
      ['retry@12d', '2024-02-09T20:00:00.000Z'],
    ]);
  });

  it('the same case in UTC moves the first retry to 1 Feb 09:00Z instead', () => {
    const steps = plan('insufficient_funds', { startedAt: t('2024-01-28T20:00:00Z') });
    expect(steps.find(([k]) => k === 'retry@3d')).toEqual(['retry@3d', '2024-02-01T09:00:00.000Z']);
  });

  it('an invalid customer time zone falls back to the policy default', () => {
    const a = plan(
      'insufficient_funds',
      { startedAt: t('2024-01-28T20:00:00Z'), timeZone: 'Not/AZone' },
      { defaultTimeZone: 'Asia/Ho_Chi_Minh' },
    );
    expect(a.find(([k]) => k === 'retry@3d')).toEqual(['retry@3d', '2024-02-01T02:00:00.000Z']);
  });

  it('month-end payday (31 → 29 Feb)', () => {
    const steps = plan('insufficient_funds', { startedAt: t('2024-02-10T12:00:00Z') }, { paydays: [31] });
    // Started 10 Feb: 29 Feb 09:00 is after the end (24 Feb 12:00), so every retry stays nominal.
    expect(steps.filter(([k]) => k.startsWith('retry'))).toEqual([
      ['retry@3d', '2024-02-13T12:00:00.000Z'],
      ['retry@5d', '2024-02-15T12:00:00.000Z'],
      ['retry@8d', '2024-02-18T12:00:00.000Z'],
      ['retry@12d', '2024-02-22T12:00:00.000Z'],
    ]);
    const early = plan('insufficient_funds', { startedAt: t('2024-02-16T12:00:00Z') }, { paydays: [31] });
    expect(early.filter(([k]) => k.startsWith('retry'))).toEqual([['retry@3d', '2024-02-29T09:00:00.000Z']]);
  });
});

describe('planSchedule: other retryable categories retry at retryHour local on the nominal day', () => {
  it('Los Angeles across the DST switch: 09:00 PDT is 16:00Z', () => {
    // Started Friday 8 March 2024 07:00 PST; DST begins Sunday 10 March.
    expect(plan('temporary', { startedAt: t('2024-03-08T15:00:00Z'), timeZone: 'America/Los_Angeles' })).toEqual([
      ['email:payment_failed@0', '2024-03-08T15:00:00.000Z'],
      ['email:reminder@3d', '2024-03-11T15:00:00.000Z'],
      ['retry@3d', '2024-03-11T16:00:00.000Z'],
      ['retry@5d', '2024-03-13T16:00:00.000Z'],
      ['email:reminder@7d', '2024-03-15T15:00:00.000Z'],
      ['retry@8d', '2024-03-16T16:00:00.000Z'],
      ['final_notice@12d', '2024-03-20T15:00:00.000Z'],
      ['retry@12d', '2024-03-20T16:00:00.000Z'],
      ['end_action', '2024-03-22T15:00:00.000Z'],
    ]);
  });

  it('when the hour has passed that day, the nominal time is used (never earlier, never a day later)', () => {
    const steps = plan('temporary', { startedAt: t('2024-03-08T18:00:00Z'), timeZone: 'America/Los_Angeles' });
    expect(steps.filter(([k]) => k.startsWith('retry'))).toEqual([
      ['retry@3d', '2024-03-11T18:00:00.000Z'],
      ['retry@5d', '2024-03-13T18:00:00.000Z'],
      ['retry@8d', '2024-03-16T18:00:00.000Z'],
      ['retry@12d', '2024-03-20T18:00:00.000Z'],
    ]);
  });

  it('a retry and an email at the same instant: the retry comes first', () => {
    const steps = plan('temporary', { startedAt: t('2024-01-02T09:00:00Z') });
    expect(steps.slice(1, 3)).toEqual([
      ['retry@3d', '2024-01-05T09:00:00.000Z'],
      ['email:reminder@3d', '2024-01-05T09:00:00.000Z'],
    ]);
  });

  it('unknown declines retry on days 4 and 9 only', () => {
    const steps = plan('unknown', { startedAt: t('2024-01-02T06:00:00Z') });
    expect(steps.filter(([k]) => k.startsWith('retry'))).toEqual([
      ['retry@4d', '2024-01-06T09:00:00.000Z'],
      ['retry@9d', '2024-01-11T09:00:00.000Z'],
    ]);
  });
});

describe('planSchedule: Mastercard MAC 24-30 wait', () => {
  it('no retry before lastFailureAt + wait; retries landing together collapse', () => {
    const steps = plan('temporary', { startedAt: t('2024-01-02T10:00:00Z'), networkRetryAfterMs: 10 * D });
    expect(steps.filter(([k]) => k.startsWith('retry'))).toEqual([
      ['retry@3d', '2024-01-12T10:00:00.000Z'],
      ['retry@12d', '2024-01-14T10:00:00.000Z'],
    ]);
  });

  it('the wait counts from the last failure', () => {
    const steps = plan('temporary', {
      startedAt: t('2024-01-02T10:00:00Z'),
      lastFailureAt: t('2024-01-06T12:00:00Z'),
      networkRetryAfterMs: 24 * H,
    });
    expect(steps.filter(([k]) => k.startsWith('retry'))).toEqual([
      ['retry@3d', '2024-01-07T12:00:00.000Z'],
      ['retry@8d', '2024-01-10T10:00:00.000Z'],
      ['retry@12d', '2024-01-14T10:00:00.000Z'],
    ]);
  });

  it('a one-hour wait changes nothing when the retries are days away', () => {
    const withWait = plan('temporary', { startedAt: t('2024-01-02T10:00:00Z'), networkRetryAfterMs: H });
    expect(withWait).toEqual(plan('temporary', { startedAt: t('2024-01-02T10:00:00Z') }));
  });

  it('insufficient funds: the payday after the wait', () => {
    const steps = plan('insufficient_funds', { startedAt: t('2024-01-10T10:00:00Z'), networkRetryAfterMs: 6 * D });
    // Nominal 3d is 13 Jan; the wait ends 16 Jan 10:00, so the 15th is too early: 1 Feb is after
    // the end (24 Jan), so the retry happens right when the wait ends.
    expect(steps.filter(([k]) => k.startsWith('retry'))).toEqual([
      ['retry@3d', '2024-01-16T10:00:00.000Z'],
      ['retry@8d', '2024-01-18T10:00:00.000Z'],
      ['retry@12d', '2024-01-22T10:00:00.000Z'],
    ]);
  });

  it('a wait past the end leaves no retries', () => {
    const steps = plan('unknown', {
      startedAt: t('2024-01-02T10:00:00Z'),
      lastFailureAt: t('2024-01-07T10:00:00Z'),
      networkRetryAfterMs: 10 * D,
    });
    expect(steps.filter(([k]) => k.startsWith('retry'))).toEqual([]);
    expect(steps.at(-1)).toEqual(['end_action', '2024-01-16T10:00:00.000Z']);
  });
});

describe('planSchedule: categories and the end', () => {
  it.each<DeclineCategory>(['payment_method', 'never_retry', 'authentication'])('%s: messages only', (c) => {
    expect(plan(c, { startedAt: t('2024-01-02T10:00:00Z') })).toEqual([
      ['email:payment_failed@0', '2024-01-02T10:00:00.000Z'],
      ['email:reminder@2d', '2024-01-04T10:00:00.000Z'],
      ['email:reminder@5d', '2024-01-07T10:00:00.000Z'],
      ['email:reminder@9d', '2024-01-11T10:00:00.000Z'],
      ['final_notice@12d', '2024-01-14T10:00:00.000Z'],
      ['end_action', '2024-01-16T10:00:00.000Z'],
    ]);
  });

  it('retry steps are dropped for a forbidding category even if the policy has them', () => {
    const p = resolved('temporary');
    const steps = planSchedule(p, { startedAt: t('2024-01-02T10:00:00Z'), category: 'never_retry' });
    expect(steps.some((s) => s.kind === 'retry')).toBe(false);
  });

  it('restrict_access at grace when grace < endAfter, ordered after steps at the same time', () => {
    const steps = plan('payment_method', { startedAt: t('2024-01-02T10:00:00Z') }, { graceMs: 9 * D });
    expect(steps.slice(3)).toEqual([
      ['email:reminder@9d', '2024-01-11T10:00:00.000Z'],
      ['restrict_access', '2024-01-11T10:00:00.000Z'],
      ['final_notice@12d', '2024-01-14T10:00:00.000Z'],
      ['end_action', '2024-01-16T10:00:00.000Z'],
    ]);
  });

  it('grace 0 restricts at once', () => {
    const steps = plan('payment_method', { startedAt: t('2024-01-02T10:00:00Z') }, { graceMs: 0 });
    expect(steps.slice(0, 2)).toEqual([
      ['email:payment_failed@0', '2024-01-02T10:00:00.000Z'],
      ['restrict_access', '2024-01-02T10:00:00.000Z'],
    ]);
  });

  it('carries kinds and templates; keys are unique', () => {
    const steps = planSchedule(resolved('temporary'), { startedAt: t('2024-01-02T10:00:00Z'), category: 'temporary' });
    expect(new Set(steps.map((s) => s.key)).size).toBe(steps.length);
    expect(steps[0]).toEqual({
      key: 'email:payment_failed@0',
      kind: 'email',
      at: t('2024-01-02T10:00:00Z'),
      template: 'payment_failed',
    });
    expect(steps.find((s) => s.key === 'final_notice@12d')).toEqual({
      key: 'final_notice@12d',
      kind: 'final_notice',
      at: t('2024-01-14T10:00:00Z'),
    });
    expect(steps.at(-1)).toEqual({ key: 'end_action', kind: 'end_action', at: t('2024-01-16T10:00:00Z') });
  });

  it('keys do not depend on the time shift, so a re-plan keeps them', () => {
    const keys = (ctx: Omit<PlanContext, 'category'>) =>
      planSchedule(resolved('temporary'), { category: 'temporary', ...ctx })
        .map((s) => s.key)
        .sort();
    expect(keys({ startedAt: t('2024-01-02T10:00:00Z') })).toEqual(
      keys({ startedAt: t('2024-03-08T15:00:00Z'), timeZone: 'America/Los_Angeles' }),
    );
  });

  it('uses canonical offsets in keys (36h → 1d12h)', () => {
    const p: ResolvedPolicy = {
      ...resolved('temporary'),
      steps: [
        { at: '0', action: 'email', template: 'payment_failed' },
        { at: '36h', action: 'retry' },
      ],
    };
    const steps = planSchedule(p, { startedAt: t('2024-01-02T10:00:00Z'), category: 'temporary' });
    expect(steps.map((s) => s.key)).toEqual(['email:payment_failed@0', 'retry@1d12h', 'end_action']);
  });

  it('is deterministic', () => {
    const ctx: PlanContext = {
      startedAt: t('2024-01-28T20:00:00Z'),
      category: 'insufficient_funds',
      timeZone: 'Asia/Ho_Chi_Minh',
    };
    expect(planSchedule(resolved('insufficient_funds'), ctx)).toEqual(planSchedule(resolved('insufficient_funds'), ctx));
  });
});

describe('minimum gap between retries', () => {
  it('drops a payday retry a few hours after another one, and keeps them without a gap', () => {
    const policy = resolved('insufficient_funds');
    // Started 3 Jan 12:00 UTC: retries at 3d/5d/8d move to the 15th 09:00; the 12d retry's nominal
    // time (15th 12:00) is past that payday's hour, and the next payday is after the end.
    const startedAt = Date.UTC(2026, 0, 3, 12, 0, 0);
    const ctx = { startedAt, category: 'insufficient_funds' as const, timeZone: 'UTC' };
    const withoutGap = planSchedule(policy, ctx)
      .filter((s) => s.kind === 'retry')
      .map((s) => iso(s.at));
    expect(withoutGap).toEqual(['2026-01-15T09:00:00.000Z', '2026-01-15T12:00:00.000Z']);
    const withGap = planSchedule(policy, { ...ctx, minRetryGapMs: 12 * 3600_000 })
      .filter((s) => s.kind === 'retry')
      .map((s) => iso(s.at));
    expect(withGap).toEqual(['2026-01-15T09:00:00.000Z']);
  });
});

describe('retryHour null: retries at their planned offsets', () => {
  it.each<DeclineCategory>(['insufficient_funds', 'temporary'])('%s: no payday, no retry hour', (category) => {
    const startedAt = Date.UTC(2026, 0, 3, 12, 0, 7);
    const steps = planSchedule(resolved(category, { retryHour: null }), { startedAt, category, timeZone: 'UTC' });
    expect(steps.filter((s) => s.kind === 'retry').map((s) => (s.at - startedAt) / D)).toEqual([3, 5, 8, 12]);
  });

  it('still waits out a Mastercard MAC 24-30 wait', () => {
    const startedAt = Date.UTC(2026, 0, 3, 12, 0, 0);
    const steps = planSchedule(resolved('temporary', { retryHour: null }), {
      startedAt,
      category: 'temporary',
      networkRetryAfterMs: 6 * D,
    });
    expect(steps.filter((s) => s.kind === 'retry').map((s) => (s.at - startedAt) / D)).toEqual([6, 8, 12]);
  });
});
