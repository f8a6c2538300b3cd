/**
 * Signing and comparing secrets, once: the email links (activities/links), the retry form, the
 * sign-in cookies and every bearer token (src/http, src/metricsAccess.ts) use these, so that no
 * comparison anywhere leaks through its timing how much of a guess was right. In activities/
 * because the email activity is the lowest layer that signs (src/ may import activities/, not
 * the other way round).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The HMAC-SHA256 of `text` under `key`, base64url: what links, forms and cookies carry. */
export const signature = (key: string | Buffer, text: string): string =>
  createHmac('sha256', key).update(text).digest('base64url');

/** `given` is the signature `expected`, in constant time (one of another length is simply wrong). */
export function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `given` is the secret `expected`, in constant time whatever the lengths (their hashes are compared). */
export function sameSecret(given: string, expected: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(given), h(expected));
}
