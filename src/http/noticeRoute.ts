/**
 * The in-app notice (docs/http-api.md#the-in-app-notice):
 * - `GET /api/customers/:customerId/billing-notice`: the API token, or a customer token of that
 *   customer (src/notice/noticeToken.ts), the one `/api` route that takes one; with CORS for the
 *   SaaS app's pages (NOTICE_ALLOWED_ORIGINS, src/http/noticeCors.ts);
 * - `POST /api/customers/:customerId/notice-token`: the app's backend mints a customer token (API token);
 * - `GET /embed/dunning-notice.js`: the `<dunning-notice>` web component (src/notice/noticeScript.ts).
 * Mounted before the rest of `/api`, whose bearer check accepts the API token only.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { CaseUndecryptableError, type DunningClient } from '../dunningClient';
import { sameSecret } from '../../activities/secrets';
import type { NoticeThresholds } from '../../domain/noticeSeverity';
import type { DunningStatus } from '../../domain/types';
import { billingNotice } from '../notice/billingNotice';
import { NOTICE_SCRIPT } from '../notice/noticeScript';
import {
  mintNoticeToken,
  NOTICE_TOKEN_DEFAULT_TTL_SECONDS,
  NOTICE_TOKEN_MAX_TTL_SECONDS,
  NOTICE_TOKEN_REFUSALS,
  verifyNoticeToken,
} from '../notice/noticeToken';
import { bearerAuth, bearerToken } from './auth';
import { HttpError, sendError } from './errors';
import { noticeCors } from './noticeCors';
import { parseInput } from './parseInput';
import { stripeId } from './stripeIds';

export interface NoticeRouteDeps {
  cases: Pick<DunningClient, 'activeCasesOf' | 'status'>;
  apiToken: string;
  /** The customer tokens' key (noticeTokenKey). */
  tokenKey: Buffer;
  /** NOTICE_ALLOWED_ORIGINS */
  allowedOrigins: readonly string[];
  publicBaseUrl: string;
  linkSecret: string;
  linkTtlDays: number;
  businessName: string;
  /** The policy's `noticeSeverity` (domain/policy.ts noticeThresholds). */
  thresholds: NoticeThresholds;
  log: (msg: string, meta?: Record<string, unknown>) => void;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

const customerIdParam = stripeId('cus');
const mintBody = z
  .object({
    ttlSeconds: z.number().int().min(60).max(NOTICE_TOKEN_MAX_TTL_SECONDS).default(NOTICE_TOKEN_DEFAULT_TTL_SECONDS),
  })
  .strict()
  .default({});
/** A customer with more open cases than this is not a customer: the notice reads the first ones. */
const MAX_CASES = 20;

export function noticeRouter(deps: NoticeRouteDeps): Router {
  const router = express.Router();
  const now = deps.now ?? Date.now;
  const own = new URL(deps.publicBaseUrl).origin;
  const path = '/api/customers/:customerId/billing-notice';

  /** CORS first: a refused origin learns nothing else, its preflight included. */
  function cors(req: Request, res: Response, next: NextFunction): void {
    const preflight = req.method === 'OPTIONS';
    const d = noticeCors(deps.allowedOrigins, own, req.get('origin'), preflight);
    res.set(d.headers);
    if (!d.allow) {
      deps.log('notice: origin refused', { origin: d.origin, allowed: deps.allowedOrigins.join(', ') || 'none' });
      return sendError(res, 403, 'origin_not_allowed', `This origin may not read the notice (NOTICE_ALLOWED_ORIGINS)`);
    }
    if (preflight) return void res.status(204).end();
    next();
  }

  /** The API token, or a customer token of this very customer. */
  function auth(req: Request, res: Response, customerId: string): boolean {
    const given = bearerToken(req.get('authorization'));
    if (given !== undefined && sameSecret(given, deps.apiToken)) return true;
    if (given === undefined) {
      res.set('WWW-Authenticate', 'Bearer');
      sendError(res, 401, 'unauthorized', 'Missing bearer token: the API token or a notice token of this customer');
      return false;
    }
    const check = verifyNoticeToken(deps.tokenKey, given, customerId, Math.floor(now() / 1000));
    if (check.ok) return true;
    deps.log('notice: token refused', { customerId, reason: check.reason });
    if (check.reason === 'wrong_customer') {
      sendError(res, 403, 'wrong_customer', NOTICE_TOKEN_REFUSALS.wrong_customer);
    } else {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      sendError(res, 401, `token_${check.reason}`, NOTICE_TOKEN_REFUSALS[check.reason]);
    }
    return false;
  }

  /** The statuses of the customer's open cases; a case whose status cannot be read is left out (logged). */
  async function openStatuses(customerId: string): Promise<DunningStatus[]> {
    const open = (await deps.cases.activeCasesOf(customerId)).slice(0, MAX_CASES);
    const read = await Promise.all(
      open.map(async (c) => {
        if (!c.invoiceId) return undefined;
        try {
          return await deps.cases.status(c.invoiceId);
        } catch (err) {
          if (!(err instanceof CaseUndecryptableError)) throw err;
          deps.log('notice: case undecryptable, left out', { invoiceId: c.invoiceId });
          return undefined;
        }
      }),
    );
    return read.filter((s): s is DunningStatus => s !== undefined);
  }

  router.options(path, cors);
  router.get(path, cors, async (req, res, next) => {
    try {
      const customerId = parseInput(customerIdParam, req.params.customerId, 'customerId');
      if (!auth(req, res, customerId)) return;
      const answer = billingNotice(
        customerId,
        await openStatuses(customerId),
        {
          publicBaseUrl: deps.publicBaseUrl,
          linkSecret: deps.linkSecret,
          linkTtlDays: deps.linkTtlDays,
          businessName: deps.businessName,
          thresholds: deps.thresholds,
        },
        now(),
      );
      // Signed links and a customer's state: for this one reader, now.
      res.set('Cache-Control', 'no-store').json(answer);
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message);
      next(err);
    }
  });

  router.post(
    '/api/customers/:customerId/notice-token',
    bearerAuth(deps.apiToken),
    express.json({ limit: '4kb' }),
    (req, res) => {
      try {
        const customerId = parseInput(customerIdParam, req.params.customerId, 'customerId');
        const body = parseInput(mintBody, req.body ?? {}, 'body');
        const exp = Math.floor(now() / 1000) + body.ttlSeconds;
        res
          .status(201)
          .set('Cache-Control', 'no-store')
          .json({
            token: mintNoticeToken(deps.tokenKey, customerId, exp),
            customerId,
            expiresAt: new Date(exp * 1000).toISOString(),
          });
      } catch (err) {
        if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message);
        throw err;
      }
    },
  );

  router.get('/embed/dunning-notice.js', (_req, res) => {
    res
      .type('text/javascript')
      // Loaded by `<script src>` from the app's pages: another origin, which helmet's same-origin default refuses.
      .set({ 'Cross-Origin-Resource-Policy': 'cross-origin', 'Cache-Control': 'public, max-age=300' })
      .send(NOTICE_SCRIPT);
  });

  return router;
}
