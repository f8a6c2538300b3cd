// What a failed provider call means for a case, and how long a blocked case waits.
import { describe, expect, it } from 'vitest';
import { classifyFailure, EmailFailureType, waitForProviderMs } from '../../domain/providerFailures';

const MINUTE = 60_000;

describe('classifyFailure', () => {
  it('a daily quota is waited out; the monthly one, as cases recorded it before, is refused', () => {
    expect(classifyFailure(EmailFailureType.DailyQuotaExceeded, true)).toBe('wait');
    expect(classifyFailure(EmailFailureType.QuotaExceeded, true)).toBe('refused');
    expect(classifyFailure(EmailFailureType.InvalidRecipient, true)).toBe('refused');
    expect(classifyFailure(EmailFailureType.AuthFailed, true)).toBe('wait');
    expect(classifyFailure(EmailFailureType.ProviderUnavailable, false)).toBe('wait');
  });
});

describe('waitForProviderMs', () => {
  it('backs off 1, 2, 4 … minutes, at most an hour', () => {
    expect([1, 2, 3, 7, 8, 20].map((n) => waitForProviderMs(n))).toEqual([1, 2, 4, 60, 60, 60].map((m) => m * MINUTE));
  });

  it('a daily quota waits for its Retry-After (at least a second, at most a day), else backs off', () => {
    const daily = EmailFailureType.DailyQuotaExceeded;
    expect(waitForProviderMs(1, daily, [{ name: 'daily_quota_exceeded', retryAfterMs: 5 * 3_600_000 }])).toBe(5 * 3_600_000);
    expect(waitForProviderMs(1, daily, [{ retryAfterMs: 0 }])).toBe(1_000);
    expect(waitForProviderMs(1, daily, [{ retryAfterMs: 90 * 3_600_000 }])).toBe(24 * 3_600_000);
    expect(waitForProviderMs(3, daily, [{ name: 'daily_quota_exceeded' }])).toBe(4 * MINUTE);
    expect(waitForProviderMs(3, daily, undefined)).toBe(4 * MINUTE);
    // Retry-After of other failures keeps to the backoff (their histories waited so).
    expect(waitForProviderMs(1, EmailFailureType.RateLimited, [{ retryAfterMs: 5_000 }])).toBe(MINUTE);
  });
});
