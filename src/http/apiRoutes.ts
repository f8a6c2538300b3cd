/** The signal API (`/api`, bearer token): for billing pages, other systems and operators. */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type Stripe from 'stripe';
import { z } from 'zod';
import { CaseUndecryptableError, type DunningClient } from '../dunningClient';
import { resendLinkResponse, retryNowResponse, type OperatorResponse } from './operatorAnswers';
import type { QuarantineStore } from '../quarantine/quarantineStore';
import { bearerAuth } from './auth';
import { signalCardUpdate } from './cardUpdates';
import { HttpError, isStripeUnavailable, sendError } from './errors';
import { parseInput } from './parseInput';
import { quarantineRouter } from './quarantineRoutes';
import { giveBackCollection } from './stripeCollection';
import { stripeId } from './stripeIds';
import { isUndecryptable } from '../temporal/payloadCodec';
import { workflowIdForInvoice } from '../../domain/messages';
import { CASE_STATES } from '../../domain/types';
import { scanStalledCases } from '../stalled/stalledScan';
import type { StalledReader } from '../stalled/stalledMonitor';

const customerIdParam = stripeId('cus');
const invoiceIdParam = stripeId('in');

const cardUpdatedBody = z
  .object({ paymentMethodId: stripeId('pm').optional() })
  .strict()
  .default({});
const cancelBody = z
  .object({
    reason: z.string().trim().min(1).max(500).default('operator_decision'),
    by: z.string().trim().min(1).max(200).default('api'),
  })
  .strict()
  .default({});
/** An operator's action: `requestId` makes a repeated request the same one (one charge, one email). */
const operatorBody = z
  .object({
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8 to 64 letters, digits, _ or -')
      .default(() => randomUUID()),
    by: z.string().trim().min(1).max(200).default('api'),
  })
  .strict()
  .default({});
const listQuery = z
  .object({
    state: z.enum(CASE_STATES).optional(),
    customerId: customerIdParam.optional(),
    /** `true`: only cases waiting on a provider. */
    blocked: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Only runs started before this instant (ISO-8601): the cases a key rotation left to re-encrypt. */
    startedBefore: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

export interface ApiDeps {
  cases: DunningClient;
  apiToken: string;
  /** For the customer route: the customer's open invoices (see ./cardUpdates). */
  stripe: Stripe;
  /** Refused Stripe events, for the `/api/quarantine` routes. */
  quarantine: QuarantineStore;
  /** The last stalled-case scan; unset: `/api/dunning/stalled` scans on each request. */
  stalled?: StalledReader;
  log: (msg: string, meta?: Record<string, unknown>) => void;
}

export function apiRouter(deps: ApiDeps): Router {
  const { cases, apiToken } = deps;
  const router = express.Router();
  router.use('/api', bearerAuth(apiToken), express.json({ limit: '64kb' }));

  router.post('/api/customers/:customerId/payment-method-updated', async (req, res) => {
    const customerId = parseInput(customerIdParam, req.params.customerId, 'customerId');
    const body = parseInput(cardUpdatedBody, req.body ?? {}, 'body');
    // Visibility and the customer's open invoices in Stripe: a case started a moment ago, not yet
    // visible, must not miss the update.
    const { signaled } = await signalCardUpdate(deps, customerId, {
      source: 'api',
      paymentMethodId: body.paymentMethodId,
      occurredAt: new Date().toISOString(),
    });
    if (signaled.length === 0) throw new HttpError(404, 'no_active_case', `No active dunning case for customer ${customerId}`);
    res.status(202).json({ signaled });
  });

  router.post('/api/invoices/:invoiceId/payment-method-updated', async (req, res) => {
    const invoiceId = parseInput(invoiceIdParam, req.params.invoiceId, 'invoiceId');
    const body = parseInput(cardUpdatedBody, req.body ?? {}, 'body');
    const ok = await cases.signalInvoice(invoiceId, {
      name: 'paymentMethodUpdated',
      payload: { source: 'api', paymentMethodId: body.paymentMethodId, occurredAt: new Date().toISOString() },
    });
    if (!ok) throw new HttpError(404, 'no_active_case', `No active dunning case for invoice ${invoiceId}`);
    res.status(202).json({ signaled: [workflowIdForInvoice(invoiceId)] });
  });

  router.post('/api/invoices/:invoiceId/cancel', async (req, res) => {
    const invoiceId = parseInput(invoiceIdParam, req.params.invoiceId, 'invoiceId');
    const body = parseInput(cancelBody, req.body ?? {}, 'body');
    const ok = await cases.signalInvoice(invoiceId, { name: 'cancelDunning', payload: body });
    // Stripe's own collection back on, whether or not a case was still running: a cancel repeated
    // after a 503 (Stripe unreachable) still gives the invoice back.
    const stripeCollection = await giveBackCollection(deps.stripe, invoiceId);
    deps.log('operator cancel', { invoiceId, by: body.by, stripeCollection });
    if (!ok) throw new HttpError(404, 'no_active_case', `No active dunning case for invoice ${invoiceId}`);
    res.status(202).json({ signaled: [workflowIdForInvoice(invoiceId)], stripeCollection });
  });

  /** Sends what operatorAnswers.ts made of an operator's action; logs what was done. */
  const answer = (res: Response, action: string, invoiceId: string, by: string, r: OperatorResponse) => {
    deps.log(`operator ${action}`, { invoiceId, by, status: r.status, ...r.log });
    res.status(r.status).json(r.body);
  };

  router.post('/api/invoices/:invoiceId/retry-now', async (req, res) => {
    const invoiceId = parseInput(invoiceIdParam, req.params.invoiceId, 'invoiceId');
    const body = parseInput(operatorBody, req.body ?? {}, 'body');
    const result = await cases.retryNow(invoiceId, body);
    answer(res, 'retry-now', invoiceId, body.by, retryNowResponse(invoiceId, body.requestId, result));
  });

  router.post('/api/invoices/:invoiceId/resend-link', async (req, res) => {
    const invoiceId = parseInput(invoiceIdParam, req.params.invoiceId, 'invoiceId');
    const body = parseInput(operatorBody, req.body ?? {}, 'body');
    const result = await cases.resendLink(invoiceId, body);
    answer(res, 'resend-link', invoiceId, body.by, resendLinkResponse(invoiceId, body.requestId, result));
  });

  // Re-encrypt the case under the current payload key (docs/production/key-rotation.md): it
  // continues as new at its next wait. 202: taken; 404: no case; 409: the case is over.
  router.post('/api/invoices/:invoiceId/reencrypt', async (req, res) => {
    const invoiceId = parseInput(invoiceIdParam, req.params.invoiceId, 'invoiceId');
    const body = parseInput(operatorBody, req.body ?? {}, 'body');
    const r = await cases.reencrypt(invoiceId, body);
    deps.log('operator reencrypt', { invoiceId, by: body.by, answer: r.kind });
    if (r.kind === 'no_case') throw new HttpError(404, 'not_found', `No dunning case for invoice ${invoiceId}`);
    if (r.kind === 'ended') throw new HttpError(409, 'case_over', `The case of ${invoiceId} is over: nothing to re-encrypt`);
    res.status(202).json({ reencrypt: 'requested', workflowId: workflowIdForInvoice(invoiceId), fromRunId: r.fromRunId });
  });

  router.get('/api/invoices/:invoiceId/dunning', async (req, res) => {
    const invoiceId = parseInput(invoiceIdParam, req.params.invoiceId, 'invoiceId');
    let status;
    try {
      status = await cases.status(invoiceId);
    } catch (err) {
      // Not a server fault to retry blindly: a key was removed too early. Say so, with what
      // visibility still knows of the case, and count it (the list routes count their rows too).
      if (!(err instanceof CaseUndecryptableError)) throw err;
      deps.log('case undecryptable', { invoiceId, error: String(err.cause) });
      res.status(409).json({
        error: { code: 'case_undecryptable', message: err.message },
        case: { ...err.summary, invoiceId, undecryptable: true },
      });
      return;
    }
    if (!status) throw new HttpError(404, 'not_found', `No dunning case for invoice ${invoiceId}`);
    res.json(status);
  });

  // The open executions whose workflow task keeps failing (`npm run cases -- list --stalled`): the
  // monitor's last scan (at most 30 s old); a process without one (tests) scans now.
  router.get('/api/dunning/stalled', async (_req, res) => {
    const scan = deps.stalled ? deps.stalled.latest() : await scanStalledCases(cases.client, { taskQueue: cases.taskQueue });
    if (!scan)
      throw new HttpError(503, 'not_scanned_yet', 'The first scan for stalled cases has not ended yet; try again in a moment');
    res.json(scan);
  });

  router.get('/api/dunning', async (req, res) => {
    const q = parseInput(listQuery, req.query, 'query');
    const found = await cases.list({
      state: q.state,
      customerId: q.customerId,
      blocked: q.blocked === 'true',
      limit: q.limit,
      ...(q.startedBefore ? { startedBefore: new Date(q.startedBefore) } : {}),
    });
    res.json({ cases: found });
  });

  router.use(quarantineRouter(deps));

  router.use('/api', (_req: Request, res: Response) => sendError(res, 404, 'not_found', 'No such route'));
  router.use('/api', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message);
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'malformed_body', 'Body is not valid JSON');
    if (isStripeUnavailable(err)) return sendError(res, 503, 'stripe_unavailable', 'Stripe is unreachable; try again');
    // A case or event written under a key since removed: the operator's to fix, not a bare 500.
    if (isUndecryptable(err)) {
      deps.log('payload undecryptable', { error: String((err as Error).message) });
      return sendError(
        res,
        409,
        'undecryptable',
        'This was encrypted with a key this service no longer has; put the old key back in PAYLOAD_ENCRYPTION_KEYS after the current one (docs/production/key-rotation.md)',
      );
    }
    // Body too large, Temporal unreachable, anything else: the app's handler, shared by every route.
    next(err);
  });
  return router;
}
