import type { EmailContent, Facts } from './content';
import { en } from './copy-en';
import { vi } from './copy-vi';
import { reasonKey } from './decline-reasons';
import type { EmailData, EmailLocale } from './email-data';
import { cardBrandName, formatAmount, formatDate } from './format';
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
export { pickLocale } from './locale';

const COPY = { en, vi } as const;

// Templates written after the retries are over: a next attempt would be misleading there.
const CLOSED: ReadonlySet<TemplateName> = new Set(['payment_recovered', 'subscription_ended']);

function toFacts(locale: EmailLocale, data: EmailData): Facts {
  const optional = (v: string | undefined) => (v ? singleLine(v) || undefined : undefined);
  const last4 = data.cardLast4?.trim();
  return {
    business: singleLine(data.businessName, 120),
    customerName: optional(data.customerName),
    amount: formatAmount(data.amountDue, data.currency, locale),
    invoice: optional(data.invoiceNumber),
    cardBrand: optional(cardBrandName(data.cardBrand)),
    // Anything but four digits is not a last4 we can vouch for.
    cardLast4: last4 && /^\d{4}$/.test(last4) ? last4 : undefined,
    nextRetry: formatDate(data.nextRetryAt, locale, data.timeZone),
    endsAt: formatDate(data.endsAt, locale, data.timeZone),
    endAction: data.endAction,
    reason: reasonKey(data.declineReason),
    supportEmail: optional(data.supportEmail),
  };
}

export function renderEmail(name: TemplateName, locale: EmailLocale, data: EmailData): { subject: string; html: string; text: string } {
  const copy = COPY[locale];
  const facts = toFacts(locale, data);
  const body = copy.templates[name](facts, httpUrl(data.updateUrl));
  const { labels } = copy;
  const card = copy.cardLabel(facts);
  const closed = CLOSED.has(name);

  const details = [{ label: name === 'payment_recovered' ? labels.amountPaid : labels.amountDue, value: facts.amount }];
  if (facts.invoice) details.push({ label: labels.invoice, value: facts.invoice });
  if (card) details.push({ label: labels.paymentMethod, value: card });
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
    signoff: copy.signoff(facts.business),
    footer: copy.footer(facts),
  };
  return { subject: content.subject, html: renderHtml(content), text: renderText(content) };
}
