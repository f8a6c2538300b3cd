import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  POLICY_1_0,
  type DunningPolicy,
  failedSignupPolicy,
  formatDuration,
  parseDuration,
  type PolicyStep,
  resolvePolicy,
} from '../../domain/policy';
import { parsePolicy } from '../../src/policyFile';
import type { DeclineCategory } from '../../domain/types';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** A small valid policy to mutate in the error tests. */
const base = (): Record<string, unknown> => ({
  version: 1,
  steps: [
    { at: '0', action: 'email', template: 'payment_failed' },
    { at: '3d', action: 'retry' },
    { at: '5d', action: 'email' },
    { at: '8d', action: 'final_notice' },
  ],
  endAfter: '10d',
  endAction: 'cancel_subscription',
});

const errorsOf = (input: unknown): string[] => {
  const r = parsePolicy(input);
  if (r.ok) throw new Error('expected the policy to be rejected');
  return r.errors;
};

const ctx = (category: DeclineCategory, extra: { planId?: string; amountDue?: number; currency?: string } = {}) => ({
  category,
  amountDue: extra.amountDue ?? 1000,
  currency: extra.currency ?? 'usd',
  ...(extra.planId !== undefined ? { planId: extra.planId } : {}),
});

describe('parseDuration / formatDuration', () => {
  it.each<[string, number, string]>([
    ['0', 0, '0'],
    ['0d', 0, '0'],
    ['30m', 30 * M, '30m'],
    ['12h', 12 * H, '12h'],
    ['3d', 3 * D, '3d'],
    ['1d12h', D + 12 * H, '1d12h'],
    ['1d12h30m', D + 12 * H + 30 * M, '1d12h30m'],
    ['36h', 36 * H, '1d12h'],
    ['90m', 90 * M, '1h30m'],
    ['20s', 20_000, '20s'],
    ['1m30s', 90_000, '1m30s'],
    ['90s', 90_000, '1m30s'],
    ['1d0h0m5s', D + 5_000, '1d5s'],
  ])('%s = %d ms (canonical %s)', (s, ms, canonical) => {
    expect(parseDuration(s)).toBe(ms);
    expect(formatDuration(ms)).toBe(canonical);
  });

  it.each(['', '3x', '3', 'd', '-1d', '1.5d', '12h3d', ' 3d', '3D', '3d ', '1w', '5s3m', '1.5s'])('rejects %j', (s) => {
    expect(() => parseDuration(s)).toThrow(/is not a duration like '3d', '12h', '30m' or '20s'/);
  });

  it('rejects a non-string', () => {
    expect(() => parseDuration(3 as unknown as string)).toThrow(/is not a duration/);
  });
});

describe('compressed timing (policies/compressed.json)', () => {
  const file = JSON.parse(readFileSync(new URL('../../policies/compressed.json', import.meta.url), 'utf8')) as unknown;

  it('is valid: the whole timeline in minutes, no retry hour, a 5 s retry gap', () => {
    const r = parsePolicy(file);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const resolved = resolvePolicy(r.policy, ctx('insufficient_funds'));
    expect(resolved.endAfterMs).toBeLessThanOrEqual(3 * M);
    expect(resolved.retryHour).toBeNull();
    expect(resolved.minRetryGapMs).toBe(5_000);
    expect(resolved.steps.filter((s) => s.action === 'retry')).toHaveLength(4);
  });

  it('minRetryGap defaults to 12 h (also for policies stored by cases started before the field)', () => {
    expect(resolvePolicy(DEFAULT_POLICY, ctx('temporary')).minRetryGapMs).toBe(12 * H);
    expect(resolvePolicy({ ...DEFAULT_POLICY, minRetryGap: '0' }, ctx('temporary')).minRetryGapMs).toBe(0);
  });

  it('retryHour may be null but not out of range; minRetryGap must be a duration', () => {
    const ok = parsePolicy({ ...base(), retryHour: null });
    expect(ok.ok && ok.policy.retryHour).toBeNull();
    expect(errorsOf({ ...base(), retryHour: 24 })).toEqual(['retryHour: must be 0..23']);
    expect(errorsOf({ ...base(), minRetryGap: '12 hours' })).toEqual([
      "minRetryGap: '12 hours' is not a duration like '3d', '12h', '30m' or '20s'",
    ]);
  });
});

describe('DEFAULT_POLICY', () => {
  it('is valid and unchanged by parsing', () => {
    expect(parsePolicy(DEFAULT_POLICY)).toEqual({ ok: true, policy: DEFAULT_POLICY });
  });

  it('matches policies/default.json', () => {
    const file = JSON.parse(readFileSync(new URL('../../policies/default.json', import.meta.url), 'utf8')) as unknown;
    expect(file).toEqual(DEFAULT_POLICY);
  });

  it('has the documented timeline', () => {
    const timeline = (c: DeclineCategory) =>
      resolvePolicy(DEFAULT_POLICY, ctx(c)).steps.map((s) => `${s.at} ${s.action}${s.template ? `:${s.template}` : ''}`);
    const emails = ['0 email:payment_failed', '2d email:reminder', '5d email:reminder', '9d email:reminder', '12d final_notice'];
    const retriesOf = (c: DeclineCategory) =>
      timeline(c)
        .filter((s) => s.endsWith(' retry'))
        .map((s) => s.split(' ')[0]);
    for (const c of ['unknown', 'insufficient_funds', 'temporary'] as const)
      expect(timeline(c).filter((s) => !s.endsWith(' retry'))).toEqual(emails);
    expect(retriesOf('unknown')).toEqual(Array.from({ length: 13 }, (_, i) => `${i + 1}d`));
    expect(retriesOf('insufficient_funds')).toEqual(['2d', '5d', '8d', '11d', '13d']);
    expect(retriesOf('temporary')).toEqual(['6h', '1d', '3d', '7d', '13d']);
    // A retry before the email of the same moment.
    expect(timeline('unknown').slice(2, 4)).toEqual(['2d retry', '2d email:reminder']);
    expect(resolvePolicy(DEFAULT_POLICY, ctx('insufficient_funds'))).toMatchObject({
      endAfterMs: 14 * D,
      graceMs: 14 * D,
      endAction: 'cancel_subscription',
      paydays: Array.from({ length: 31 }, (_, i) => i + 1),
      retryHour: 9,
      defaultTimeZone: 'UTC',
    });
  });

  it.each<DeclineCategory>(['payment_method', 'never_retry', 'authentication'])('%s gets messages only', (c) => {
    const r = resolvePolicy(DEFAULT_POLICY, ctx(c));
    expect(r.steps.some((s) => s.action === 'retry')).toBe(false);
    expect(r.steps.map((s) => s.at)).toEqual(['0', '2d', '5d', '9d', '12d']);
  });
});

describe('POLICY_1_0: the frozen default of 1.0 (cases without a policy in their input follow it)', () => {
  it('is valid and unchanged by parsing', () => {
    expect(parsePolicy(POLICY_1_0)).toEqual({ ok: true, policy: POLICY_1_0 });
  });

  it('is what v1.0.0 shipped as policies/default.json', () => {
    const file = JSON.parse(readFileSync(new URL('../fixtures/default-policy-1.0.json', import.meta.url), 'utf8')) as unknown;
    expect(POLICY_1_0).toEqual(file);
  });

  it("keeps 1.0's timeline", () => {
    const r = resolvePolicy(POLICY_1_0, ctx('insufficient_funds'));
    expect(r.steps.map((s) => `${s.at} ${s.action}${s.template ? `:${s.template}` : ''}`)).toEqual([
      '0 email:payment_failed',
      '3d retry',
      '3d email:reminder',
      '5d retry',
      '7d email:reminder',
      '8d retry',
      '12d retry',
      '12d final_notice',
    ]);
    expect(r).toMatchObject({
      endAfterMs: 14 * D,
      graceMs: 14 * D,
      endAction: 'cancel_subscription',
      paydays: [1, 15],
      retryHour: 9,
      defaultTimeZone: 'UTC',
    });
    for (const c of ['payment_method', 'never_retry', 'authentication'] as const)
      expect(resolvePolicy(POLICY_1_0, ctx(c)).steps.map((s) => s.at)).toEqual(['0', '2d', '5d', '9d', '12d']);
    const unknown = resolvePolicy(POLICY_1_0, ctx('unknown'));
    expect(unknown.steps.filter((s) => s.action === 'retry').map((s) => s.at)).toEqual(['4d', '9d']);
  });
});

describe('parsePolicy: defaults', () => {
  it('fills grace, paydays, retryHour and defaultTimeZone', () => {
    const r = parsePolicy(base());
    expect(r).toEqual({
      ok: true,
      policy: { ...base(), grace: '10d', paydays: [1, 15], retryHour: 9, defaultTimeZone: 'UTC' },
    });
  });

  it('keeps what is given', () => {
    const input = { ...base(), grace: '7d', paydays: [31], retryHour: 0, defaultTimeZone: 'Asia/Ho_Chi_Minh' };
    expect(parsePolicy(input)).toEqual({ ok: true, policy: input });
  });

  it('accepts unsorted steps', () => {
    const p = base();
    p.steps = [...(p.steps as PolicyStep[])].reverse();
    expect(parsePolicy(p).ok).toBe(true);
  });
});

describe('parsePolicy: each rule has its own error', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests build deliberately malformed policies
  const cases: Array<[string, (p: Record<string, any>) => unknown, string[]]> = [
    ['not an object', () => 'policy.json', ['policy: Expected object, received string']],
    ['unknown top-level key', (p) => ({ ...p, retries: 3 }), ['retries: unknown key']],
    ['unknown step key', (p) => ((p.steps[1].delay = '1d'), p), ['steps[1].delay: unknown key']],
    ['version', (p) => ({ ...p, version: 2 }), ['version: must be 1']],
    ['missing endAfter', (p) => ({ ...p, endAfter: undefined }), ['endAfter: Required']],
    [
      'bad duration',
      (p) => ((p.steps[2].at = '3x'), p),
      ["steps[2].at: '3x' is not a duration like '3d', '12h', '30m' or '20s'"],
    ],
    [
      'bad endAfter duration',
      (p) => ({ ...p, endAfter: '2 weeks' }),
      ["endAfter: '2 weeks' is not a duration like '3d', '12h', '30m' or '20s'"],
    ],
    [
      'bad action',
      (p) => ((p.steps[1].action = 'fax'), p),
      ["steps[1].action: Invalid enum value. Expected 'email' | 'retry' | 'final_notice' | 'offer' | 'sms', received 'fax'"],
    ],
    [
      'bad endAction',
      (p) => ({ ...p, endAction: 'delete_customer' }),
      [
        "endAction: Invalid enum value. Expected 'cancel_subscription' | 'mark_uncollectible' | 'pause_collection' | 'leave_past_due', received 'delete_customer'",
      ],
    ],
    ['endAfter 0', (p) => ({ ...p, endAfter: '0' }), ["endAfter: must be longer than '0'"]],
    ['step at endAfter', (p) => ((p.steps[3].at = '10d'), p), ["steps[3].at: '10d' is not before endAfter '10d'"]],
    ['step after endAfter', (p) => ((p.steps[1].at = '11d'), p), ["steps[1].at: '11d' is not before endAfter '10d'"]],
    ['grace longer than endAfter', (p) => ({ ...p, grace: '11d' }), ["grace: '11d' is longer than endAfter '10d'"]],
    [
      'no first email',
      (p) => ((p.steps = p.steps.slice(1)), p),
      ["steps: needs an email step at '0' with template 'payment_failed' (the first message of every case)"],
    ],
    [
      'first email without its template',
      (p) => (delete p.steps[0].template, p),
      ["steps: needs an email step at '0' with template 'payment_failed' (the first message of every case)"],
    ],
    [
      'payment_failed later',
      (p) => ((p.steps[2].template = 'payment_failed'), p),
      ["steps[2].template: 'payment_failed' is the first email and belongs at '0'"],
    ],
    [
      'template on a retry',
      (p) => ((p.steps[1].template = 'reminder'), p),
      ['steps[1].template: only email and sms steps take a template'],
    ],
    ['duplicate step', (p) => (p.steps.push({ at: '72h', action: 'retry' }), p), ['steps[4]: duplicates steps[1]']],
    [
      'reminder duplicates an implicit reminder',
      (p) => (p.steps.push({ at: '5d', action: 'email', template: 'reminder' }), p),
      ['steps[4]: duplicates steps[2]'],
    ],
    [
      'two final notices',
      (p) => (p.steps.push({ at: '9d', action: 'final_notice' }), p),
      ['steps[4]: a second final_notice (steps[3] is one)'],
    ],
    ['payday 0', (p) => ({ ...p, paydays: [0, 15] }), ['paydays[0]: must be 1..31']],
    ['payday 32', (p) => ({ ...p, paydays: [32] }), ['paydays[0]: must be 1..31']],
    ['payday 1.5', (p) => ({ ...p, paydays: [1.5] }), ['paydays[0]: must be a whole day of the month']],
    ['payday twice', (p) => ({ ...p, paydays: [1, 15, 1] }), ['paydays[2]: 1 is listed twice']],
    ['no paydays', (p) => ({ ...p, paydays: [] }), ['paydays: must list at least one day']],
    ['retryHour 24', (p) => ({ ...p, retryHour: 24 }), ['retryHour: must be 0..23']],
    ['retryHour -1', (p) => ({ ...p, retryHour: -1 }), ['retryHour: must be 0..23']],
    ['retryHour 9.5', (p) => ({ ...p, retryHour: 9.5 }), ['retryHour: must be a whole hour']],
    [
      'time zone',
      (p) => ({ ...p, defaultTimeZone: 'Mars/Olympus_Mons' }),
      ["defaultTimeZone: 'Mars/Olympus_Mons' is not an IANA time zone such as 'Europe/Paris'"],
    ],
    [
      'unknown category',
      (p) => ({ ...p, byCategory: { card_expired: { endAfter: '5d' } } }),
      [
        "byCategory.card_expired: 'card_expired' is not a decline category (one of insufficient_funds, temporary, payment_method, authentication, never_retry, unknown)",
      ],
    ],
    [
      'unknown key in a category override',
      (p) => ({ ...p, byCategory: { unknown: { retries: 2 } } }),
      ['byCategory.unknown.retries: unknown key'],
    ],
    [
      'category steps past endAfter',
      (p) => ({
        ...p,
        byCategory: {
          unknown: {
            steps: [
              { at: '0', action: 'email', template: 'payment_failed' },
              { at: '12d', action: 'retry' },
            ],
          },
        },
      }),
      ["byCategory.unknown.steps[1].at: '12d' is not before endAfter '10d' (endAfter of the base policy)"],
    ],
    [
      'category steps without the first email',
      (p) => ({ ...p, byCategory: { temporary: { steps: [{ at: '1d', action: 'retry' }] } } }),
      ["byCategory.temporary.steps: needs an email step at '0' with template 'payment_failed' (the first message of every case)"],
    ],
    [
      'category endAfter 0',
      (p) => ({ ...p, byCategory: { temporary: { endAfter: '0' } } }),
      ["byCategory.temporary.endAfter: must be longer than '0'"],
    ],
    [
      'category endAfter cuts inherited steps',
      (p) => ({ ...p, byCategory: { temporary: { endAfter: '6d' } } }),
      ["byCategory.temporary.endAfter: '6d' cuts off steps[3] at '8d' (from the base policy); give it steps of its own"],
    ],
    [
      'category grace longer than its endAfter',
      (p) => ({ ...p, byCategory: { temporary: { grace: '12d' } } }),
      ["byCategory.temporary.grace: '12d' is longer than endAfter '10d' (endAfter of the base policy)"],
    ],
    [
      'override min > max',
      (p) => ({ ...p, overrides: [{ match: { minAmount: 5000, maxAmount: 100 }, policy: { endAction: 'mark_uncollectible' } }] }),
      ['overrides[0].match: minAmount 5000 is greater than maxAmount 100'],
    ],
    [
      'override with an empty match',
      (p) => ({ ...p, overrides: [{ match: {}, policy: { endAction: 'mark_uncollectible' } }] }),
      ['overrides[0].match: must name at least one of plans, minAmount, maxAmount, currency'],
    ],
    [
      'override that changes nothing',
      (p) => ({ ...p, overrides: [{ match: { plans: ['pro'] }, policy: {} }] }),
      ['overrides[0].policy: changes nothing'],
    ],
    [
      'override with a negative amount',
      (p) => ({ ...p, overrides: [{ match: { minAmount: -1 }, policy: { endAction: 'pause_collection' } }] }),
      ['overrides[0].match.minAmount: must not be negative'],
    ],
    [
      'override with a fractional amount',
      (p) => ({ ...p, overrides: [{ match: { maxAmount: 9.99 }, policy: { endAction: 'pause_collection' } }] }),
      ['overrides[0].match.maxAmount: must be an integer in minor units'],
    ],
    [
      'override with a bad currency',
      (p) => ({ ...p, overrides: [{ match: { currency: 'US$' }, policy: { endAction: 'pause_collection' } }] }),
      ['overrides[0].match.currency: must be a three-letter ISO 4217 code such as "usd"'],
    ],
    [
      'override with no plans',
      (p) => ({ ...p, overrides: [{ match: { plans: [] }, policy: { endAction: 'pause_collection' } }] }),
      ['overrides[0].match.plans: must list at least one plan'],
    ],
    [
      'unknown key in an override match',
      (p) => ({ ...p, overrides: [{ match: { plan: 'pro' }, policy: { endAction: 'pause_collection' } }] }),
      ['overrides[0].match.plan: unknown key'],
    ],
    [
      'override grace longer than the endAfter it sees',
      (p) => ({ ...p, overrides: [{ match: { plans: ['pro'] }, policy: { endAfter: '9d', grace: '9d1h' } }] }),
      ["overrides[0].policy.grace: '9d1h' is longer than endAfter '9d'"],
    ],
    [
      'override endAfter cuts inherited steps',
      (p) => ({ ...p, overrides: [{ match: { plans: ['lite'] }, policy: { endAfter: '7d' } }] }),
      ["overrides[0].policy.endAfter: '7d' cuts off steps[3] at '8d' (from the base policy); give it steps of its own"],
    ],
    [
      '21 retries in 30 days',
      (p) => {
        p.steps = [
          { at: '0', action: 'email', template: 'payment_failed' },
          ...Array.from({ length: 21 }, (_, i) => ({ at: `${i}d1h`, action: 'retry' })),
        ];
        p.endAfter = '25d';
        return p;
      },
      ["steps: 21 retries within 30 days exceed Visa's limit of 20 reattempts in 30 days"],
    ],
  ];

  it.each(cases)('%s', (_name, mutate, expected) => {
    expect(errorsOf(mutate(clone(base())))).toEqual(expected);
  });

  it('reports several problems at once', () => {
    const errors = errorsOf({ ...base(), retryHour: 30, paydays: [40], extra: true });
    expect(errors).toEqual(
      expect.arrayContaining(['retryHour: must be 0..23', 'paydays[0]: must be 1..31', 'extra: unknown key']),
    );
  });

  it('20 retries in 30 days are allowed (Visa since 19 May 2025)', () => {
    const p = base();
    p.steps = [
      { at: '0', action: 'email', template: 'payment_failed' },
      ...Array.from({ length: 20 }, (_, i) => ({ at: `${i}d1h`, action: 'retry' })),
    ];
    p.endAfter = '25d';
    expect(parsePolicy(p).ok).toBe(true);
  });

  it('21 retries spread over more than 30 days are allowed', () => {
    const p = base();
    p.steps = [
      { at: '0', action: 'email', template: 'payment_failed' },
      ...Array.from({ length: 21 }, (_, i) => ({ at: `${i * 3}d`, action: 'retry' })),
    ];
    p.endAfter = '70d';
    expect(parsePolicy(p).ok).toBe(true);
  });

  it('retry steps for a category that forbids retries are ignored, not errors', () => {
    const steps = [
      { at: '0', action: 'email', template: 'payment_failed' },
      ...Array.from({ length: 20 }, (_, i) => ({ at: `${i}h`, action: 'retry' })),
    ];
    const r = parsePolicy({ ...base(), byCategory: { never_retry: { steps } } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(resolvePolicy(r.policy, ctx('never_retry')).steps.filter((s) => s.action === 'retry')).toEqual([]);
  });

  it('an override with its own steps may shorten the case', () => {
    const r = parsePolicy({
      ...base(),
      overrides: [
        {
          match: { plans: ['lite'] },
          policy: { endAfter: '7d', steps: [{ at: '0', action: 'email', template: 'payment_failed' }] },
        },
      ],
    });
    expect(r.ok).toBe(true);
  });
});

describe('resolvePolicy', () => {
  const policy: DunningPolicy = {
    ...DEFAULT_POLICY,
    overrides: [
      {
        match: { plans: ['enterprise'] },
        policy: {
          endAfter: '30d',
          endAction: 'leave_past_due',
          steps: [
            { at: '0', action: 'email', template: 'payment_failed' },
            { at: '10d', action: 'retry' },
            { at: '20d', action: 'retry' },
            { at: '28d', action: 'final_notice' },
          ],
        },
      },
      { match: { minAmount: 100_000, currency: 'USD' }, policy: { endAction: 'mark_uncollectible' } },
      { match: { maxAmount: 500 }, policy: { endAction: 'pause_collection', grace: '3d' } },
    ],
  };

  it('without a matching override: base and category', () => {
    expect(resolvePolicy(policy, ctx('insufficient_funds', { planId: 'basic' })).endAction).toBe('cancel_subscription');
  });

  it('plans match by id; an invoice without a plan matches no plan override', () => {
    expect(resolvePolicy(policy, ctx('temporary', { planId: 'enterprise' })).endAction).toBe('leave_past_due');
    expect(resolvePolicy(policy, ctx('temporary')).endAction).toBe('cancel_subscription');
  });

  it('the first matching override wins', () => {
    expect(resolvePolicy(policy, ctx('temporary', { planId: 'enterprise', amountDue: 200_000 })).endAction).toBe(
      'leave_past_due',
    );
  });

  it('amount bounds are inclusive and the currency is case-insensitive', () => {
    expect(resolvePolicy(policy, ctx('temporary', { amountDue: 100_000, currency: 'usd' })).endAction).toBe('mark_uncollectible');
    expect(resolvePolicy(policy, ctx('temporary', { amountDue: 99_999 })).endAction).toBe('cancel_subscription');
    expect(resolvePolicy(policy, ctx('temporary', { amountDue: 100_000, currency: 'eur' })).endAction).toBe(
      'cancel_subscription',
    );
    expect(resolvePolicy(policy, ctx('temporary', { amountDue: 500 })).endAction).toBe('pause_collection');
    expect(resolvePolicy(policy, ctx('temporary', { amountDue: 501 })).endAction).toBe('cancel_subscription');
  });

  it('an override wins over the category; retries stay forbidden for hard declines', () => {
    const unknown = resolvePolicy(policy, ctx('unknown', { planId: 'enterprise' }));
    expect(unknown.steps.filter((s) => s.action === 'retry').map((s) => s.at)).toEqual(['10d', '20d']);
    expect(unknown.endAfterMs).toBe(30 * D);
    const hard = resolvePolicy(policy, ctx('payment_method', { planId: 'enterprise' }));
    expect(hard.steps.map((s) => s.action)).toEqual(['email', 'final_notice']);
  });

  it('a grace equal to endAfter follows a longer endAfter', () => {
    expect(resolvePolicy(policy, ctx('temporary', { planId: 'enterprise' })).graceMs).toBe(30 * D);
  });

  it('a shorter grace is kept, and clamped when an override shortens the case', () => {
    const p: DunningPolicy = {
      ...DEFAULT_POLICY,
      grace: '10d',
      byCategory: undefined,
      overrides: [
        { match: { plans: ['long'] }, policy: { endAfter: '20d' } },
        {
          match: { plans: ['short'] },
          policy: { endAfter: '7d', steps: [{ at: '0', action: 'email', template: 'payment_failed' }] },
        },
      ],
    };
    expect(parsePolicy(p).ok).toBe(true);
    expect(resolvePolicy(p, ctx('temporary', { planId: 'long' })).graceMs).toBe(10 * D);
    expect(resolvePolicy(p, ctx('temporary', { planId: 'short' })).graceMs).toBe(7 * D);
    expect(resolvePolicy(p, ctx('temporary', { planId: 'other' })).graceMs).toBe(10 * D);
  });

  it('override grace applies', () => {
    expect(resolvePolicy(policy, ctx('temporary', { amountDue: 100 })).graceMs).toBe(3 * D);
  });

  it('sorts steps by offset, keeping policy order on ties, and drops retries of hard declines', () => {
    const p: DunningPolicy = {
      ...DEFAULT_POLICY,
      byCategory: undefined,
      steps: [
        { at: '5d', action: 'email' },
        { at: '1d', action: 'retry' },
        { at: '0', action: 'email', template: 'payment_failed' },
        { at: '1d', action: 'email' },
        { at: '24h', action: 'final_notice' },
      ],
    };
    expect(resolvePolicy(p, ctx('temporary')).steps.map((s) => `${s.at}:${s.action}`)).toEqual([
      '0:email',
      '1d:retry',
      '1d:email',
      '24h:final_notice',
      '5d:email',
    ]);
    expect(resolvePolicy(p, ctx('authentication')).steps.map((s) => s.action)).toEqual([
      'email',
      'email',
      'final_notice',
      'email',
    ]);
  });

  it('drops steps at or after the end of an unvalidated policy and sorts paydays', () => {
    const p: DunningPolicy = {
      ...DEFAULT_POLICY,
      byCategory: undefined,
      paydays: [25, 1, 25],
      steps: [...DEFAULT_POLICY.steps, { at: '14d', action: 'email' }],
    };
    const r = resolvePolicy(p, ctx('temporary'));
    expect(r.steps.some((s) => s.at === '14d')).toBe(false);
    expect(r.paydays).toEqual([1, 25]);
  });
});

describe('failed sign-ups (failedSignups, issue #20)', () => {
  const signup = {
    steps: [
      { at: '0', action: 'email', template: 'payment_failed' },
      { at: '2h', action: 'retry' },
      { at: '20h', action: 'final_notice' },
    ],
    endAfter: '22h',
  };

  it('unset: not dunned; set: its own schedule, ending with leave_past_due, retries at their offsets', () => {
    expect(failedSignupPolicy(DEFAULT_POLICY)).toBeUndefined();
    const r = parsePolicy({ ...base(), retryHour: 10, failedSignups: signup });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const p = failedSignupPolicy(r.policy)!;
    expect(p).toMatchObject({ steps: signup.steps, endAfter: '22h', endAction: 'leave_past_due', grace: '22h', retryHour: null });
    expect(p.byCategory).toBeUndefined();
    expect(p.overrides).toBeUndefined();
    const resolved = resolvePolicy(p, ctx('insufficient_funds'));
    expect(resolved.endAfterMs).toBe(22 * H);
    expect(resolved.steps.map((s) => s.at)).toEqual(['0', '2h', '20h']);
  });

  it('must end within the 23 hours before Stripe expires the subscription, and be a valid schedule', () => {
    expect(errorsOf({ ...base(), failedSignups: { ...signup, endAfter: '2d' } })).toContain(
      "failedSignups.endAfter: '2d' is longer than '23h', after which Stripe expires the subscription",
    );
    expect(errorsOf({ ...base(), failedSignups: { ...signup, steps: [{ at: '1h', action: 'retry' }] } })).toContain(
      "failedSignups.steps: needs an email step at '0' with template 'payment_failed' (the first message of every case)",
    );
    expect(errorsOf({ ...base(), failedSignups: { ...signup, endAfter: '10h' } }).join('\n')).toMatch(
      /failedSignups\.steps\[2\]\.at: '20h' is not before endAfter '10h'/,
    );
    expect(errorsOf({ ...base(), failedSignups: { ...signup, grace: '1h' } })).toEqual(['failedSignups.grace: unknown key']);
  });
});

describe('the last-chance offer step (issue #23, part 5)', () => {
  const withOffer = (offer: unknown, at = '7d', extra: Record<string, unknown> = {}) => {
    const p = base();
    (p.steps as unknown[]).push({ at, action: 'offer', offer, ...extra });
    return p;
  };

  it('a pause, a coupon or a downgrade: valid, kept as given, planned as an offer step', () => {
    for (const offer of [
      { kind: 'pause', for: '30d' },
      { kind: 'pause', for: '14d', behavior: 'keep_as_draft', failedInvoice: 'void' },
      { kind: 'coupon', coupon: 'STAY50', percentOff: 50, months: 3 },
      { kind: 'downgrade', price: 'price_1Basic', planName: 'Basic' },
    ]) {
      const r = parsePolicy(withOffer(offer));
      if (!r.ok) throw new Error(r.errors.join('\n'));
      const resolved = resolvePolicy(r.policy, ctx('insufficient_funds'));
      expect(resolved.steps.find((s) => s.action === 'offer')).toEqual({ at: '7d', action: 'offer', offer });
    }
  });

  it.each([
    ['no offer on an offer step', withOffer(undefined), 'steps[4].offer: an offer step needs an offer'],
    [
      'an offer on another step',
      (() => {
        const p = base();
        (p.steps as Record<string, unknown>[])[2]!.offer = { kind: 'pause', for: '30d' };
        return p;
      })(),
      'steps[2].offer: only offer steps take an offer',
    ],
    ['an unknown kind', withOffer({ kind: 'refund' }), "steps[4].offer.kind: kind must be 'pause', 'coupon' or 'downgrade'"],
    [
      'a pause of no duration',
      withOffer({ kind: 'pause', for: 'a month' }),
      "steps[4].offer.for: 'a month' is not a duration like '30d'",
    ],
    ['a pause too long', withOffer({ kind: 'pause', for: '400d' }), "steps[4].offer.for: '400d' must be between '1d' and '366d'"],
    [
      'a bad pause behaviour',
      withOffer({ kind: 'pause', for: '30d', behavior: 'skip' }),
      'steps[4].offer.behavior: Invalid enum value',
    ],
    [
      'a coupon id with spaces',
      withOffer({ kind: 'coupon', coupon: 'stay 50' }),
      "steps[4].offer.coupon: 'stay 50' is not a Stripe coupon id",
    ],
    [
      'a percentage over 100',
      withOffer({ kind: 'coupon', coupon: 'X', percentOff: 150 }),
      'steps[4].offer.percentOff: must be at most 100',
    ],
    [
      'a price that is not a price id',
      withOffer({ kind: 'downgrade', price: 'basic' }),
      "steps[4].offer.price: 'basic' is not a Stripe price id",
    ],
    [
      'a bad failedInvoice',
      withOffer({ kind: 'coupon', coupon: 'X', failedInvoice: 'refund' }),
      'steps[4].offer.failedInvoice: Invalid enum value',
    ],
    ['an unknown offer key', withOffer({ kind: 'coupon', coupon: 'X', amount: 5 }), 'steps[4].offer.amount: unknown key'],
    [
      'at 0, before the first email',
      withOffer({ kind: 'pause', for: '30d' }, '0'),
      "steps[4].at: the last-chance offer comes after the first email, not at '0'",
    ],
    ['at or after the end', withOffer({ kind: 'pause', for: '30d' }, '10d'), "steps[4].at: '10d' is not before endAfter '10d'"],
  ])('%s: a clear error', (_what, policy, error) => {
    expect(errorsOf(policy).join('\n')).toContain(error);
  });

  it('policies/last-chance-offer.json, the example of docs/policy.md, is valid', () => {
    const file = JSON.parse(readFileSync(new URL('../../policies/last-chance-offer.json', import.meta.url), 'utf8')) as unknown;
    const r = parsePolicy(file);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.policy.steps.find((s) => s.action === 'offer')).toEqual({
      at: '10d',
      action: 'offer',
      offer: { kind: 'pause', for: '30d', behavior: 'void' },
    });
  });

  it('one offer per schedule, and none for a failed sign-up', () => {
    const two = withOffer({ kind: 'pause', for: '30d' });
    (two.steps as unknown[]).push({ at: '9d', action: 'offer', offer: { kind: 'coupon', coupon: 'X' } });
    expect(errorsOf(two).join('\n')).toContain('steps[5]: a second offer (steps[4] is one)');
    const signup = {
      steps: [
        { at: '0', action: 'email', template: 'payment_failed' },
        { at: '2h', action: 'offer', offer: { kind: 'pause', for: '30d' } },
      ],
      endAfter: '22h',
    };
    expect(errorsOf({ ...base(), failedSignups: signup })).toContain(
      'failedSignups.steps[1]: a failed sign-up cannot be made an offer',
    );
  });
});
