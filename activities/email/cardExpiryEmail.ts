/**
 * The reminder before a card expires (domain/cardExpiry.ts): the `card_expiring` template in the
 * customer's language, with the same signed update link as every dunning email (it opens a fresh
 * Billing Portal session when clicked). No retry link: nothing has failed.
 */
import type { Resend } from 'resend';
import { updateLinkUrl } from '../links/updateLinkToken';
import type { CardExpiryEmailInput } from '../../domain/cardExpiry';
import type { EmailSettings } from './dunningEmail';
import { sendEmail } from './send';
import { pickLocale, renderEmail } from './templates';

export const CARD_EXPIRING_TEMPLATE = 'card_expiring' as const;

export async function sendCardExpiryEmail(
  resend: Resend,
  settings: EmailSettings,
  input: CardExpiryEmailInput,
): Promise<{ messageId: string }> {
  const locale = pickLocale(input.preferredLocales);
  const issued = Date.parse(input.issuedAt);
  const updateUrl = updateLinkUrl(settings.publicBaseUrl, settings.linkSecret, {
    customerId: input.customerId,
    invoiceId: input.invoiceId,
    exp: Math.floor(issued / 1000) + settings.linkTtlDays * 86_400,
    locale,
    ...(input.timeZone ? { timeZone: input.timeZone } : {}),
  });
  const { subject, html, text } = renderEmail(CARD_EXPIRING_TEMPLATE, locale, {
    businessName: settings.businessName,
    customerName: input.customerName,
    amountDue: input.amount,
    currency: input.currency,
    updateUrl,
    cardBrand: input.card.brand,
    cardLast4: input.card.last4,
    cardExpMonth: input.card.expMonth,
    cardExpYear: input.card.expYear,
    renewsAt: input.renewsAt,
    timeZone: input.timeZone,
  });
  // No invoice_id tag: a bounce of this email concerns no case (src/http/resendEvents.ts).
  return sendEmail(resend, {
    to: input.to,
    from: settings.from,
    replyTo: settings.replyTo,
    subject,
    html,
    text,
    tags: [
      { name: 'template', value: CARD_EXPIRING_TEMPLATE },
      { name: 'payment_method_id', value: input.card.paymentMethodId },
    ],
    idempotencyKey: input.idempotencyKey,
  });
}
