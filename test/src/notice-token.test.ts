import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mintNoticeToken, NOTICE_TOKEN_MAX_TTL_SECONDS, noticeTokenKey, verifyNoticeToken } from '../../src/notice/noticeToken';

const key = noticeTokenKey({ apiToken: 'test_api_token_0123456789abcdef' });
const now = 1_800_000_000;

describe('the notice customer token', () => {
  it('verifies for its customer until it expires', () => {
    const token = mintNoticeToken(key, 'cus_A', now + 900);
    expect(token).toMatch(/^dn1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyNoticeToken(key, token, 'cus_A', now)).toEqual({ ok: true, customerId: 'cus_A', exp: now + 900 });
    expect(verifyNoticeToken(key, token, 'cus_A', now + 899).ok).toBe(true);
    expect(verifyNoticeToken(key, token, 'cus_A', now + 900)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses another customer, a tampered payload or MAC, another key, a garbled token', () => {
    const token = mintNoticeToken(key, 'cus_A', now + 900);
    expect(verifyNoticeToken(key, token, 'cus_B', now)).toEqual({ ok: false, reason: 'wrong_customer' });
    const [prefix, , mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ c: 'cus_B', e: now + 900 })).toString('base64url');
    expect(verifyNoticeToken(key, `${prefix}.${forged}.${mac}`, 'cus_B', now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyNoticeToken(key, `${token.slice(0, -2)}AA`, 'cus_A', now)).toEqual({ ok: false, reason: 'bad_signature' });
    const other = noticeTokenKey({ apiToken: 'another_api_token_0123456789' });
    expect(verifyNoticeToken(other, token, 'cus_A', now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyNoticeToken(key, 'not-a-token', 'cus_A', now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyNoticeToken(key, `dn2.${token.slice(4)}`, 'cus_A', now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a token that lives longer than the maximum, also one minted elsewhere with the key', () => {
    const long = mintNoticeToken(key, 'cus_A', now + NOTICE_TOKEN_MAX_TTL_SECONDS + 1);
    expect(verifyNoticeToken(key, long, 'cus_A', now)).toEqual({ ok: false, reason: 'too_long' });
    expect(verifyNoticeToken(key, mintNoticeToken(key, 'cus_A', now + NOTICE_TOKEN_MAX_TTL_SECONDS), 'cus_A', now).ok).toBe(true);
  });

  it('is the documented format: a backend mints it with the documented key derivation', () => {
    // docs/http-api.md: key = HMAC-SHA256(API_TOKEN, "dunning-notice-token-key"), or NOTICE_TOKEN_SECRET as it is.
    const apiToken = 'test_api_token_0123456789abcdef';
    const derived = createHmac('sha256', apiToken).update('dunning-notice-token-key').digest();
    const payload = Buffer.from(JSON.stringify({ c: 'cus_A', e: now + 600 })).toString('base64url');
    const mac = createHmac('sha256', derived).update(`dn1.${payload}`).digest('base64url');
    expect(verifyNoticeToken(key, `dn1.${payload}.${mac}`, 'cus_A', now).ok).toBe(true);
    const secret = 'x'.repeat(40);
    const macS = createHmac('sha256', secret).update(`dn1.${payload}`).digest('base64url');
    expect(verifyNoticeToken(noticeTokenKey({ apiToken, secret }), `dn1.${payload}.${macS}`, 'cus_A', now).ok).toBe(true);
    // The API token's own key does not verify a token of the dedicated secret.
    expect(verifyNoticeToken(key, `dn1.${payload}.${macS}`, 'cus_A', now).ok).toBe(false);
  });
});
