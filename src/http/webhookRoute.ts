/**
 * POST /webhooks/stripe. Verifies the signature on the raw body, checks and maps the event, and
 * answers 200 only once Temporal has durably taken it. Stripe delivers any other answer again,
 * for three days, so each answer says whether trying again can help:
 * - 400: not Stripe talking (no or bad signature, wrong content type, a body that is not JSON);
 * - 200 and quarantined: Stripe talking, but an invalid envelope or field (./stripeEventSchemas).
 *   Delivering it again cannot help; it is kept for an operator to replay or discard;
 * - 503: Temporal (or, for a card update, Stripe) unreachable: deliver again later;
 * - 500: a bug of ours. Stripe delivers again, which helps once a fix is deployed.
 * No slow work here: facts that need more Stripe calls are fetched by the workflow's activities.
 */
import express, { type Request, type Response, type Router } from 'express';
import Stripe from 'stripe';
import type { DunningClient } from '../dunningClient';
import { STRIPE_RETRYING_FIX } from '../../domain/stripeRetries';
import type { Metrics } from '../metrics';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
import type { QuarantineStore } from '../quarantine/quarantineStore';
import { carryOut } from './carryOutEvent';
import { isStripeUnavailable, isTemporalUnavailable, sendError } from './errors';
import { isUsedEventType, type EventProblem } from './stripeEventSchemas';
import { interpretStripeEvent } from './stripeEvents';

export interface WebhookDeps {
  stripe: Stripe;
  webhookSecret: string;
  cases: DunningClient;
  quarantine: QuarantineStore;
  metrics: Metrics;
  log: (msg: string, meta?: Record<string, unknown>) => void;
  /** Signature tolerance in seconds (Stripe's default: 300). */
  toleranceSeconds?: number;
}

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/**
 * A webhook's body as the provider's SDK verified and parsed it (`verify` throws on a bad signature
 * or on a body that is not JSON), or undefined once the 400 is sent and `count` told why: the
 * Stripe and Resend routes refuse alike.
 */
export function verifiedBody(
  res: Response,
  verify: () => unknown,
  count: (result: 'malformed' | 'bad_signature') => void,
): { body: unknown } | undefined {
  try {
    return { body: verify() };
  } catch (err) {
    const malformed = err instanceof SyntaxError;
    count(malformed ? 'malformed' : 'bad_signature');
    sendError(
      res,
      400,
      malformed ? 'malformed_body' : 'bad_signature',
      malformed ? 'Body is not valid JSON' : `Signature verification failed: ${(err as Error).message}`,
    );
    return undefined;
  }
}

/** Metric label of an event type: the types we use by name, any other as `other` (bounded). */
export const eventTypeLabel = (type: string | undefined): string =>
  type === undefined ? 'unknown' : isUsedEventType(type) ? type : 'other';

export function stripeWebhookRouter(deps: WebhookDeps): Router {
  const { metrics, log } = deps;
  const router = express.Router();
  router.post(
    '/webhooks/stripe',
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    async (req: Request, res: Response) => {
      if (!req.is('application/json')) {
        metrics.webhooks.inc({ type: 'unknown', result: 'bad_content_type' });
        return sendError(res, 400, 'bad_content_type', 'Stripe webhooks are application/json');
      }
      const signature = req.get('stripe-signature');
      if (!signature) {
        metrics.webhooks.inc({ type: 'unknown', result: 'missing_signature' });
        return sendError(res, 400, 'missing_signature', 'Missing Stripe-Signature header');
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const verified = verifiedBody(
        res,
        // Verifies, then parses: typed Stripe.Event, but only the checks below make it one.
        () => deps.stripe.webhooks.constructEvent(raw, signature, deps.webhookSecret, deps.toleranceSeconds),
        (result) => metrics.webhooks.inc({ type: 'unknown', result }),
      );
      if (!verified) return;

      const event = interpretStripeEvent(verified.body);
      try {
        if (event.kind === 'invalid') {
          const detail = await quarantine(deps, event.problem, raw);
          return res.status(200).json({ received: true, ...detail });
        }
        const { action } = event;
        const detail = await carryOut(deps, action);
        if (action.kind === 'dispute_opened') metrics.disputes.inc();
        metrics.webhooks.inc({ type: eventTypeLabel(event.type), result: action.kind === 'ignore' ? 'ignored' : 'ok' });
        if (action.kind === 'ignore') log('stripe event skipped', { id: event.id, type: event.type, reason: action.reason });
        if (action.kind === 'payment_failed' && action.signal.byStripeSchedule) {
          metrics.stripeOwnRetries.inc();
          log("Stripe's own retry schedule charged the invoice beside the service", {
            id: event.id,
            invoiceId: action.signal.invoiceId,
            attemptCount: action.signal.attemptCount,
            nextPaymentAttemptAt: action.signal.nextPaymentAttemptAt ?? null,
            fix: STRIPE_RETRYING_FIX,
          });
        }
        res.status(200).json({ received: true, ...detail });
      } catch (err) {
        const id = event.kind === 'valid' ? event.id : event.problem.eventId;
        const type = eventTypeLabel(event.kind === 'valid' ? event.type : event.problem.type);
        if (isTemporalUnavailable(err) || isStripeUnavailable(err)) {
          metrics.webhooks.inc({ type, result: 'unavailable' });
          log('stripe event not taken: a provider is unreachable', { id, type, error: String(err) });
          const code = isTemporalUnavailable(err) ? 'temporal_unavailable' : 'stripe_unavailable';
          return sendError(res, 503, code, 'Event not taken; deliver again later');
        }
        metrics.webhooks.inc({ type, result: 'error' });
        log('stripe event failed', { id, type, error: String(err) });
        console.error('stripe webhook error', err);
        sendError(res, 500, 'internal', 'Internal error; deliver again later');
      }
    },
  );
  return router;
}

async function quarantine(deps: WebhookDeps, problem: EventProblem, raw: Buffer): Promise<Record<string, unknown>> {
  const { eventId, already } = await deps.quarantine.put(problem, raw);
  const type = eventTypeLabel(problem.type);
  deps.metrics.webhooks.inc({ type, result: 'quarantined' });
  if (!already) deps.metrics.eventsQuarantined.inc({ type, reason_field: problem.field });
  if (problem.apiVersion !== undefined) {
    // A configuration problem, not a bad event: every event of that endpoint will be refused.
    if (!already) deps.metrics.apiVersionMismatches.inc({ event_version: versionLabel(problem.apiVersion) });
    deps.log('stripe event at another API version: recreate the webhook endpoint at the pinned version', {
      eventId,
      type: problem.type,
      eventApiVersion: problem.apiVersion,
      pinnedApiVersion: STRIPE_API_VERSION,
    });
  }
  deps.log('stripe event quarantined', { eventId, type: problem.type, field: problem.field, reason: problem.reason, already });
  return { quarantined: eventId, ...(already ? { already: true } : {}) };
}

/** Metric label of an event's API version: well-formed (`2024-06-20`, `2025-02-24.acacia`), else bounded. */
export const versionLabel = (v: string | null): string =>
  v === null ? 'none' : /^\d{4}-\d{2}-\d{2}(?:\.[a-z]{1,20})?$/.test(v) ? v : 'other';
