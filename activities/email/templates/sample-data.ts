import type { EmailData, EmailLocale } from './email-data';
import type { TemplateName } from './template-names';

/**
 * Fixed, realistic data for every template: the preview CLI renders it and the golden tests pin
 * it. Each locale gets its own currency and time zone so both number and date formats are covered.
 * The update URL carries a query string so golden files show `&` escaped in attributes. The retry
 * button is in the samples whose decline a retry with the same card can get past (as the email
 * activity decides: insufficient funds, temporary, unknown), absent after a hard decline.
 */

/** What does not depend on the locale: the same business, invoice, link, dates and card in every language. */
const SHARED = {
  businessName: 'Acme Analytics',
  invoiceNumber: 'INV-2025-0042',
  updateUrl: 'https://billing.acme.example/billing/update/tok_sample123?utm_source=email&utm_medium=dunning',
  nextRetryAt: '2025-03-14T15:00:00Z',
  endsAt: '2025-03-28T15:00:00Z',
  endAction: 'cancel_subscription',
  cardBrand: 'visa',
  cardLast4: '4242',
} satisfies Partial<EmailData>;

const BASE: Record<EmailLocale, EmailData> = {
  en: {
    supportEmail: 'billing@acme.example',
    customerName: 'Jane Doe',
    amountDue: 4900,
    currency: 'usd',
    ...SHARED,
    timeZone: 'America/New_York',
  },
  vi: {
    supportEmail: 'hotro@acme.example',
    customerName: 'Nguyễn Thị Lan',
    amountDue: 499000,
    currency: 'vnd',
    ...SHARED,
    timeZone: 'Asia/Ho_Chi_Minh',
  },
};

const RETRY_URL = 'https://billing.acme.example/billing/retry/tok_sample456';

const PER_TEMPLATE: Record<TemplateName, Partial<EmailData>> = {
  'payment_failed.insufficient_funds': { declineReason: 'insufficient_funds', retryUrl: RETRY_URL },
  'payment_failed.card_invalid': { declineReason: 'expired_card', nextRetryAt: undefined },
  'payment_failed.authentication': { declineReason: 'authentication_required', nextRetryAt: undefined },
  'payment_failed.generic': { declineReason: 'processing_error', retryUrl: RETRY_URL },
  reminder: { declineReason: 'insufficient_funds', retryUrl: RETRY_URL },
  final_notice: { declineReason: 'insufficient_funds', nextRetryAt: undefined, retryUrl: RETRY_URL },
  last_chance_offer: {
    declineReason: 'insufficient_funds',
    nextRetryAt: undefined,
    offer: { kind: 'coupon', coupon: 'STAY50', percentOff: 50, months: 3 },
    offerUrl: 'https://billing.acme.example/billing/offer/tok_sample789',
  },
  new_card_declined: { declineReason: 'incorrect_cvc', cardBrand: 'mastercard', cardLast4: '5555' },
  payment_recovered: { nextRetryAt: undefined, endsAt: undefined, endAction: undefined },
  subscription_ended: { nextRetryAt: undefined },
  card_expiring: {
    invoiceNumber: undefined,
    nextRetryAt: undefined,
    endsAt: undefined,
    endAction: undefined,
    cardExpMonth: 3,
    cardExpYear: 2025,
    renewsAt: '2025-04-02T15:00:00Z',
  },
};

export function sampleEmailData(name: TemplateName, locale: EmailLocale): EmailData {
  return { ...BASE[locale], ...PER_TEMPLATE[name] };
}
