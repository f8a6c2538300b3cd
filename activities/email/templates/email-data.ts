/** What a caller knows about a case when it asks for an email. Plain data: it crosses activity boundaries. */
import type { EndAction } from '../../../domain/policy';
import type { DunningEmailInput } from '../../../domain/providerTypes';

/** The languages we have copy for. */
export { EMAIL_LOCALES, type EmailLocale } from '../../../domain/presentation';

/** The policy's last step, as the customer will experience it. */
export type { EndAction };

/**
 * What a template needs: the case's facts as the email activity gets them (domain/providerTypes.ts
 * DunningEmailInput, defined once there), plus what the activity adds: the business and the links.
 */
export interface EmailData extends Pick<
  DunningEmailInput,
  | 'customerName'
  | 'amountDue'
  | 'currency'
  | 'invoiceNumber'
  | 'nextRetryAt'
  | 'endsAt'
  | 'endAction'
  | 'declineReason'
  | 'cardBrand'
  | 'cardLast4'
  | 'chargedOtherCard'
  | 'timeZone'
  | 'offer'
> {
  /** Sender's product or company name, from configuration (trusted, still escaped). */
  businessName: string;
  supportEmail?: string;
  /** The update button: the signed `/billing/update/:token` link. Must be absolute http(s). */
  updateUrl: string;
  /**
   * "Retry my payment now": the signed `/billing/retry/:token` link, set only when a retry with the
   * same card can succeed (the decline category says so). Templates where it has no place (a hard
   * decline, authentication, a closed case) leave it out. Must be absolute http(s).
   */
  retryUrl?: string;
  /** card_expiring: the card's expiry month and year (it is valid through the end of that month). */
  cardExpMonth?: number;
  cardExpYear?: number;
  /** card_expiring: ISO-8601, the renewal the card would fail on. */
  renewsAt?: string;
  /** The last-chance offer's signed `/billing/offer/:token` page (last_chance_offer only). Absolute http(s). */
  offerUrl?: string;
}
