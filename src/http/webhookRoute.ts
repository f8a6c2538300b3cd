/**
 * POST /webhooks/stripe. Verifies the signature on the raw body, maps the event, and answers 200
 * only once Temporal has durably taken the signal; 503 while Temporal is unreachable, so Stripe
 * delivers again and nothing is lost. No slow work here: facts that need more Stripe calls are
 * fetched by the workflow's activities.
 */
import express, { type Request, type Response, type Router } from 'express';
import Stripe from 'stripe';
import type { DunningClient } from '../dunningClient';
import type { Metrics } from '../metrics';
import { workflowIdForInvoice } from '../../workflows/messages';
import { signalCardUpdate } from './cardUpdates';
import { isTemporalUnavailable, sendError } from './errors';
import { mapStripeEvent, type EventAction } from './stripeEvents';

export interface WebhookDeps {
  stripe: Stripe;
  webhookSecret: string;
  cases: DunningClient;
  metrics: Metrics;
  log: (msg: string, meta?: Record<string, unknown>) => void;
  /** Signature tolerance in seconds (Stripe's default: 300). */
  toleranceSeconds?: number;
}

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export function stripeWebhookRouter(deps: WebhookDeps): Router {
  const router = express.Router();
  router.post(
    '/webhooks/stripe',
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    async (req: Request, res: Response) => {
      if (!req.is('application/json')) {
        deps.metrics.webhooks.inc({ type: 'unknown', result: 'bad_content_type' });
        return sendError(res, 400, 'bad_content_type', 'Stripe webhooks are application/json');
      }
      const signature = req.get('stripe-signature');
      if (!signature) return sendError(res, 400, 'missing_signature', 'Missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        event = deps.stripe.webhooks.constructEvent(req.body as Buffer, signature, deps.webhookSecret, deps.toleranceSeconds);
      } catch (err) {
        deps.metrics.webhooks.inc({ type: 'unknown', result: 'bad_signature' });
        const malformed = err instanceof SyntaxError;
        return sendError(
          res,
          400,
          malformed ? 'malformed_body' : 'bad_signature',
          malformed ? 'Body is not valid JSON' : `Signature verification failed: ${(err as Error).message}`,
        );
      }
      // Verified, so it came from Stripe; still, a body that is JSON but not an event must be a
      // 400, not a crash (500) or an acknowledged no-op.
      const shapeProblem = notAnEvent(event);
      if (shapeProblem) {
        deps.metrics.webhooks.inc({ type: 'unknown', result: 'malformed' });
        return sendError(res, 400, 'malformed_body', `Body is not a Stripe event: ${shapeProblem}`);
      }
      const action = mapStripeEvent(event);
      try {
        const detail = await carryOut(deps, action);
        deps.metrics.webhooks.inc({ type: event.type, result: action.kind === 'ignore' ? 'ignored' : 'ok' });
        if (action.kind === 'ignore') deps.log('stripe event skipped', { id: event.id, type: event.type, reason: action.reason });
        res.status(200).json({ received: true, ...detail });
      } catch (err) {
        const unavailable = isTemporalUnavailable(err);
        deps.metrics.webhooks.inc({ type: event.type, result: unavailable ? 'temporal_unavailable' : 'error' });
        deps.log('stripe event not taken', { id: event.id, type: event.type, error: String(err) });
        sendError(res, 503, unavailable ? 'temporal_unavailable' : 'not_taken', 'Event not taken; deliver again later');
      }
    },
  );
  return router;
}

async function carryOut(deps: WebhookDeps, action: EventAction): Promise<Record<string, unknown>> {
  const { cases } = deps;
  switch (action.kind) {
    case 'ignore':
      return { ignored: action.reason };
    case 'payment_failed':
      // `ended`: the invoice's case is over; a late delivery is acknowledged, not a new case.
      return { ...(await cases.failureTaken(action.signal)) };
    case 'invoice_signal':
      return { signaled: (await cases.signalInvoice(action.invoiceId, action.signal)) ? [workflowIdForInvoice(action.invoiceId)] : [] };
    case 'card_updated':
      // Visibility and Stripe's open invoices: a case started a moment ago must not miss it.
      return signalCardUpdate({ cases, stripe: deps.stripe, log: deps.log }, action.customerId, {
        source: 'stripe',
        paymentMethodId: action.paymentMethodId,
        occurredAt: action.occurredAt,
      });
    case 'subscription_cancelled': {
      const active = await cases.activeCasesOf(action.customerId);
      const invoices = new Set(active.filter((c) => c.subscriptionId === action.subscriptionId).map((c) => c.invoiceId!));
      // The latest invoice is the usual failing one; it may not be visible (or memo-tagged) yet.
      if (action.latestInvoiceId) invoices.add(action.latestInvoiceId);
      const signaled: string[] = [];
      for (const invoiceId of invoices) {
        const ok = await cases.signalInvoice(invoiceId, {
          name: 'cancelDunning',
          payload: { reason: 'subscription_deleted', by: 'stripe' },
        });
        if (ok) signaled.push(workflowIdForInvoice(invoiceId));
      }
      return { signaled };
    }
  }
}

/** Why a verified, parsed body is not an event we can map; undefined when it is one. */
function notAnEvent(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'not a JSON object';
  const ev = e as { id?: unknown; type?: unknown; created?: unknown; data?: { object?: unknown } };
  if (typeof ev.id !== 'string' || ev.id === '') return 'no id';
  if (typeof ev.type !== 'string' || ev.type === '') return 'no type';
  if (typeof ev.created !== 'number' || !Number.isFinite(ev.created)) return 'no created time';
  if (typeof ev.data !== 'object' || ev.data === null) return 'no data';
  if (typeof ev.data.object !== 'object' || ev.data.object === null || Array.isArray(ev.data.object)) return 'no data.object';
  return undefined;
}
