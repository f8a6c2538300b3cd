import { describe, expect, it } from 'vitest';
import { POLICY_1_0, policyProblems, resolvePolicy, type DunningPolicy } from '../../domain/policy';
import { afterQuietHours, planSchedule } from '../../domain/schedule';
import { inQuietHours, isE164, smsPolicyProblems, smsReference } from '../../domain/sms';
import { parsePolicy } from '../../src/policyFile';

describe('E.164 and the step reference', () => {
  it('accepts only +, a country code and at most 15 digits', () => {
    expect(isE164('+15551234567')).toBe(true);
    expect(isE164('+84912345678')).toBe(true);
    for (const bad of ['15551234567', '+0123', '+1 555 123', '0912345678', '+1234567890123456', '', null, undefined])
      expect(isE164(bad)).toBe(false);
  });
  it('gives each step its own 6-character reference, the same every time', () => {
    const a = smsReference('dunning-in_1/sms:payment_failed@0');
    expect(a).toMatch(/^[A-Z2-9]{6}$/);
    expect(smsReference('dunning-in_1/sms:payment_failed@0')).toBe(a);
    expect(smsReference('dunning-in_1/sms:reminder@3d')).not.toBe(a);
    expect(smsReference('dunning-in_2/sms:payment_failed@0')).not.toBe(a);
  });
});

describe('quiet hours', () => {
  const q = { start: 21, end: 8 };
  it('wrap past midnight', () => {
    expect([20, 21, 23, 0, 7, 8].map((h) => inQuietHours(h, q))).toEqual([false, true, true, true, true, false]);
    expect([0, 6, 7].map((h) => inQuietHours(h, { start: 0, end: 7 }))).toEqual([true, true, false]);
  });
  it('move a text due in the customer’s night to the morning, in their zone', () => {
    // 23:10 in Ho Chi Minh City (UTC+7) on 8 Dec = 16:10 UTC: the text goes at 08:00 local on 9 Dec.
    expect(new Date(afterQuietHours(Date.UTC(2026, 11, 8, 16, 10), q, 'Asia/Ho_Chi_Minh')).toISOString()).toBe(
      '2026-12-09T01:00:00.000Z',
    );
    // 06:00 local on 9 Dec (23:00 UTC on the 8th): the same morning at 08:00.
    expect(new Date(afterQuietHours(Date.UTC(2026, 11, 8, 23, 0), q, 'Asia/Ho_Chi_Minh')).toISOString()).toBe(
      '2026-12-09T01:00:00.000Z',
    );
    // 14:00 local: sent as planned.
    expect(afterQuietHours(Date.UTC(2026, 11, 8, 7, 0), q, 'Asia/Ho_Chi_Minh')).toBe(Date.UTC(2026, 11, 8, 7, 0));
  });
  it('apply to the sms steps of a plan, and the default policy has none', () => {
    const policy: DunningPolicy = {
      ...POLICY_1_0,
      steps: [...POLICY_1_0.steps, { at: '0', action: 'sms', template: 'payment_failed' }],
      sms: { quietHours: { start: 22, end: 9 } },
    };
    expect(policyProblems(policy)).toEqual([]);
    const resolved = resolvePolicy(policy, { category: 'insufficient_funds', amountDue: 100, currency: 'usd' });
    const startedAt = Date.UTC(2026, 11, 8, 23, 30); // 23:30 UTC
    const plan = planSchedule(resolved, { startedAt, category: 'insufficient_funds', timeZone: 'UTC' });
    expect(plan.find((s) => s.kind === 'sms')).toEqual({
      key: 'sms:payment_failed@0',
      kind: 'sms',
      at: Date.UTC(2026, 11, 9, 9, 0),
      template: 'payment_failed',
    });
    const defaultPlan = planSchedule(
      resolvePolicy(POLICY_1_0, { category: 'insufficient_funds', amountDue: 1, currency: 'usd' }),
      {
        startedAt,
        category: 'insufficient_funds',
      },
    );
    expect(defaultPlan.some((s) => s.kind === 'sms')).toBe(false);
  });
});

describe('the policy’s SMS settings', () => {
  it('refuses a cap out of range, bad hours, and an sms step with an email template', () => {
    expect(smsPolicyProblems({ maxPerCase: 0 })).toEqual(['sms.maxPerCase: 0 is not a whole number from 1 to 10']);
    expect(smsPolicyProblems({ quietHours: { start: 24, end: 8 } })).toEqual(['sms.quietHours.start: 24 is not an hour 0-23']);
    const r = parsePolicy({
      ...POLICY_1_0,
      steps: [
        ...POLICY_1_0.steps,
        { at: '1d', action: 'sms', template: 'final_notice' },
        { at: '2d', action: 'email', template: 'final_notice' },
      ],
      sms: { maxPerCase: 2.5 },
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(
      expect.arrayContaining([
        "steps[9].template: the final notice email is its own action, 'final_notice'",
        'sms.maxPerCase: 2.5 is not a whole number from 1 to 10',
      ]),
    );
    expect(
      parsePolicy({ ...POLICY_1_0, steps: [...POLICY_1_0.steps, { at: '1d', action: 'sms' }], sms: { maxPerCase: 3 } }).ok,
    ).toBe(true);
  });
});
