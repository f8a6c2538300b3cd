/**
 * The token in every email's links: bound to one customer and invoice, HMAC-signed, with an
 * expiry and a purpose. It carries no secret. An update or pay link grants only "open a Billing
 * Portal session (or the invoice page) for this customer", which is why a long lifetime (30 days
 * by default) is acceptable; a retry link only shows a confirmation page, and the charge needs a
 * POST from that page (see src/http/retryRoute.ts).
 *
 * It lives in activities/ because the email activity signs it and the HTTP routes verify it: the
 * lowest layer both may import (activities/ never imports src/).
 */
import { z } from 'zod';
import { EMAIL_LOCALES, type EmailLocale } from '../email/templates/locale';
import { sameSignature, signature } from '../secrets';

/**
 * `update`: update the payment method in the Billing Portal. `pay`: the customer must confirm the
 * payment (3-D Secure), which happens on the invoice's hosted page. `retry`: the customer's own
 * retry with the same card. `offer`: the last-chance offer's page (src/http/offerRoute.ts), which
 * shows the offer and applies it only on its own POST. Each route accepts only its own purposes.
 */
export const LINK_PURPOSES = ['update', 'pay', 'retry', 'offer'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

export interface LinkClaims {
  customerId: string;
  invoiceId: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Default `update` (the tokens sent before purposes other than `pay` existed carry none). */
  purpose?: LinkPurpose;
  /** The customer's language, as the email chose it: the pages behind the link speak it too. */
  locale?: EmailLocale;
  /** The customer's IANA time zone, so a page says "from 3:00 PM" in the customer's own time. */
  timeZone?: string;
}

export type LinkCheck =
  | { ok: true; claims: LinkClaims & { purpose: LinkPurpose } }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_purpose' | 'expired'; claims?: LinkClaims };

/** The signed payload, short field names to keep URLs short. Checked after the signature. */
const Payload = z.object({
  c: z.string().min(1),
  i: z.string().min(1),
  e: z.number(),
  p: z.enum(LINK_PURPOSES).optional(),
  // Unknown values are dropped, not refused: they only choose a language or a clock.
  l: z.string().optional().catch(undefined),
  z: z.string().max(64).optional().catch(undefined),
});

export function createLinkToken(secret: string, claims: LinkClaims): string {
  const fields = {
    c: claims.customerId,
    i: claims.invoiceId,
    e: claims.exp,
    // An update link stays as it always was, without `p`: old links and new ones read the same.
    ...(claims.purpose && claims.purpose !== 'update' ? { p: claims.purpose } : {}),
    ...(claims.locale ? { l: claims.locale } : {}),
    ...(claims.timeZone ? { z: claims.timeZone } : {}),
  };
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${signature(secret, payload)}`;
}

/**
 * Checks signature, shape, purpose and expiry, in that order: a link of another purpose is a
 * wrong link even once it has expired. `accept`: the purposes the caller's route serves.
 */
export function verifyLinkToken(secret: string, token: string, nowSeconds: number, accept: readonly LinkPurpose[]): LinkCheck {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, reason: 'malformed' };
  const [payload, mac] = parts as [string, string];
  if (!sameSignature(mac, signature(secret, payload))) return { ok: false, reason: 'bad_signature' };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = Payload.safeParse(raw);
  // A purpose we do not know is not read as any other: a signed token of a newer kind stays its own.
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const r = parsed.data;
  const claims = {
    customerId: r.c,
    invoiceId: r.i,
    exp: r.e,
    purpose: r.p ?? 'update',
    ...(EMAIL_LOCALES.includes(r.l as EmailLocale) ? { locale: r.l as EmailLocale } : {}),
    ...(r.z ? { timeZone: r.z } : {}),
  };
  if (!accept.includes(claims.purpose)) return { ok: false, reason: 'wrong_purpose', claims };
  if (claims.exp < nowSeconds) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}

export function updateLinkUrl(baseUrl: string, secret: string, claims: LinkClaims): string {
  return `${baseUrl}/billing/update/${createLinkToken(secret, claims)}`;
}

export function retryLinkUrl(baseUrl: string, secret: string, claims: Omit<LinkClaims, 'purpose'>): string {
  return `${baseUrl}/billing/retry/${createLinkToken(secret, { ...claims, purpose: 'retry' })}`;
}

export function offerLinkUrl(baseUrl: string, secret: string, claims: Omit<LinkClaims, 'purpose'>): string {
  return `${baseUrl}/billing/offer/${createLinkToken(secret, { ...claims, purpose: 'offer' })}`;
}
