/**
 * POST /webhooks/twilio: the customer's replies to our texts, as Twilio posts them (form-encoded,
 * signed with `X-Twilio-Signature`, an HMAC of the exact public URL and the form fields with
 * TWILIO_AUTH_TOKEN). Verified with the SDK's `validateRequest` over `PUBLIC_BASE_URL` +
 * `/webhooks/twilio`: the URL Twilio was given, not the one a proxy forwarded to.
 *
 * STOP (and Twilio's other opt-out words) and START (opt-in words) are recorded on every Stripe
 * customer with that phone number (metadata `dunning_sms_opt_out`, domain/sms.ts), where every case
 * reads it before each text. Twilio itself already stops delivering after STOP (Advanced Opt-Out,
 * error 21610); recording it on our side keeps the case from trying, shows it to the merchant in
 * Stripe, and survives a move to another sender number. Answers:
 * - 403: not Twilio (a missing or wrong signature): nothing recorded;
 * - 200 with an empty TwiML `<Response/>`: taken (Twilio sends its own opt-out confirmation);
 * - 503: SMS not configured, or Stripe unreachable (Twilio retries only with a fallback URL, so
 *   this is logged as well).
 */
import express, { type Request, type Response, type Router } from 'express';
import type Stripe from 'stripe';
import twilio from 'twilio';
import { isE164, maskPhone, SMS_OPT_OUT_KEY } from '../../domain/sms';
import { sendError } from './errors';

export interface TwilioWebhookDeps {
  /** TWILIO_AUTH_TOKEN; undefined: SMS is off and the route answers 503. */
  authToken: string | undefined;
  /** PUBLIC_BASE_URL, without a trailing slash. */
  publicBaseUrl: string;
  stripe: Stripe;
  log: (msg: string, meta?: Record<string, unknown>) => void;
}

/** Twilio's default opt-out and opt-in keywords (Advanced Opt-Out), for a request without OptOutType. */
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const START_WORDS = new Set(['START', 'UNSTOP', 'YES']);

/** What a reply asks: `stop`, `start`, or nothing we act on (HELP, a question, a thank-you). */
export function replyIntent(fields: Record<string, unknown>): 'stop' | 'start' | undefined {
  const type = typeof fields.OptOutType === 'string' ? fields.OptOutType.toUpperCase() : '';
  if (type === 'STOP') return 'stop';
  if (type === 'START') return 'start';
  const word = typeof fields.Body === 'string' ? fields.Body.trim().toUpperCase() : '';
  if (STOP_WORDS.has(word)) return 'stop';
  if (START_WORDS.has(word)) return 'start';
  return undefined;
}

export function twilioWebhookRouter(deps: TwilioWebhookDeps): Router {
  const router = express.Router();
  const url = `${deps.publicBaseUrl}/webhooks/twilio`;
  router.post('/webhooks/twilio', express.urlencoded({ extended: false, limit: '64kb' }), async (req: Request, res: Response) => {
    if (!deps.authToken)
      return sendError(res, 503, 'not_configured', 'SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)');
    const signature = req.get('x-twilio-signature') ?? '';
    const fields = (req.body ?? {}) as Record<string, string>;
    if (!signature || !twilio.validateRequest(deps.authToken, signature, url, fields)) {
      deps.log('twilio webhook refused: bad signature', { url });
      return sendError(res, 403, 'bad_signature', `X-Twilio-Signature does not match ${url} and the form fields`);
    }
    const intent = replyIntent(fields);
    const from = fields.From;
    if (intent && isE164(from)) {
      try {
        const found = await deps.stripe.customers.search({ query: `phone:'${from}'` });
        const value = intent === 'stop' ? new Date().toISOString() : '';
        for (const c of found.data) {
          await deps.stripe.customers.update(c.id, { metadata: { [SMS_OPT_OUT_KEY]: value } });
        }
        deps.log(`sms ${intent} recorded`, { from: maskPhone(from), customers: found.data.map((c) => c.id) });
      } catch (err) {
        deps.log('sms opt-out not recorded: Stripe did not answer', { from: maskPhone(from), error: String(err) });
        return sendError(res, 503, 'stripe_unavailable', 'Stripe did not answer; deliver again later');
      }
    }
    res.status(200).type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });
  return router;
}
