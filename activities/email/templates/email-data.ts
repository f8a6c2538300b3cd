/** What a caller knows about a case when it asks for an email. Plain data: it crosses activity boundaries. */
import type { EndAction } from '../../../domain/policy';

/** The languages we have copy for. */
export const EMAIL_LOCALES = ['en', 'vi'] as const;
export type EmailLocale = (typeof EMAIL_LOCALES)[number];

/** The policy's last step, as the customer will experience it. */
export type { EndAction };

export interface EmailData {
  /** Sender's product or company name, from configuration (trusted, still escaped). */
  businessName: string;
  supportEmail?: string;
  /** From the Stripe customer: untrusted, escaped and flattened to one line. */
  customerName?: string;
  /** Minor units of `currency` (ISO 4217, any case): 1999 'usd' = $19.99, 50000 'vnd' = ₫50,000. */
  amountDue: number;
  currency: string;
  invoiceNumber?: string;
  /** The update button: the signed `/billing/update/:token` link. Must be absolute http(s). */
  updateUrl: string;
  /**
   * "Retry my payment now": the signed `/billing/retry/:token` link, set only when a retry with the
   * same card can succeed (the decline category says so). Templates where it has no place (a hard
   * decline, authentication, a closed case) leave it out. Must be absolute http(s).
   */
  retryUrl?: string;
  /** ISO-8601: when the next automatic attempt is scheduled. */
  nextRetryAt?: string;
  /** ISO-8601: when `endAction` takes effect (access restricted, subscription cancelled...). */
  endsAt?: string;
  endAction?: EndAction;
  /** Short machine reason, e.g. `expired_card`, `insufficient_funds`; unknown ones read as a generic decline. */
  declineReason?: string;
  cardBrand?: string;
  cardLast4?: string;
  /** IANA zone used to format dates; UTC when absent or unknown. */
  timeZone?: string;
}
