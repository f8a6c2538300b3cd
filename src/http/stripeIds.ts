/** Stripe object ids, as every edge (webhooks, the signal API) accepts them. */
import { z } from 'zod';

/**
 * Stripe's own bound: its API-upgrade policy says object ids may grow, but never beyond 255
 * characters. A longer "id" is not Stripe's, and would not fit our workflow IDs and search
 * attributes cleanly either.
 */
export const MAX_STRIPE_ID_LENGTH = 255;

/** An id with one of Stripe's prefixes (`in`, `cus`, ...): the prefix, `_`, then [A-Za-z0-9_]. */
export function stripeId(...prefixes: [string, ...string[]]): z.ZodString {
  const pattern = new RegExp(`^(?:${prefixes.join('|')})_[A-Za-z0-9_]+$`);
  const described = prefixes.map((p) => `${p}_`).join(', ');
  return z
    .string()
    .max(MAX_STRIPE_ID_LENGTH, `must be at most ${MAX_STRIPE_ID_LENGTH} characters`)
    .regex(pattern, `must be an id starting with ${described} followed by letters, digits or _`);
}
