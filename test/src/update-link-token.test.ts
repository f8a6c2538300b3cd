import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLinkToken, retryLinkUrl, verifyLinkToken, type LinkPurpose } from '../../activities/links/updateLinkToken';
import { checkRetryCsrf, issueRetryCsrf, RETRY_FORM_TTL_SECONDS } from '../../src/http/retryCsrf';
import { emailLinks, resolveTemplate } from '../../activities/email/dunningEmail';
import { DECLINE_CATEGORIES, type DeclineCategory } from '../../domain/types';

const secret = 'x'.repeat(32);
const claims = { customerId: 'cus_1', invoiceId: 'in_1', exp: 2_000 };
const UPDATE_ROUTE: LinkPurpose[] = ['update', 'pay'];
const RETRY_ROUTE: LinkPurpose[] = ['retry'];
/** A token signed with the right secret over any payload: what only a bug (or a newer version) could make. */
const signed = (fields: object) => {
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
};

describe('link token', () => {
  it('round-trips its claims until it expires', () => {
    const t = createLinkToken(secret, claims);
    expect(verifyLinkToken(secret, t, 1_999, UPDATE_ROUTE)).toEqual({ ok: true, claims: { ...claims, purpose: 'update' } });
    expect(verifyLinkToken(secret, t, 2_001, UPDATE_ROUTE)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('carries the "confirm payment" purpose', () => {
    const t = createLinkToken(secret, { ...claims, purpose: 'pay' });
    expect(verifyLinkToken(secret, t, 1, UPDATE_ROUTE)).toMatchObject({ ok: true, claims: { purpose: 'pay' } });
  });

  it('refuses another secret, a changed payload and garbage', () => {
    const t = createLinkToken(secret, claims);
    expect(verifyLinkToken('y'.repeat(32), t, 1, UPDATE_ROUTE)).toMatchObject({ ok: false, reason: 'bad_signature' });
    const other = createLinkToken(secret, { ...claims, customerId: 'cus_2' });
    expect(verifyLinkToken(secret, `${other.split('.')[0]}.${t.split('.')[1]}`, 1, UPDATE_ROUTE)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    for (const junk of ['', '.', 'abc', 'a.b.c', `${t}.x`]) expect(verifyLinkToken(secret, junk, 1, UPDATE_ROUTE).ok).toBe(false);
  });
});

describe('link purposes: each route demands its own', () => {
  it('a retry link opens only the retry route; update and pay links only the update route', () => {
    const retry = createLinkToken(secret, { ...claims, purpose: 'retry' });
    const update = createLinkToken(secret, claims);
    const pay = createLinkToken(secret, { ...claims, purpose: 'pay' });
    expect(verifyLinkToken(secret, retry, 1, RETRY_ROUTE)).toMatchObject({ ok: true, claims: { purpose: 'retry' } });
    expect(verifyLinkToken(secret, retry, 1, UPDATE_ROUTE)).toMatchObject({ ok: false, reason: 'wrong_purpose' });
    expect(verifyLinkToken(secret, update, 1, RETRY_ROUTE)).toMatchObject({ ok: false, reason: 'wrong_purpose' });
    expect(verifyLinkToken(secret, pay, 1, RETRY_ROUTE)).toMatchObject({ ok: false, reason: 'wrong_purpose' });
  });

  it('a wrong purpose is reported before expiry: an old link of another kind is still the wrong link', () => {
    const update = createLinkToken(secret, claims);
    expect(verifyLinkToken(secret, update, 5_000, RETRY_ROUTE)).toMatchObject({ ok: false, reason: 'wrong_purpose' });
  });

  it('an update link is written as it always was (no purpose field), so links already sent keep working', () => {
    const before = signed({ c: 'cus_1', i: 'in_1', e: 2_000 });
    expect(createLinkToken(secret, claims)).toBe(before);
    expect(verifyLinkToken(secret, before, 1, UPDATE_ROUTE)).toMatchObject({ ok: true, claims: { purpose: 'update' } });
    expect(verifyLinkToken(secret, before, 1, RETRY_ROUTE)).toMatchObject({ ok: false, reason: 'wrong_purpose' });
  });

  it('a purpose it does not know is not read as any other (it used to be read as update)', () => {
    for (const p of ['refund', 'RETRY', '', 1, null]) {
      const t = signed({ c: 'cus_1', i: 'in_1', e: 2_000, p });
      expect(verifyLinkToken(secret, t, 1, UPDATE_ROUTE), String(p)).toMatchObject({ ok: false, reason: 'malformed' });
      expect(verifyLinkToken(secret, t, 1, RETRY_ROUTE), String(p)).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });
});

describe("the customer's language and time zone in the claims", () => {
  it('round-trips locale and time zone', () => {
    const t = createLinkToken(secret, { ...claims, purpose: 'retry', locale: 'vi', timeZone: 'Asia/Ho_Chi_Minh' });
    expect(verifyLinkToken(secret, t, 1, RETRY_ROUTE)).toEqual({
      ok: true,
      claims: { ...claims, purpose: 'retry', locale: 'vi', timeZone: 'Asia/Ho_Chi_Minh' },
    });
  });

  it('drops a language we have no copy for, or a time zone that is not a string, and keeps the link', () => {
    const t = signed({ c: 'cus_1', i: 'in_1', e: 2_000, p: 'retry', l: 'fr', z: 42 });
    const check = verifyLinkToken(secret, t, 1, RETRY_ROUTE);
    expect(check).toEqual({ ok: true, claims: { ...claims, purpose: 'retry' } });
  });

  it('retryLinkUrl makes /billing/retry/:token links of purpose retry', () => {
    const url = retryLinkUrl('https://pay.example', secret, { ...claims, locale: 'en' });
    const token = /^https:\/\/pay\.example\/billing\/retry\/([^/]+)$/.exec(url)?.[1];
    expect(verifyLinkToken(secret, token!, 1, RETRY_ROUTE)).toMatchObject({
      ok: true,
      claims: { purpose: 'retry', locale: 'en' },
    });
  });
});

describe("the email's links", () => {
  const settings = { publicBaseUrl: 'https://pay.example', linkSecret: secret, linkTtlDays: 30 };
  const input = (declineCategory: DeclineCategory) => ({
    customerId: 'cus_1',
    invoiceId: 'in_1',
    declineCategory,
    timeZone: 'Asia/Ho_Chi_Minh',
  });
  const tokenOf = (url: string) => url.split('/').at(-1)!;
  const RETRYABLE: DeclineCategory[] = ['insufficient_funds', 'temporary', 'unknown'];

  it.each(DECLINE_CATEGORIES)('%s: a retry link only where a retry with the same card can succeed', (category) => {
    const links = emailLinks(settings, input(category), 'reminder', 'vi', 1_000_000);
    expect(links.retryUrl !== undefined).toBe(RETRYABLE.includes(category));
    expect(verifyLinkToken(secret, tokenOf(links.updateUrl), 1_000, UPDATE_ROUTE)).toEqual({
      ok: true,
      claims: {
        customerId: 'cus_1',
        invoiceId: 'in_1',
        exp: 1_000 + 30 * 86_400,
        purpose: 'update',
        locale: 'vi',
        timeZone: 'Asia/Ho_Chi_Minh',
      },
    });
    if (links.retryUrl) {
      expect(links.retryUrl).toMatch(/^https:\/\/pay\.example\/billing\/retry\//);
      expect(verifyLinkToken(secret, tokenOf(links.retryUrl), 1_000, RETRY_ROUTE)).toMatchObject({
        ok: true,
        claims: { purpose: 'retry', locale: 'vi', timeZone: 'Asia/Ho_Chi_Minh', exp: 1_000 + 30 * 86_400 },
      });
    }
  });

  it('the authentication email links to the invoice page ("pay")', () => {
    const links = emailLinks(settings, input('authentication'), 'payment_failed.authentication', 'en', 1_000_000);
    expect(verifyLinkToken(secret, tokenOf(links.updateUrl), 1_000, UPDATE_ROUTE)).toMatchObject({
      ok: true,
      claims: { purpose: 'pay' },
    });
    expect(links.retryUrl).toBeUndefined();
  });
});

describe("the retry page's form field (CSRF)", () => {
  const token = createLinkToken(secret, { ...claims, purpose: 'retry' });
  const now = 1_700_000_000;

  it('passes for the link it was issued for, within its lifetime, and gives back its nonce', () => {
    const field = issueRetryCsrf(secret, token, now);
    const check = checkRetryCsrf(secret, token, field, now + RETRY_FORM_TTL_SECONDS);
    expect(check).toEqual({ ok: true, nonce: field.split('.')[0] });
    expect(checkRetryCsrf(secret, token, field, now + RETRY_FORM_TTL_SECONDS + 1)).toEqual({ ok: false, reason: 'expired' });
  });

  it('each page view is a new request (a new nonce); re-issued with a nonce, the same request', () => {
    const a = issueRetryCsrf(secret, token, now);
    const b = issueRetryCsrf(secret, token, now);
    expect(a.split('.')[0]).not.toBe(b.split('.')[0]);
    const again = issueRetryCsrf(secret, token, now + 600, a.split('.')[0]);
    expect(checkRetryCsrf(secret, token, again, now + 600)).toEqual({ ok: true, nonce: a.split('.')[0] });
  });

  it('fails for another link, another secret, a changed nonce or expiry, and garbage', () => {
    const field = issueRetryCsrf(secret, token, now);
    const [nonce, exp, mac] = field.split('.') as [string, string, string];
    const otherLink = createLinkToken(secret, { ...claims, invoiceId: 'in_2', purpose: 'retry' });
    expect(checkRetryCsrf(secret, otherLink, field, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(checkRetryCsrf('y'.repeat(32), token, field, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(checkRetryCsrf(secret, token, `${nonce.slice(0, -1)}A.${exp}.${mac}`, now).ok).toBe(false);
    expect(checkRetryCsrf(secret, token, `${nonce}.${Number(exp) + 3600}.${mac}`, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    for (const junk of [undefined, '', 'a.b', 'a.b.c.d', `${nonce}.soon.${mac}`, `x.${exp}.${mac}`, ['a'], 42]) {
      expect(checkRetryCsrf(secret, token, junk, now), String(junk)).toMatchObject({ ok: false });
    }
  });

  it('a link token is no form field and a form field no link token (one secret, two purposes)', () => {
    const field = issueRetryCsrf(secret, token, now);
    expect(verifyLinkToken(secret, field, now, RETRY_ROUTE).ok).toBe(false);
    expect(checkRetryCsrf(secret, token, token, now).ok).toBe(false);
  });
});

describe('email template choice', () => {
  it('maps `payment_failed` to the decline category variant and rejects unknown names', () => {
    expect(resolveTemplate({ template: 'payment_failed', declineCategory: 'authentication' })).toBe(
      'payment_failed.authentication',
    );
    expect(resolveTemplate({ template: 'payment_failed', declineCategory: 'never_retry' })).toBe('payment_failed.card_invalid');
    expect(resolveTemplate({ template: 'reminder', declineCategory: 'unknown' })).toBe('reminder');
    expect(() => resolveTemplate({ template: 'nope', declineCategory: 'unknown' })).toThrow(/unknown email template/);
  });
});
