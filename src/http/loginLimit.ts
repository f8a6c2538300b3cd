/**
 * Sign-in attempts per client (the dashboard's and the codec's login): a token cannot be guessed
 * at network speed. Only refused attempts count, so a person who signs in is never locked out by
 * their own successes. "Client" is the address Express gives (`req.ip`): the socket's, or with
 * TRUST_PROXY the one the trusted proxies forwarded, never one the client made up.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';

export interface LoginLimitOptions {
  /** Refused attempts per window. */
  limit?: number;
  windowMs?: number;
}

export const LOGIN_LIMIT = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;

/** A limiter of its own per login route (each keeps its own counts). */
export function loginRateLimit(
  o: LoginLimitOptions = {},
  log?: (msg: string, meta?: Record<string, unknown>) => void,
): RequestHandler {
  return rateLimit({
    windowMs: o.windowMs ?? LOGIN_WINDOW_MS,
    limit: o.limit ?? LOGIN_LIMIT,
    skipSuccessfulRequests: true,
    // `Retry-After` on the 429, and the RateLimit headers of the IETF draft.
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Its warnings (an X-Forwarded-For while no proxy is trusted: TRUST_PROXY may be missing) as our log lines.
    ...(log
      ? {
          logger: {
            error: (error: unknown, message?: string) =>
              log('sign-in limit: ' + (message ?? String(error)), { error: String(error) }),
            warn: (error: unknown, message?: string) =>
              log('sign-in limit: ' + (message ?? String(error)), { error: String(error) }),
          },
        }
      : {}),
    handler: (req, res) => {
      log?.('sign-in: too many attempts', { ip: req.ip, path: req.path });
      res.status(429).type('text').send('Too many sign-in attempts from this address: wait and try again.');
    },
  });
}
