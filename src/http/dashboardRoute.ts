/**
 * `GET /dashboard`: the recovery dashboard, behind the `/api` token. Scripts send
 * `Authorization: Bearer $API_TOKEN`; a browser signs in once (`POST /dashboard/login` with the
 * token) and gets an HttpOnly cookie: a signed session with a nonce and an expiry the server checks
 * (src/http/sessionCookie.ts; never the token itself), SameSite=Strict so no other site's page can
 * make the browser send it (no CSRF), scoped to /dashboard. Sign-in attempts are rate-limited per
 * client; sign-out is accepted from this server's own page only, and revokes the session. Without
 * either: the sign-in form and a 401, never a figure.
 */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import type { DunningClient } from '../dunningClient';
import { dashboardFigures, isOpen, monthStartUtc, searchCases, type DashboardCase } from '../dashboard/figures';
import { readDashboardCases } from '../dashboard/visibility';
import { readReminderTally } from '../dashboard/cardExpirySection';
import { isTemporalUnavailable } from './errors';
import { loginPage, renderDashboard } from './dashboardPage';
import { loginRateLimit, type LoginLimitOptions } from './loginLimit';
import { fromOwnPage, isHttps } from './ownOrigin';
import { sameSecret } from '../../activities/secrets';
import { bearerToken } from './auth';
import { cookieValue, SessionCookies } from './sessionCookie';
import { CASE_STATES } from '../../domain/types';
import type { StalledReader } from '../stalled/stalledMonitor';
import type { ExperimentReport } from '../../domain/experimentResults';

export interface DashboardOptions {
  cases: DunningClient;
  apiToken: string;
  /** PUBLIC_BASE_URL: its scheme says whether the cookie is Secure and which origin is ours. */
  publicBaseUrl: string;
  /** Refused sign-ins per client and window (default: src/http/loginLimit.ts). */
  loginLimit?: LoginLimitOptions;
  /** The Temporal Web UI (`http://localhost:8233`): each case links to its workflow there. */
  temporalUiUrl?: string;
  log?: (msg: string, meta?: Record<string, unknown>) => void;
  now?: () => number;
  /** The last stalled-case scan: a line above the figures when a case's workflow task keeps failing. */
  stalled?: StalledReader;
  /** The policy experiments' results (src/experiments/experimentResults.ts); unset: no section. */
  experiments?: () => Promise<ExperimentReport[]>;
}

const COOKIE = 'dunning_dashboard';
const SESSION_SECONDS = 12 * 3600;
/** Rows of the table: the figures count every case, the table shows the first of those matching. */
const TABLE_ROWS = 200;

const searchSchema = z.object({
  q: z.string().trim().max(200).default(''),
  state: z.union([z.enum(CASE_STATES), z.literal('')]).default(''),
});
const loginSchema = z.object({ token: z.string().max(1000) });

/** Open cases first (soonest next step first), then the most recently ended. */
function tableOrder(a: DashboardCase, b: DashboardCase): number {
  const openA = isOpen(a);
  const openB = isOpen(b);
  if (openA !== openB) return openA ? -1 : 1;
  if (openA) return (a.nextActionAt ?? '').localeCompare(b.nextActionAt ?? '');
  return (b.closedAt ?? b.startedAt).localeCompare(a.closedAt ?? a.startedAt);
}

export function dashboardRouter(o: DashboardOptions): Router {
  const router = express.Router();
  const log = o.log ?? (() => undefined);
  const now = o.now ?? Date.now;
  const sessions = new SessionCookies({ token: o.apiToken, purpose: 'dashboard', ttlSeconds: SESSION_SECONDS, now });
  const secure = isHttps(o.publicBaseUrl);
  const namespace = o.cases.client.options.namespace;
  const workflowsUrl = o.temporalUiUrl
    ? `${o.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}`
    : undefined;

  // Figures about money: never cached, never framed, no script at all.
  router.use('/dashboard', (_req, res, next) => {
    res.set({
      'Cache-Control': 'no-store',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Frame-Options': 'DENY',
      // Not no-referrer: with it, browsers send `Origin: null` on the sign-in POST, which the origin check refuses.
      'Referrer-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
    });
    next();
  });

  const signedIn = (req: Request): boolean => {
    const bearer = bearerToken(req.get('authorization'));
    if (bearer !== undefined) return sameSecret(bearer, o.apiToken);
    const cookie = cookieValue(req.get('cookie'), COOKIE);
    return sessions.check(cookie).ok;
  };
  const cookie = (value: string, maxAge: number) =>
    `${COOKIE}=${value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;

  router.get('/dashboard/login', (_req, res) => {
    res.type('html').send(loginPage(''));
  });
  const limited = loginRateLimit(o.loginLimit, log);
  router.post('/dashboard/login', limited, express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    // A form posted from another site is refused outright (the cookie is SameSite=Strict anyway).
    if (!fromOwnPage(req, o.publicBaseUrl, false)) {
      return res.status(403).type('html').send(loginPage('Sign in from this server’s own page.'));
    }
    const body = loginSchema.safeParse(req.body ?? {});
    if (!body.success || !sameSecret(body.data.token, o.apiToken)) {
      log('dashboard: sign-in refused');
      return res.status(401).type('html').send(loginPage('That is not the API token.'));
    }
    res.set('Set-Cookie', cookie(sessions.issue(), SESSION_SECONDS));
    res.redirect(303, '/dashboard');
  });
  router.post('/dashboard/logout', (req, res) => {
    // Another site's page must not sign the operator out (nor learn, from the answer, that it could).
    if (!fromOwnPage(req, o.publicBaseUrl, true)) {
      return res.status(403).type('text').send('Sign out from the dashboard’s own page.');
    }
    sessions.revoke(cookieValue(req.get('cookie'), COOKIE));
    res.set('Set-Cookie', cookie('', 0));
    res.redirect(303, '/dashboard/login');
  });

  router.get('/dashboard', async (req, res) => {
    if (!signedIn(req)) {
      res.set('WWW-Authenticate', 'Bearer');
      return res.status(401).type('html').send(loginPage(''));
    }
    const search = searchSchema.safeParse(req.query);
    if (!search.success) {
      return res
        .status(400)
        .type('text')
        .send(search.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
    }
    const at = now();
    let read;
    try {
      read = await readDashboardCases(o.cases.client, { taskQueue: o.cases.taskQueue, since: new Date(monthStartUtc(at)) });
    } catch (err) {
      if (!isTemporalUnavailable(err)) throw err;
      return res.status(503).type('text').send('Temporal is unreachable: the dashboard has nothing to show; try again.');
    }
    // The experiments' results are a section of their own: if they cannot be read, the rest still shows.
    let experiments: ExperimentReport[] | undefined;
    let experimentsUnavailable: string | undefined;
    if (o.experiments) {
      try {
        experiments = await o.experiments();
      } catch (err) {
        log('dashboard: experiment results not read', { error: String(err) });
        experimentsUnavailable = 'The experiment results could not be read just now; reload to try again.';
      }
    }
    // The card expiry reminders: a section of their own, left out if visibility cannot list them now.
    const expiryReminders = await readReminderTally(o.cases.client, {
      taskQueue: o.cases.taskQueue,
      since: new Date(monthStartUtc(at)),
    }).catch((err: unknown) => {
      log('dashboard: card expiry reminders not read', { error: String(err) });
      return undefined;
    });
    const matching = searchCases(read.cases, { text: search.data.q, state: search.data.state }).sort(tableOrder);
    res.type('html').send(
      renderDashboard({
        figures: dashboardFigures(read.cases, at),
        rows: matching.slice(0, TABLE_ROWS),
        matched: matching.length,
        search: search.data,
        truncated: read.truncated,
        now: at,
        workflowsUrl,
        stalled: o.stalled?.latest(),
        experiments,
        experimentsUnavailable,
        expiryReminders,
      }),
    );
  });
  return router;
}
