import { ApplicationFailure } from '@temporalio/common';
import type { Resend } from 'resend';
import { updateLinkUrl } from '../../src/links/updateLinkToken';
import type { DunningEmailInput } from '../../domain/providerTypes';
import { sendEmail } from './send';
import { pickLocale, renderEmail, templateForCategory, TEMPLATE_NAMES, type TemplateName } from './templates';

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

/** Renders one dunning email (with a fresh signed update link) and sends it through Resend. */
export async function sendDunningEmail(
  resend: Resend,
  settings: EmailSettings,
  input: DunningEmailInput,
  nowMs: number,
): Promise<{ messageId: string; template: TemplateName }> {
  const template = resolveTemplate(input);
  const locale = pickLocale(input.preferredLocales);
  const updateUrl = updateLinkUrl(settings.publicBaseUrl, settings.linkSecret, {
    customerId: input.customerId,
    invoiceId: input.invoiceId,
    exp: Math.floor(nowMs / 1000) + settings.linkTtlDays * 86_400,
    // The bank wants the customer to confirm this payment: the invoice page does that, not the portal.
    purpose: template === 'payment_failed.authentication' ? 'pay' : 'update',
  });
  const { subject, html, text } = renderEmail(template, locale, {
    businessName: settings.businessName,
    customerName: input.customerName,
    amountDue: input.amountDue,
    currency: input.currency,
    invoiceNumber: input.invoiceNumber,
    updateUrl,
    nextRetryAt: input.nextRetryAt,
    endsAt: input.endsAt,
    endAction: input.endAction,
    declineReason: input.declineReason,
    cardBrand: input.cardBrand,
    cardLast4: input.cardLast4,
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
