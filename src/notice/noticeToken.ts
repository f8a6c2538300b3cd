/**
 * The customer token of the in-app notice: the SaaS app's backend mints it for one customer
 * (`POST /api/customers/:id/notice-token`, or itself with the documented format below) and hands
 * it to its own frontend, which reads `GET /api/customers/:id/billing-notice` with it. The frontend
 * never sees the API token; a token read off a page opens that one customer's notice for minutes.
 *
 * Format (docs/http-api.md): `dn1.<payload>.<mac>`, where `payload` is the base64url of the JSON
 * `{"c":"<customer id>","e":<expiry, epoch seconds>}` and `mac` the base64url HMAC-SHA256 of
 * `dn1.<payload>` under the key: NOTICE_TOKEN_SECRET when set, else HMAC-SHA256(API_TOKEN,
 * "dunning-notice-token-key") (so a new API token ends every token made with the old one).
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { sameSignature, signature } from '../../activities/secrets';

const PREFIX = 'dn1';
/** What the mint route gives by default. */
export const NOTICE_TOKEN_DEFAULT_TTL_SECONDS = 15 * 60;
/** Longer-lived tokens are refused, also when minted elsewhere: a token on a page must not outlive the session long. */
export const NOTICE_TOKEN_MAX_TTL_SECONDS = 60 * 60;

/** The signing key: the dedicated secret, else one derived from the API token. */
export function noticeTokenKey(o: { apiToken: string; secret?: string }): Buffer {
  return o.secret ? Buffer.from(o.secret, 'utf8') : createHmac('sha256', o.apiToken).update('dunning-notice-token-key').digest();
}

export function mintNoticeToken(key: Buffer, customerId: string, expSeconds: number): string {
  const payload = Buffer.from(JSON.stringify({ c: customerId, e: expSeconds })).toString('base64url');
  return `${PREFIX}.${payload}.${signature(key, `${PREFIX}.${payload}`)}`;
}

export type NoticeTokenCheck =
  | { ok: true; customerId: string; exp: number }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'too_long' | 'wrong_customer' };

const Payload = z.object({ c: z.string().min(1).max(255), e: z.number().int() }).strict();

/**
 * Checks a token for `customerId` at `nowSeconds`: the MAC first (nothing unsigned is read), then
 * the customer, then the expiry, which may not lie further ahead than NOTICE_TOKEN_MAX_TTL_SECONDS.
 */
export function verifyNoticeToken(key: Buffer, token: string, customerId: string, nowSeconds: number): NoticeTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX || !parts[1] || !parts[2]) return { ok: false, reason: 'malformed' };
  const [, payload, mac] = parts as [string, string, string];
  if (!sameSignature(mac, signature(key, `${PREFIX}.${payload}`))) return { ok: false, reason: 'bad_signature' };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = Payload.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const { c, e } = parsed.data;
  if (c !== customerId) return { ok: false, reason: 'wrong_customer' };
  if (e <= nowSeconds) return { ok: false, reason: 'expired' };
  if (e > nowSeconds + NOTICE_TOKEN_MAX_TTL_SECONDS) return { ok: false, reason: 'too_long' };
  return { ok: true, customerId: c, exp: e };
}

/** What the caller is told for each refusal (the notice route's 401/403). */
export const NOTICE_TOKEN_REFUSALS: Record<Exclude<NoticeTokenCheck, { ok: true }>['reason'], string> = {
  malformed: 'The token is neither the API token nor a notice token (dn1.<payload>.<mac>)',
  bad_signature: 'The notice token is not signed by this service (tampered, or made with another key)',
  expired: 'The notice token has expired: ask your backend for a new one',
  too_long: `The notice token lives longer than ${NOTICE_TOKEN_MAX_TTL_SECONDS} seconds: mint a shorter-lived one`,
  wrong_customer: 'The notice token is for another customer',
};
