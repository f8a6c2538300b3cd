/**
 * Who may read `/metrics` (the API's on PORT, the worker's on METRICS_PORT). The figures there are
 * the business's (amount at risk, recoveries, open cases), and the API's port is public (Stripe's
 * webhooks, the customers' pages), so in production `/metrics` needs `METRICS_TOKEN` as a bearer
 * token; a token rather than a port of its own because one port is all that many platforms route,
 * and the rule is then the same for the API and the workers. Production without a token: `/metrics`
 * is off. Development: open, as before, unless a token is set.
 */
import { sameSecret } from '../activities/secrets';
import { bearerToken } from './http/auth';

export type MetricsAccess = { kind: 'open' } | { kind: 'token'; token: string } | { kind: 'off' };

export function metricsAccessFrom(production: boolean, token: string | undefined): MetricsAccess {
  if (token) return { kind: 'token', token };
  return production ? { kind: 'off' } : { kind: 'open' };
}

export type MetricsVerdict =
  { serve: true } | { serve: false; status: 401 | 404; code: 'unauthorized' | 'metrics_off'; message: string };

/** The request's `Authorization` header against the access rule (constant-time comparison). */
export function judgeMetricsRequest(access: MetricsAccess, authorization: string | undefined): MetricsVerdict {
  if (access.kind === 'open') return { serve: true };
  if (access.kind === 'off') {
    return {
      serve: false,
      status: 404,
      code: 'metrics_off',
      message: '/metrics is off in production until METRICS_TOKEN is set',
    };
  }
  const given = bearerToken(authorization);
  if (given && sameSecret(given, access.token)) return { serve: true };
  return { serve: false, status: 401, code: 'unauthorized', message: 'Missing or invalid bearer token (METRICS_TOKEN)' };
}
