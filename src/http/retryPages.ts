/**
 * The pages of the customer's own retry (`/billing/retry/:token`): the confirmation, and what a
 * retry came to. Built from the case's status and the Update's answer, in the customer's language.
 */
import type { Response } from 'express';
import { cardLabel, declineReasonText, emailLabels, type EmailLocale } from '../../activities/email/templates';
import { formatAmount, formatDateTime } from '../../activities/email/templates/format';
import type { DunningStatus, RetryNotPossible, RetryOutcome } from '../../domain/types';
import { LINK_PAGE_COPY, type PageFacts } from './linkPageCopy';
import { sendPage } from './linkPages';

/** What every retry page knows: the customer's language and clock, where the buttons lead. */
export interface RetryPageContext {
  locale: EmailLocale;
  timeZone?: string;
  businessName: string;
  /** This page's own path (`/billing/retry/<token>`), where the form POSTs. */
  retryPath: string;
  /** "Use a different card": the update link for the same customer and invoice. */
  updateUrl: string;
}

const copyOf = (ctx: RetryPageContext) => LINK_PAGE_COPY[ctx.locale].retry;
const useDifferentCard = (ctx: RetryPageContext) => ({ text: emailLabels(ctx.locale).useDifferentCard, href: ctx.updateUrl });

function facts(ctx: RetryPageContext, status?: DunningStatus, retryAt?: string): PageFacts {
  return {
    business: ctx.businessName,
    amount: status ? formatAmount(status.amountDue, status.currency, ctx.locale) : '',
    card: status?.card ? cardLabel(ctx.locale, status.card.brand, status.card.last4) : undefined,
    when: formatDateTime(retryAt, ctx.locale, ctx.timeZone),
  };
}

/** The amount, the card and one button; a GET shows it and never charges. */
export function confirmationPage(res: Response, ctx: RetryPageContext, status: DunningStatus, csrf: string, stale = false): void {
  const c = copyOf(ctx).confirm;
  const f = facts(ctx, status);
  sendPage(res, 200, ctx.locale, {
    title: c.title,
    paragraphs: [...(stale ? [c.staleForm] : []), c.intro(f), c.note],
    details: [{ label: c.amount, value: f.amount }, ...(f.card ? [{ label: c.card, value: f.card }] : [])],
    form: { action: ctx.retryPath, fields: { csrf }, button: emailLabels(ctx.locale).retryNow },
    links: [useDifferentCard(ctx)],
  });
}

/** The case is over: its outcome, never a button that charges. */
export function endedPage(res: Response, ctx: RetryPageContext, status: DunningStatus): void {
  if (status.state === 'active') return notPossiblePage(res, ctx, { reason: 'busy' });
  if (status.state === 'processing') return notPossiblePage(res, ctx, { reason: 'processing' });
  const { title, body } = copyOf(ctx).ended[status.state];
  sendPage(res, 200, ctx.locale, {
    title,
    paragraphs: [body],
    links: status.state === 'exhausted' ? [useDifferentCard(ctx)] : [],
  });
}

export function notPossiblePage(
  res: Response,
  ctx: RetryPageContext,
  refusal: Pick<RetryNotPossible, 'reason' | 'retryAt'>,
): void {
  if (refusal.reason === 'case_over') throw new Error('a case that is over shows its outcome (endedPage)');
  const c = copyOf(ctx).notPossible;
  sendPage(res, 200, ctx.locale, {
    title: c.title,
    paragraphs: [c.reasons[refusal.reason](facts(ctx, undefined, refusal.retryAt))],
    links: refusal.reason === 'busy' || refusal.reason === 'processing' ? [] : [useDifferentCard(ctx)],
  });
}

/** What the charge did: paid, or declined again (with the bank's reason in plain words). */
/** The customer's retry was accepted as a bank debit: it settles in days. */
export function processingPage(res: Response, ctx: RetryPageContext): void {
  const { title, body } = copyOf(ctx).processing;
  sendPage(res, 200, ctx.locale, { title, paragraphs: [body] });
}

export function chargedPage(
  res: Response,
  ctx: RetryPageContext,
  outcome: Extract<RetryOutcome, { outcome: 'succeeded' | 'declined' }>,
): void {
  const c = copyOf(ctx);
  if (outcome.outcome === 'succeeded') {
    return sendPage(res, 200, ctx.locale, { title: c.succeeded.title, paragraphs: [c.succeeded.body] });
  }
  sendPage(res, 200, ctx.locale, {
    title: c.declined.title,
    paragraphs: [declineReasonText(ctx.locale, outcome.declineCode), c.declined.next],
    links: [useDifferentCard(ctx)],
  });
}

export function noCasePage(res: Response, ctx: RetryPageContext): void {
  const { title, body } = copyOf(ctx).noCase;
  sendPage(res, 404, ctx.locale, { title, paragraphs: [body] });
}

/** No answer in time: the same request (same nonce) may be sent again, and is still one charge. */
export function noAnswerPage(res: Response, ctx: RetryPageContext, csrf: string): void {
  const { title, body, button } = copyOf(ctx).noAnswer;
  sendPage(res, 503, ctx.locale, { title, paragraphs: [body], form: { action: ctx.retryPath, fields: { csrf }, button } });
}
