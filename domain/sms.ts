/**
 * The SMS channel (issue #24, part 2), as pure rules: whose consent counts, which numbers are
 * reachable, what a policy may ask for (a cap per case, quiet hours), and the short reference that
 * lets a retried send find the message it already sent. Twilio carries it out
 * (activities/sms/sendSms.ts); the workflow decides when (workflows/caseSms.ts).
 *
 * Consent and opt-out live on the Stripe customer, in its metadata, as the other-cards consent
 * does: the merchant records consent there (their checkout's checkbox), and the service records a
 * STOP there (POST /webhooks/twilio), so every case of the customer, on every worker, reads one
 * answer, the merchant sees it in the Stripe Dashboard, and there is nothing new to store or back up.
 */
import { readConsent, type Consent } from './otherCards';

/** `true` or the ISO date the customer agreed to billing texts; set by the merchant. */
export const SMS_CONSENT_KEY = 'dunning_sms_consent';
/** The ISO date-time the customer replied STOP (set by POST /webhooks/twilio, or a 21610 answer); cleared by START. */
export const SMS_OPT_OUT_KEY = 'dunning_sms_opt_out';

export type SmsTemplate = 'payment_failed' | 'reminder' | 'final_notice';
export const SMS_TEMPLATES: readonly SmsTemplate[] = ['payment_failed', 'reminder', 'final_notice'];

export { readConsent, type Consent };

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
export function isE164(phone: string | null | undefined): phone is string {
  return typeof phone === 'string' && /^\+[1-9]\d{1,14}$/.test(phone);
}

/** The last four digits, for status and logs: a case's status is no place for the whole number. */
export function maskPhone(phone: string): string {
  return `…${phone.slice(-4)}`;
}

/**
 * A short reference for one step's message, from its idempotency key (`dunning-in_…/sms:reminder@3d`):
 * the message carries it ("Ref K7Q2MX"), and a retried send lists the messages to the number and
 * looks for it before sending again (Twilio has no idempotency key). 6 characters of base 32: one
 * customer's handful of messages never collide by chance. FNV-1a, as workflow code needs no crypto.
 */
export function smsReference(key: string): string {
  const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  for (let i = 0; i < 6; i++) {
    out += ALPHABET[h % 32];
    h = Math.floor(h / 32);
  }
  return out;
}

/** The policy's SMS settings (DunningPolicy.sms). SMS steps are sent only to customers with consent. */
export interface SmsPolicy {
  /** At most this many texts in one case (default 2): a text is an interruption, not a reminder list. */
  maxPerCase?: number;
  /** Local hours in the customer's zone when no text is sent; a due text waits for `end` (default 21 to 8). */
  quietHours?: { start: number; end: number };
}

export const DEFAULT_SMS_MAX_PER_CASE = 2;
export const SMS_MAX_PER_CASE_LIMIT = 10;
export const DEFAULT_QUIET_HOURS = { start: 21, end: 8 } as const;

export function smsPolicyProblems(p: SmsPolicy | undefined, at = 'sms'): string[] {
  if (p === undefined) return [];
  const errors: string[] = [];
  const max = p.maxPerCase;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > SMS_MAX_PER_CASE_LIMIT))
    errors.push(`${at}.maxPerCase: ${String(max)} is not a whole number from 1 to ${SMS_MAX_PER_CASE_LIMIT}`);
  const q = p.quietHours;
  if (q !== undefined) {
    for (const k of ['start', 'end'] as const) {
      if (!Number.isInteger(q[k]) || q[k] < 0 || q[k] > 23)
        errors.push(`${at}.quietHours.${k}: ${String(q[k])} is not an hour 0-23`);
    }
    if (q.start === q.end) errors.push(`${at}.quietHours: start and end are equal: no hour would be allowed, or every one`);
  }
  return errors;
}

/** Is `hour` (0-23, local) inside quiet hours that may wrap past midnight (21 to 8)? */
export function inQuietHours(hour: number, q: { start: number; end: number }): boolean {
  return q.start < q.end ? hour >= q.start && hour < q.end : hour >= q.start || hour < q.end;
}

/** Why a text was not sent; each is a result the case records, not a failure. */
export type SmsSkipReason =
  | 'no_consent'
  | 'consent_unreadable'
  | 'no_phone'
  | 'invalid_phone'
  | 'opted_out'
  | 'cap_reached'
  | 'sms_off'
  | 'customer_deleted'
  /** Due in the customer's night when it finally ran (planned outside quiet hours, then delayed). */
  | 'quiet_hours';

/** What the send activity answers. `reused`: the step's message was found already sent (a retried attempt). */
export type SmsSendResult =
  | { kind: 'sent'; sid: string; segments: number; costMicroUsd: number; to: string; reused: boolean }
  | { kind: 'skipped'; reason: SmsSkipReason }
  /** Twilio refused with 21610: the number had replied STOP; recorded as an opt-out on the customer. */
  | { kind: 'opted_out'; code: 21610 };

/** One text as `status.sms` shows it. */
export interface SmsRecord {
  at: string;
  template: SmsTemplate;
  /** Twilio's message SID when sent. */
  sid?: string;
  /** The number's last four digits. */
  to?: string;
  segments?: number;
  costMicroUsd?: number;
  skipped?: SmsSkipReason;
  error?: string;
}

/** What the case asks the send activity for: everything fixed by the case, so every attempt sends the same text. */
export interface SmsInput {
  /** The step's idempotency key (`dunning-in_…/sms:reminder@3d`); its reference marks the message. */
  key: string;
  template: SmsTemplate;
  customerId: string;
  invoiceId: string;
  amountDue: number;
  currency: string;
  invoiceNumber?: string | null;
  preferredLocales: string[];
  timeZone?: string;
  /** The quiet hours and the zone they are read in (the customer's, else the policy's): checked again when the text goes. */
  quiet?: { start: number; end: number; timeZone: string };
  /** ISO: when the case ends (the final notice's date). */
  endsAt: string;
  /** ISO: when the step began (the case's clock): the link's issue time and the start of the search for an earlier attempt's message. */
  stepStartedAt: string;
}
