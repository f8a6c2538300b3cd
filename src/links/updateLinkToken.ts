/**
 * The token in every email's "update payment method" link: bound to one customer and invoice,
 * HMAC-signed, with an expiry. It carries no secret and grants only "open a Billing Portal
 * session for this customer", which is why a long lifetime (30 days by default) is acceptable.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LinkClaims {
  customerId: string;
  invoiceId: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /**
   * `pay`: the customer must confirm the payment (3-D Secure), which happens on the invoice's
   * hosted page; default: update the payment method in the Billing Portal.
   */
  purpose?: 'update' | 'pay';
}

export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired'; claims?: LinkClaims };

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

export function createLinkToken(secret: string, claims: LinkClaims): string {
  const fields = { c: claims.customerId, i: claims.invoiceId, e: claims.exp, ...(claims.purpose === 'pay' ? { p: 'pay' } : {}) };
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

export function verifyLinkToken(secret: string, token: string, nowSeconds: number): LinkCheck {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, reason: 'malformed' };
  const [payload, mac] = parts as [string, string];
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const r = raw as { c?: unknown; i?: unknown; e?: unknown; p?: unknown };
  if (typeof r.c !== 'string' || typeof r.i !== 'string' || typeof r.e !== 'number') return { ok: false, reason: 'malformed' };
  const claims: LinkClaims = { customerId: r.c, invoiceId: r.i, exp: r.e, purpose: r.p === 'pay' ? 'pay' : 'update' };
  if (claims.exp < nowSeconds) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}

export function updateLinkUrl(baseUrl: string, secret: string, claims: LinkClaims): string {
  return `${baseUrl}/billing/update/${createLinkToken(secret, claims)}`;
}
