/**
 * The HTTP service: Stripe and Resend webhooks, the signal API, the email links (update, retry), the codec
 * server for the Temporal Web UI, the recovery dashboard, health and metrics.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type Stripe from 'stripe';
import type { DunningClient } from '../dunningClient';
import { readOpenCases } from '../amountAtRisk';
import { Metrics } from '../metrics';
import { judgeMetricsRequest, type MetricsAccess } from '../metricsAccess';
import { QuarantineStore } from '../quarantine/quarantineStore';
import { apiRouter } from './apiRoutes';
import { billingLinkRouter } from './billingLinkRoute';
import { codecRouter, type CodecServerOptions } from './codecRoute';
import { dashboardRouter } from './dashboardRoute';
import { experimentsRouter } from './experimentsRoute';
import type { ExperimentReport } from '../../domain/experimentResults';
import { isTemporalUnavailable, sendError } from './errors';
import { badLinkPage, pageLocale, unavailablePage } from './linkPages';
import type { ReadinessState } from '../readiness';
import type { StalledReader } from '../stalled/stalledMonitor';
import { isHttps } from './ownOrigin';
import { noticeRouter } from './noticeRoute';
import { noticeTokenKey } from '../notice/noticeToken';
import { noticeThresholds } from '../../domain/policy';
import { retryRouter } from './retryRoute';
import { offerRouter } from './offerRoute';
import { resendWebhookRouter } from './resendWebhookRoute';
import { twilioWebhookRouter } from './twilioWebhookRoute';
import { stripeWebhookRouter } from './webhookRoute';

export interface AppDeps {
  stripe: Stripe;
  cases: DunningClient;
  webhookSecret: string;
  /** RESEND_WEBHOOK_SECRET: verifies POST /webhooks/resend; undefined: that route answers 503. */
  resendWebhookSecret?: string;
  /** TWILIO_AUTH_TOKEN: verifies POST /webhooks/twilio (STOP/START); undefined: SMS off, that route answers 503. */
  twilioAuthToken?: string;
  apiToken: string;
  linkSecret: string;
  publicBaseUrl: string;
  businessName: string;
  /** TRUST_PROXY: hops of proxies whose X-Forwarded-For is believed; 0 or undefined: none. */
  trustProxy?: number;
  /** Default: the app's own, with the gauges read from visibility through `cases`. */
  metrics?: Metrics;
  /** Registries `/metrics` serves as well (the worker's, when it runs in this process). */
  alsoServeMetrics?: Registry[];
  /** Prometheus text `/metrics` appends (the Temporal SDK's, when the worker runs in this process). */
  alsoServeMetricsText?: () => Promise<string>;
  /** Who may read `/metrics` (src/metricsAccess.ts); default: open, as in development. */
  metricsAccess?: MetricsAccess;
  /** Default: on `cases`' client and task queue. */
  quarantine?: QuarantineStore;
  log?: (msg: string, meta?: Record<string, unknown>) => void;
  webhookToleranceSeconds?: number;
  /** The Temporal Web UI the dashboard links each case to; undefined: no links. */
  temporalUiUrl?: string;
  /** The codec server for the Temporal Web UI (`/codec/*`); undefined: no such routes. */
  codec?: Omit<CodecServerOptions, 'log'>;
  /**
   * The process's start (src/readiness.ts): until it is ready, `/readyz` answers 503 with the reason
   * and every route but health and metrics 503 (deliver again later). Undefined: ready from the start.
   */
  readiness?: () => ReadinessState;
  /** The last stalled-case scan (src/stalled/stalledMonitor.ts): the gauge, the dashboard, `/api/dunning/stalled`. */
  stalled?: StalledReader;
  /**
   * The in-app notice (src/http/noticeRoute.ts): NOTICE_ALLOWED_ORIGINS, and NOTICE_TOKEN_SECRET
   * (unset: the customer tokens' key is derived from the API token). Unset: no other origin.
   */
  notice?: { allowedOrigins?: readonly string[]; tokenSecret?: string };
  /** LINK_TTL_DAYS: how long the links the notice signs live, as the emails' (default 30). */
  linkTtlDays?: number;
  /** The policy experiments' results (src/experiments/): `/api/experiments`, the dashboard, the gauges. Unset: none. */
  experiments?: () => Promise<ExperimentReport[]>;
}

export function createApp(deps: AppDeps): express.Express {
  const log = deps.log ?? ((msg, meta) => console.log(JSON.stringify({ msg, ...meta })));
  const metrics =
    deps.metrics ??
    new Metrics({
      blockedCases: () => deps.cases.blockedCaseCounts(),
      openCases: () => readOpenCases(deps.cases.client, deps.cases.taskQueue),
      stalled: deps.stalled,
      experiments: deps.experiments,
      log,
      alsoRender: deps.alsoServeMetrics,
      alsoText: deps.alsoServeMetricsText,
    });
  const quarantine = deps.quarantine ?? new QuarantineStore(deps.cases.client, deps.cases.taskQueue);
  const app = express();
  app.disable('x-powered-by');
  // Believing every X-Forwarded-For would let any client choose its address (and escape the login
  // limits); only as many hops as the operator put proxies in front.
  app.set('trust proxy', deps.trustProxy ? deps.trustProxy : false);
  const https = isHttps(deps.publicBaseUrl);
  // The baseline headers of every answer; pages tighten their CSP further (linkPages, dashboard).
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'frame-ancestors': ["'none'"], 'upgrade-insecure-requests': https ? [] : null },
      },
      // Not no-referrer: browsers then send `Origin: null` on a form's POST, which the origin checks refuse.
      referrerPolicy: { policy: 'same-origin' },
      // Only a server reached over https may pin browsers to https (never on http://localhost).
      strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const start = deps.readiness?.();
    if (start && !start.ready) return sendError(res, 503, 'not_ready', `not ready: ${start.reason}`);
    try {
      await deps.cases.client.withDeadline(Date.now() + 3000, () => deps.cases.client.workflowService.getSystemInfo({}));
      res.json({ ok: true, temporal: 'reachable' });
    } catch (err) {
      // Addresses and certificate names are for the operator's log, not for whoever polls /readyz.
      log('readyz: Temporal is unreachable', { error: String(err) });
      sendError(res, 503, 'temporal_unavailable', 'Temporal is unreachable');
    }
  });
  app.get('/metrics', async (req, res) => {
    const verdict = judgeMetricsRequest(deps.metricsAccess ?? { kind: 'open' }, req.get('authorization'));
    if (!verdict.serve) {
      if (verdict.status === 401) res.set('WWW-Authenticate', 'Bearer');
      return sendError(res, verdict.status, verdict.code, verdict.message);
    }
    res.type(metrics.contentType).send(await metrics.render());
  });
  // Before the start is done (Temporal unreachable, the namespace not checked yet), nothing else
  // runs: a webhook gets the 503 that makes Stripe deliver again; an email link, its page.
  app.use((req, res, next) => {
    const start = deps.readiness?.();
    if (!start || start.ready) return next();
    if (req.path.startsWith('/billing/')) return unavailablePage(res, pageLocale(req));
    sendError(res, 503, 'temporal_unavailable', `Temporal is unreachable; try again (${start.reason})`);
  });

  app.use(
    stripeWebhookRouter({
      stripe: deps.stripe,
      webhookSecret: deps.webhookSecret,
      cases: deps.cases,
      quarantine,
      metrics,
      log,
      toleranceSeconds: deps.webhookToleranceSeconds,
    }),
  );
  app.use(resendWebhookRouter({ secret: deps.resendWebhookSecret, cases: deps.cases, metrics, log }));
  app.use(twilioWebhookRouter({ authToken: deps.twilioAuthToken, publicBaseUrl: deps.publicBaseUrl, stripe: deps.stripe, log }));
  app.use((req, res, next) => {
    res.on('finish', () => {
      if (req.path.startsWith('/api/'))
        metrics.apiRequests.inc({ route: req.route?.path ?? 'unmatched', status: String(res.statusCode) });
    });
    next();
  });
  if (deps.codec) app.use(codecRouter({ publicBaseUrl: deps.publicBaseUrl, ...deps.codec, log }));
  app.use(
    dashboardRouter({
      cases: deps.cases,
      apiToken: deps.apiToken,
      publicBaseUrl: deps.publicBaseUrl,
      temporalUiUrl: deps.temporalUiUrl,
      stalled: deps.stalled,
      experiments: deps.experiments,
      log,
    }),
  );
  // Before the rest of /api, whose bearer check takes the API token only: this route takes a customer token too.
  app.use(
    noticeRouter({
      cases: deps.cases,
      apiToken: deps.apiToken,
      tokenKey: noticeTokenKey({ apiToken: deps.apiToken, secret: deps.notice?.tokenSecret }),
      allowedOrigins: deps.notice?.allowedOrigins ?? [],
      publicBaseUrl: deps.publicBaseUrl,
      linkSecret: deps.linkSecret,
      linkTtlDays: deps.linkTtlDays ?? 30,
      businessName: deps.businessName,
      // Stand-ins for the client in tests may carry no policy: the default levels then.
      thresholds: noticeThresholds({
        noticeSeverity: (deps.cases.policy as DunningClient['policy'] | undefined)?.noticeSeverity,
      }),
      log,
    }),
  );
  // Before apiRouter, whose catch-all answers 404 for every other /api path.
  app.use(experimentsRouter({ apiToken: deps.apiToken, read: deps.experiments }));
  app.use(apiRouter({ cases: deps.cases, apiToken: deps.apiToken, stripe: deps.stripe, quarantine, stalled: deps.stalled, log }));
  app.use(
    billingLinkRouter({
      stripe: deps.stripe,
      linkSecret: deps.linkSecret,
      publicBaseUrl: deps.publicBaseUrl,
      businessName: deps.businessName,
      metrics,
      log,
    }),
  );
  app.use(
    retryRouter({
      cases: deps.cases,
      linkSecret: deps.linkSecret,
      publicBaseUrl: deps.publicBaseUrl,
      businessName: deps.businessName,
      log,
    }),
  );
  app.use(
    offerRouter({
      cases: deps.cases,
      linkSecret: deps.linkSecret,
      publicBaseUrl: deps.publicBaseUrl,
      businessName: deps.businessName,
      log,
    }),
  );

  app.use((_req: Request, res: Response) => sendError(res, 404, 'not_found', 'No such route'));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: unknown; expose?: unknown };
    if (e.type === 'entity.too.large') return sendError(res, 413, 'body_too_large', 'Body too large');
    // The client's mistake (e.g. a path segment that is not valid percent-encoding): say so.
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      if (req.path.startsWith('/billing/')) return badLinkPage(res, pageLocale(req));
      return sendError(res, e.status, 'bad_request', 'Bad request');
    }
    if (req.path.startsWith('/billing/')) {
      // The link in a customer's email never answers with a 500.
      console.error('billing link error', err);
      return unavailablePage(res, pageLocale(req));
    }
    if (isTemporalUnavailable(err)) return sendError(res, 503, 'temporal_unavailable', 'Temporal is unreachable; try again');
    console.error('unhandled error', err);
    sendError(res, 500, 'internal', 'Internal error');
  });
  return app;
}
