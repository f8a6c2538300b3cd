/**
 * POST /webhooks/resend: Resend's delivery events. Verified on the raw body with the resend SDK's
 * `webhooks.verify` (Svix signing: `svix-id`, `svix-timestamp`, `svix-signature`, secret
 * RESEND_WEBHOOK_SECRET). `email.bounced`, `email.complained`, `email.suppressed` and
 * `email.failed` are signaled to the email's case (signal `emailUndeliverable`), which records
 * them and emails that address no more. Resend delivers any non-2xx answer again, so:
 * - 400: not Resend talking (a missing or bad signature): nothing recorded;
 * - 200: taken by the case, or nothing to do (another event type, an email that is not a dunning
 *   email, a case that has ended): delivering it again cannot help;
 * - 503: Temporal unreachable, or no secret configured yet: deliver again later.
 */
import express, { type Request, type Response, type Router } from 'express';
import { Resend } from 'resend';
import { workflowIdForInvoice } from '../../domain/messages';
import type { DunningClient } from '../dunningClient';
import type { Metrics } from '../metrics';
import { isTemporalUnavailable, sendError } from './errors';
import { interpretResendEvent, isUndeliverableType } from './resendEvents';
import { MAX_WEBHOOK_BYTES, verifiedBody } from './webhookRoute';

export interface ResendWebhookDeps {
  /** RESEND_WEBHOOK_SECRET (`whsec_…`); undefined: answered 503, so that Resend delivers again once it is set. */
  secret: string | undefined;
  cases: DunningClient;
  metrics: Metrics;
  log: (msg: string, meta?: Record<string, unknown>) => void;
}

// `webhooks.verify` needs no API key and makes no request; the SDK's constructor insists on a key.
const verifier = new Resend('re_verify_only').webhooks;

/** Metric label: the four we act on by name, any other as `other` (bounded). */
const typeLabel = (type: unknown): string => (typeof type !== 'string' ? 'unknown' : isUndeliverableType(type) ? type : 'other');

export function resendWebhookRouter(deps: ResendWebhookDeps): Router {
  const { metrics, log } = deps;
  const router = express.Router();
  router.post(
    '/webhooks/resend',
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    async (req: Request, res: Response) => {
      if (!deps.secret) {
        metrics.resendWebhooks.inc({ type: 'unknown', result: 'not_configured' });
        log('resend event not taken: RESEND_WEBHOOK_SECRET is not set');
        return sendError(res, 503, 'not_configured', 'RESEND_WEBHOOK_SECRET is not set; deliver again later');
      }
      const id = req.get('svix-id');
      const timestamp = req.get('svix-timestamp');
      const signature = req.get('svix-signature');
      if (!id || !timestamp || !signature) {
        metrics.resendWebhooks.inc({ type: 'unknown', result: 'missing_signature' });
        return sendError(res, 400, 'missing_signature', 'Missing svix-id, svix-timestamp or svix-signature header');
      }
      const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const secret = deps.secret;
      const verified = verifiedBody(
        res,
        () => verifier.verify({ payload: raw, headers: { id, timestamp, signature }, webhookSecret: secret }),
        (result) => metrics.resendWebhooks.inc({ type: 'unknown', result }),
      );
      if (!verified) return;
      const body = verified.body;

      const type = typeLabel((body as { type?: unknown } | null)?.type);
      const meaning = interpretResendEvent(body, new Date());
      if (meaning.kind === 'ignore') {
        metrics.resendWebhooks.inc({ type, result: 'ignored' });
        if (type !== 'other') log('resend event skipped', { svixId: id, type, reason: meaning.reason });
        return res.status(200).json({ received: true, ignored: meaning.reason });
      }
      try {
        const { invoiceId, signal } = meaning;
        const taken = await deps.cases.signalInvoice(invoiceId, { name: 'emailUndeliverable', payload: signal });
        metrics.resendWebhooks.inc({ type, result: taken ? 'ok' : 'ignored' });
        if (!taken) return res.status(200).json({ received: true, ignored: 'no running case for this invoice' });
        metrics.emailUndeliverable.inc({ event: signal.event });
        log('email undeliverable', { svixId: id, invoiceId, event: signal.event, emailId: signal.emailId });
        res.status(200).json({ received: true, signaled: [workflowIdForInvoice(invoiceId)] });
      } catch (err) {
        if (isTemporalUnavailable(err)) {
          metrics.resendWebhooks.inc({ type, result: 'unavailable' });
          log('resend event not taken: Temporal is unreachable', { svixId: id, type, error: String(err) });
          return sendError(res, 503, 'temporal_unavailable', 'Event not taken; deliver again later');
        }
        metrics.resendWebhooks.inc({ type, result: 'error' });
        console.error('resend webhook error', err);
        sendError(res, 500, 'internal', 'Internal error; deliver again later');
      }
    },
  );
  return router;
}
