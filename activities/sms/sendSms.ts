/**
 * Sends one dunning text through Twilio (or the local sandbox, which speaks the same API), only to
 * a customer who consented, has not opted out and has a valid E.164 number, all read from the
 * Stripe customer at send time, so a consent withdrawn or a STOP meanwhile is honoured.
 *
 * Twilio has no idempotency key, and Temporal runs an activity at least once: an attempt that sent
 * and then died (a killed worker, a lost answer) is followed by another. So every attempt first
 * lists the messages to the number and looks for this step's own one, by the reference the body
 * ends with (domain/sms.ts smsReference), created since the step began; found, it is the answer.
 * Only then is a message created. A crash between Twilio's accepting and the list seeing it is
 * closed by the list reading Twilio's own log (no state of ours that a crash could lose).
 */
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import type twilio from 'twilio';
import { updateLinkUrl } from '../links/updateLinkToken';
import { pickLocale } from '../email/templates/locale';
import { callStripe } from '../stripe/errors';
import { renderSms } from './smsCopy';
import { localTime } from '../../domain/schedule';
import {
  inQuietHours,
  isE164,
  maskPhone,
  readConsent,
  smsReference,
  SMS_CONSENT_KEY,
  SMS_OPT_OUT_KEY,
  type SmsInput,
  type SmsSendResult,
} from '../../domain/sms';

export type TwilioClient = ReturnType<typeof twilio>;

export interface SmsSettings {
  /** TWILIO_FROM: an E.164 sender number, or a Messaging Service SID (`MG…`). */
  from: string;
  businessName: string;
  publicBaseUrl: string;
  linkSecret: string;
  linkTtlDays: number;
  /** TWILIO_PRICE_PER_SEGMENT in millionths of a dollar: the case's cost count. */
  priceMicroUsdPerSegment: number;
}

/** Failure types the case tells apart (`type` of the ApplicationFailure). */
export const SmsFailureType = { Refused: 'TwilioRefused', Unavailable: 'TwilioUnavailable' } as const;

/** How far back a retried attempt looks for its message, before the step began: clocks differ. */
const CLOCK_SKEW_MS = 10 * 60_000;
/** A customer gets a handful of texts; more than this many to one number since the step began is not our case. */
const LIST_LIMIT = 50;

interface TwilioError {
  status?: number;
  code?: number;
  message?: string;
}

const asTwilioError = (err: unknown): TwilioError | undefined =>
  err && typeof err === 'object' && 'status' in err && typeof (err as TwilioError).status === 'number'
    ? (err as TwilioError)
    : undefined;

export async function sendDunningSms(
  stripe: Stripe,
  client: TwilioClient,
  settings: SmsSettings,
  input: SmsInput,
  nowMs: number,
): Promise<SmsSendResult> {
  const customer = await callStripe('retrieve customer', () => stripe.customers.retrieve(input.customerId));
  if ('deleted' in customer && customer.deleted) return { kind: 'skipped', reason: 'customer_deleted' };
  const c = customer as Stripe.Customer;
  if (!c.phone) return { kind: 'skipped', reason: 'no_phone' };
  const phone = c.phone.replace(/[\s().-]/g, '');
  if (!isE164(phone)) return { kind: 'skipped', reason: 'invalid_phone' };

  // An earlier attempt's message first: a STOP or a withdrawn consent after it was sent must not
  // make the case record as unsent a text that went out.
  const reference = smsReference(input.key);
  const started = Date.parse(input.stepStartedAt);
  const stepStart = Number.isNaN(started) ? nowMs : started;
  const earlier = await callTwilio(() => client.messages.list({ to: phone, limit: LIST_LIMIT }));
  const mine = earlier.find(
    (m) =>
      m.direction === 'outbound-api' &&
      m.body.trimEnd().endsWith(` ${reference}`) &&
      m.dateCreated.getTime() >= stepStart - CLOCK_SKEW_MS,
  );
  if (mine) return sent(mine.sid, Number(mine.numSegments), phone, settings, true);

  const consent = readConsent(c.metadata?.[SMS_CONSENT_KEY]);
  if (!consent.given) return { kind: 'skipped', reason: consent.why };
  if (c.metadata?.[SMS_OPT_OUT_KEY]) return { kind: 'skipped', reason: 'opted_out' };
  // Planned outside quiet hours, but the step can begin late (it waits for the email due at the
  // same moment, which may wait for a backlog): read at the step's start, on the case's clock.
  if (input.quiet && inQuietHours(localTime(stepStart, input.quiet.timeZone).hour, input.quiet))
    return { kind: 'skipped', reason: 'quiet_hours' };

  const locale = pickLocale(input.preferredLocales);
  const updateUrl = updateLinkUrl(settings.publicBaseUrl, settings.linkSecret, {
    customerId: input.customerId,
    invoiceId: input.invoiceId,
    // Fixed by the step, so that every attempt renders the same text.
    exp: Math.floor(stepStart / 1000) + settings.linkTtlDays * 86_400,
    locale,
    ...(input.timeZone ? { timeZone: input.timeZone } : {}),
  });
  const body = renderSms(input.template, locale, {
    businessName: settings.businessName,
    amountDue: input.amountDue,
    currency: input.currency,
    invoiceNumber: input.invoiceNumber,
    updateUrl,
    endsAt: input.endsAt,
    timeZone: input.timeZone,
    reference,
  });
  const sender = settings.from.startsWith('MG') ? { messagingServiceSid: settings.from } : { from: settings.from };
  try {
    const message = await client.messages.create({ to: phone, body, ...sender });
    return sent(message.sid, Number(message.numSegments), phone, settings, false);
  } catch (err) {
    const e = asTwilioError(err);
    if (e?.code === 21610) {
      // The number replied STOP to our sender: an opt-out, recorded where every case reads it.
      await callStripe('record sms opt-out', () =>
        stripe.customers.update(input.customerId, { metadata: { [SMS_OPT_OUT_KEY]: new Date(nowMs).toISOString() } }),
      );
      return { kind: 'opted_out', code: 21610 };
    }
    throw toSmsFailure(err);
  }
}

function sent(sid: string, segments: number, phone: string, settings: SmsSettings, reused: boolean): SmsSendResult {
  const n = Number.isFinite(segments) && segments > 0 ? segments : 1;
  return { kind: 'sent', sid, segments: n, costMicroUsd: n * settings.priceMicroUsdPerSegment, to: maskPhone(phone), reused };
}

async function callTwilio<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSmsFailure(err);
  }
}

/** 429, 5xx and network errors are worth another attempt; any other answer of Twilio's is not. */
export function toSmsFailure(err: unknown): unknown {
  const e = asTwilioError(err);
  if (!e) {
    const message = err instanceof Error ? err.message : String(err);
    return ApplicationFailure.retryable(`Twilio unreachable: ${message}`, SmsFailureType.Unavailable);
  }
  const detail = `Twilio ${e.status}${e.code ? ` error ${e.code}` : ''}: ${e.message ?? 'no message'}`;
  if (e.status === 429 || (e.status ?? 0) >= 500) return ApplicationFailure.retryable(detail, SmsFailureType.Unavailable);
  return ApplicationFailure.nonRetryable(detail, SmsFailureType.Refused);
}
