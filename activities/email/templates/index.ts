import { brandName } from './business-name';
import type { EmailContent, Facts, LocaleCopy, OfferFacts } from './content';
import { durationMs } from '../../../domain/policy';
import type { Offer } from '../../../domain/offers';
import { en } from './copy-en';
import { vi } from './copy-vi';
import { reasonKey } from './decline-reasons';
import type { EmailData, EmailLocale } from './email-data';
import { cardBrandName, formatAmount, formatDate, formatMonth } from './format';
import { renderHtml } from './html-layout';
import { httpUrl, singleLine } from './sanitize';
import type { TemplateName } from './template-names';
import { renderText } from './text-layout';

/**
 * Dunning emails: one per template name and locale, as subject + HTML + text. Pure and
 * deterministic (no clock, no I/O), so activities can render and tests can compare byte for byte.
 */

export type { EmailData, EmailLocale, EndAction } from './email-data';
export { TEMPLATE_NAMES, templateForCategory, type TemplateName } from './template-names';
export { EMAIL_LOCALES, pickLocale } from './locale';
export { brandName } from './business-name';

const COPY = { en, vi } as const;

/** The button labels of one language: the retry page says "Retry my payment now" as the email does. */
export const emailLabels = (locale: EmailLocale): LocaleCopy['labels'] => COPY[locale].labels;

/** The plain-language sentence for a decline code (`insufficient_funds`, …), as the emails say it. */
export const declineReasonText = (locale: EmailLocale, declineCode: string | undefined): string =>
  COPY[locale].reasons[reasonKey(declineCode) ?? 'generic'];

// Templates written after the retries are over: a next attempt would be misleading there.
const CLOSED: ReadonlySet<TemplateName> = new Set(['payment_recovered', 'subscription_ended']);

const optional = (v: string | undefined) => (v ? singleLine(v) || undefined : undefined);

/** The card as people read it; anything but four digits is not a last4 we can vouch for. */
function cardFacts(brand: string | undefined, last4: string | undefined): Pick<Facts, 'cardBrand' | 'cardLast4'> {
  const digits = last4?.trim();
  return { cardBrand: optional(cardBrandName(brand)), cardLast4: digits && /^\d{4}$/.test(digits) ? digits : undefined };
}

/** "Visa •••• 4242" in the locale's words, as the emails' details table shows it (the retry page too). */
export const cardLabel = (locale: EmailLocale, brand: string | undefined, last4: string | undefined): string | undefined =>
  COPY[locale].cardLabel(cardFacts(brand, last4));

/** The offer as the words need it: a pause's length in whole days. */
function offerFacts(o: Offer): OfferFacts {
  switch (o.kind) {
    case 'pause':
      return { kind: 'pause', days: Math.max(1, Math.round((durationMs(o.for) ?? 0) / 86_400_000)) };
    case 'coupon':
      return { kind: 'coupon', percentOff: o.percentOff, months: o.months };
    case 'downgrade':
      return { kind: 'downgrade', planName: optional(o.planName) };
  }
}

/** "a 30-day pause of your payments", in the locale's words: the email's phrase, on its page too. */
export const offerDescription = (locale: EmailLocale, offer: Offer): string => COPY[locale].offerText(offerFacts(offer));

function toFacts(locale: EmailLocale, data: EmailData): Facts {
  return {
    business: brandName(singleLine(data.businessName, 120)),
    customerName: optional(data.customerName),
    amount: formatAmount(data.amountDue, data.currency, locale),
    invoice: optional(data.invoiceNumber),
    ...cardFacts(data.cardBrand, data.cardLast4),
    ...(data.chargedOtherCard ? { chargedOtherCard: true } : {}),
    nextRetry: formatDate(data.nextRetryAt, locale, data.timeZone),
    endsAt: formatDate(data.endsAt, locale, data.timeZone),
    endAction: data.endAction,
    reason: reasonKey(data.declineReason),
    supportEmail: optional(data.supportEmail),
    cardExpires: formatMonth(data.cardExpMonth, data.cardExpYear, locale),
    renewsOn: formatDate(data.renewsAt, locale, data.timeZone),
    ...(data.offer ? { offer: offerFacts(data.offer) } : {}),
  };
}

export function renderEmail(
  name: TemplateName,
  locale: EmailLocale,
  data: EmailData,
): { subject: string; html: string; text: string } {
  const copy = COPY[locale];
  const facts = toFacts(locale, data);
  const body = copy.templates[name](facts, {
    update: httpUrl(data.updateUrl),
    ...(data.retryUrl ? { retry: httpUrl(data.retryUrl) } : {}),
    ...(data.offerUrl ? { offer: httpUrl(data.offerUrl) } : {}),
  });
  const { labels } = copy;
  const card = copy.cardLabel(facts);
  const closed = CLOSED.has(name);

  const amountLabel =
    name === 'payment_recovered' ? labels.amountPaid : name === 'card_expiring' ? labels.nextPayment : labels.amountDue;
  const details = [{ label: amountLabel, value: facts.amount }];
  if (facts.invoice) details.push({ label: labels.invoice, value: facts.invoice });
  if (card) details.push({ label: labels.paymentMethod, value: card });
  if (name === 'card_expiring' && facts.cardExpires) details.push({ label: labels.cardExpires, value: facts.cardExpires });
  if (facts.nextRetry && !closed) details.push({ label: labels.nextRetry, value: facts.nextRetry });

  const first = body.intro[0];
  const content: EmailContent = {
    ...body,
    subject: singleLine(body.subject, 200),
    lang: locale,
    preheader: typeof first === 'string' ? first : '',
    greeting: copy.greeting(facts.customerName),
    details,
    linkFallback: labels.linkFallback,
    linksFallback: labels.linksFallback,
    signoff: copy.signoff(facts.business),
    footer: copy.footer(facts),
  };
  return { subject: content.subject, html: renderHtml(content), text: renderText(content) };
}
