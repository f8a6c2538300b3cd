/** The signed sign-in sessions (src/http/sessionCookie.ts): nonce, expiry, signature, revocation. */
import { describe, expect, it } from 'vitest';
import { SessionCookies } from '../../src/http/sessionCookie';

const T0 = Date.parse('2026-12-01T00:00:00Z');

function sessions(ttlSeconds = 3600) {
  const clock = { now: T0 };
  const s = new SessionCookies({
    token: 'token-0123456789-abcdefghijklmnop',
    purpose: 'dashboard',
    ttlSeconds,
    now: () => clock.now,
  });
  return { s, clock };
}

describe('SessionCookies', () => {
  it('issues a different value each time, which passes until its expiry and not after', () => {
    const { s, clock } = sessions();
    const a = s.issue();
    const b = s.issue();
    expect(a).not.toBe(b);
    expect(s.check(a)).toMatchObject({ ok: true });
    clock.now = T0 + 3599_000;
    expect(s.check(a)).toMatchObject({ ok: true });
    clock.now = T0 + 3600_000;
    expect(s.check(a)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a value edited to live longer, one of another purpose or token, and garbage', () => {
    const { s } = sessions();
    const [issued, exp, nonce, mac] = s.issue().split('.') as [string, string, string, string];
    expect(s.check(`${issued}.${Number(exp) + 86_400}.${nonce}.${mac}`)).toEqual({ ok: false, reason: 'bad_signature' });
    const codec = new SessionCookies({
      token: 'token-0123456789-abcdefghijklmnop',
      purpose: 'codec',
      ttlSeconds: 3600,
      now: () => T0,
    });
    expect(s.check(codec.issue())).toEqual({ ok: false, reason: 'bad_signature' });
    const otherToken = new SessionCookies({
      token: 'another-token-0123456789-abcdefgh',
      purpose: 'dashboard',
      ttlSeconds: 3600,
      now: () => T0,
    });
    expect(s.check(otherToken.issue())).toEqual({ ok: false, reason: 'bad_signature' });
    for (const v of [undefined, '', 'forged', 'a.b.c.d', `${issued}.${exp}.${nonce}`])
      expect(s.check(v)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('does not honour a lifetime longer than its own (a value signed by a longer-lived setting)', () => {
    const long = new SessionCookies({
      token: 'token-0123456789-abcdefghijklmnop',
      purpose: 'dashboard',
      ttlSeconds: 86_400,
      now: () => T0,
    });
    const { s } = sessions(3600);
    expect(s.check(long.issue())).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a revoked session, copies included, and only that one', () => {
    const { s } = sessions();
    const a = s.issue();
    const b = s.issue();
    s.revoke(a);
    expect(s.check(a)).toEqual({ ok: false, reason: 'revoked' });
    expect(s.check(b)).toMatchObject({ ok: true });
  });
});
