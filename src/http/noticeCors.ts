/**
 * CORS of the in-app notice (`/api/customers/:id/billing-notice`), the one `/api` route a browser
 * page of the SaaS app calls: pages of NOTICE_ALLOWED_ORIGINS (and this service's own) may, others
 * are refused. The allowed origin is echoed, never `*`, and no credentials are allowed: the token
 * travels in the Authorization header, never in a cookie. Pure, so each answer is unit-tested.
 */

export type NoticeCorsDecision =
  /** No Origin header: not a cross-origin browser call (a backend, curl); nothing to add. */
  | { allow: true; headers: Record<string, string> }
  /** An origin not on the list: 403, without CORS headers (the browser hides the answer too). */
  | { allow: false; origin: string; headers: Record<string, string> };

/** What the component sends (the token) and what it reads. */
const ALLOWED_HEADERS = 'authorization';

/** `allowed`: NOTICE_ALLOWED_ORIGINS; `own`: PUBLIC_BASE_URL's origin. */
export function noticeCors(
  allowed: readonly string[],
  own: string | undefined,
  origin: string | undefined,
  preflight: boolean,
): NoticeCorsDecision {
  // Every answer depends on Origin: a cache must not serve one origin's answer to another.
  const vary = { Vary: 'Origin' };
  if (origin === undefined) return { allow: true, headers: vary };
  if (origin !== own && !allowed.includes(origin)) return { allow: false, origin, headers: vary };
  return {
    allow: true,
    headers: {
      ...vary,
      'Access-Control-Allow-Origin': origin,
      ...(preflight
        ? {
            'Access-Control-Allow-Methods': 'GET, OPTIONS',
            'Access-Control-Allow-Headers': ALLOWED_HEADERS,
            'Access-Control-Max-Age': '600',
          }
        : {}),
    },
  };
}
