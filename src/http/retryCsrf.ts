/**
 * The hidden field of the retry confirmation page: `<nonce>.<exp>.<mac>`, an HMAC (LINK_SECRET)
 * over the link's token, a random nonce and a short expiry. The POST that charges must carry one
 * this service issued for this very link, recently: a form on another site, or a request made up
 * from the link alone, has none. The nonce is also the request's id (the Update's `updateId`), so
 * a double-click or a repeated POST of one page is one request and one charge, and a new page view
 * is a new request.
 */
import { randomBytes } from 'node:crypto';
import { sameSignature, signature } from '../../activities/secrets';

/** Long enough to read the page and find the card; short enough that a leaked page goes stale. */
export const RETRY_FORM_TTL_SECONDS = 30 * 60;

export type CsrfCheck = { ok: true; nonce: string } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

// A purpose prefix: a MAC of this kind can never pass for a link token's, which the same secret signs.
const mac = (secret: string, token: string, nonce: string, exp: number) =>
  signature(secret, `retry-form\n${token}\n${nonce}\n${exp}`);

/** A field for the page that shows `token`; pass `nonce` to re-issue one for the same request. */
export function issueRetryCsrf(
  secret: string,
  token: string,
  nowSeconds: number,
  nonce = randomBytes(18).toString('base64url'),
): string {
  const exp = nowSeconds + RETRY_FORM_TTL_SECONDS;
  return `${nonce}.${exp}.${mac(secret, token, nonce, exp)}`;
}

export function checkRetryCsrf(secret: string, token: string, field: unknown, nowSeconds: number): CsrfCheck {
  if (typeof field !== 'string') return { ok: false, reason: 'malformed' };
  const parts = field.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [nonce, expText, given] = parts as [string, string, string];
  const exp = Number(expText);
  if (!NONCE.test(nonce) || !/^\d{1,12}$/.test(expText)) return { ok: false, reason: 'malformed' };
  if (!sameSignature(given, mac(secret, token, nonce, exp))) return { ok: false, reason: 'bad_signature' };
  if (exp < nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, nonce };
}
