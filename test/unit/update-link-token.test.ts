import { describe, expect, it } from 'vitest';
import { createLinkToken, verifyLinkToken } from '../../src/links/updateLinkToken';
import { resolveTemplate } from '../../activities/email/dunningEmail';

const secret = 'x'.repeat(32);
const claims = { customerId: 'cus_1', invoiceId: 'in_1', exp: 2_000 };

describe('update link token', () => {
  it('round-trips its claims until it expires', () => {
    const t = createLinkToken(secret, claims);
    expect(verifyLinkToken(secret, t, 1_999)).toEqual({ ok: true, claims: { ...claims, purpose: 'update' } });
    expect(verifyLinkToken(secret, t, 2_001)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('carries the "confirm payment" purpose', () => {
    const t = createLinkToken(secret, { ...claims, purpose: 'pay' });
    expect(verifyLinkToken(secret, t, 1)).toMatchObject({ ok: true, claims: { purpose: 'pay' } });
  });

  it('refuses another secret, a changed payload and garbage', () => {
    const t = createLinkToken(secret, claims);
    expect(verifyLinkToken('y'.repeat(32), t, 1)).toMatchObject({ ok: false, reason: 'bad_signature' });
    const other = createLinkToken(secret, { ...claims, customerId: 'cus_2' });
    expect(verifyLinkToken(secret, `${other.split('.')[0]}.${t.split('.')[1]}`, 1)).toMatchObject({ ok: false, reason: 'bad_signature' });
    for (const junk of ['', '.', 'abc', 'a.b.c', `${t}.x`]) expect(verifyLinkToken(secret, junk, 1).ok).toBe(false);
  });
});

describe('email template choice', () => {
  it('maps `payment_failed` to the decline category variant and rejects unknown names', () => {
    expect(resolveTemplate({ template: 'payment_failed', declineCategory: 'authentication' })).toBe('payment_failed.authentication');
    expect(resolveTemplate({ template: 'payment_failed', declineCategory: 'never_retry' })).toBe('payment_failed.card_invalid');
    expect(resolveTemplate({ template: 'reminder', declineCategory: 'unknown' })).toBe('reminder');
    expect(() => resolveTemplate({ template: 'nope', declineCategory: 'unknown' })).toThrow(/unknown email template/);
  });
});
