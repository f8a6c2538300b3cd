import { ApplicationFailure } from '@temporalio/common';
import type { Resend } from 'resend';
import { offerLinkUrl, retryLinkUrl, updateLinkUrl } from '../links/updateLinkToken';
import { isRetryableCategory } from '../../domain/declines';
import type { DunningEmailInput } from '../../domain/providerTypes';
import { sendEmail } from './send';
import { pickLocale, renderEmail, templateForCategory, TEMPLATE_NAMES, type EmailLocale, type TemplateName } from './templates';

export interface EmailSettings {
  from: string;
  replyTo?: string;
  businessName: string;
  publicBaseUrl: string;
  linkSecret: string;
  linkTtlDays: number;
}

/** Which template a step asks for: `payment_failed` means the variant for the decline category. */
export function resolveTemplate(input: Pick<DunningEmailInput, 'template' | 'declineCategory'>): TemplateName {
  if (input.template === 'payment_failed') return templateForCategory(input.declineCategory);
  if ((TEMPLATE_NAMES as readonly string[]).includes(input.template)) return input.template as TemplateName;
  // A policy naming a template we do not have: no retry will make it exist.
  throw ApplicationFailure.nonRetryable(`unknown email template ${input.template}`, 'EmailUnknownTemplate');
}

/**
 * The email's signed links: the update link (a "confirm payment" link for authentication), and the
 * customer's own retry where a retry with the same card can succeed (insufficient funds, temporary,
 * unknown; the templates of a closed case leave it out). Both carry the customer's language and
 * time zone, so the pages behind them speak as the email does.
 */
export function emailLinks(
  settings: Pick<EmailSettings, 'publicBaseUrl' | 'linkSecret' | 'linkTtlDays'>,
  input: Pick<DunningEmailInput, 'customerId' | 'invoiceId' | 'declineCategory' | 'timeZone'>,
  template: TemplateName,
  locale: EmailLocale,
  nowMs: number,
): { updateUrl: string; retryUrl?: string; offerUrl?: string } {
  const claims = {
    customerId: input.customerId,
    invoiceId: input.invoiceId,
    exp: Math.floor(nowMs / 1000) + settings.linkTtlDays * 86_400,
    locale,
    ...(input.timeZone ? { timeZone: input.timeZone } : {}),
  };
  const updateUrl = updateLinkUrl(settings.publicBaseUrl, settings.linkSecret, {
    ...claims,
    // The bank wants the customer to confirm this payment: the invoice page does that, not the portal.
    purpose: template === 'payment_failed.authentication' ? 'pay' : 'update',
  });
  // The last-chance offer's email leads to the offer's page (and the update link beside it).
  if (template === 'last_chance_offer')
    return { updateUrl, offerUrl: offerLinkUrl(settings.publicBaseUrl, settings.linkSecret, claims) };
  if (!isRetryableCategory(input.declineCategory)) return { updateUrl };
  return { updateUrl, retryUrl: retryLinkUrl(settings.publicBaseUrl, settings.linkSecret, claims) };
}

/**
 * When the email's links were issued: the case's time, fixed for the step, so that every try
 * renders the same body. `nowMs` (this try's clock) only for inputs scheduled before cases sent it.
 */
export function linkIssueTime(input: Pick<DunningEmailInput, 'issuedAt'>, nowMs: number): number {
  const issued = input.issuedAt === undefined ? Number.NaN : Date.parse(input.issuedAt);
  return Number.isNaN(issued) ? nowMs : issued;
}

/** Renders one dunning email (its links signed as of `linkIssueTime`) and sends it through Resend. */
export async function sendDunningEmail(
  resend: Resend,
  settings: EmailSettings,
  input: DunningEmailInput,
  nowMs: number,
): Promise<{ messageId: string; template: TemplateName }> {
  const template = resolveTemplate(input);
  const locale = pickLocale(input.preferredLocales);
  const { updateUrl, retryUrl, offerUrl } = emailLinks(settings, input, template, locale, linkIssueTime(input, nowMs));
  const { subject, html, text } = renderEmail(template, locale, {
    businessName: settings.businessName,
    customerName: input.customerName,
    amountDue: input.amountDue,
    currency: input.currency,
    invoiceNumber: input.invoiceNumber,
    updateUrl,
    retryUrl,
    offerUrl,
    offer: input.offer,
    nextRetryAt: input.nextRetryAt,
    endsAt: input.endsAt,
    endAction: input.endAction,
    declineReason: input.declineReason,
    cardBrand: input.cardBrand,
    cardLast4: input.cardLast4,
    ...(input.chargedOtherCard ? { chargedOtherCard: true as const } : {}),
    timeZone: input.timeZone,
  });
  const { messageId } = await sendEmail(resend, {
    to: input.to,
    from: settings.from,
    replyTo: settings.replyTo,
    subject,
    html,
    text,
    tags: [
      { name: 'invoice_id', value: input.invoiceId },
      { name: 'template', value: template },
    ],
    idempotencyKey: input.idempotencyKey,
  });
  return { messageId, template };
}
