/**
 * The pages of the last-chance offer (`/billing/offer/:token`): the offer, what accepting it did,
 * and why it cannot be taken. A case that is over shows the retry pages' ended page (its outcome,
 * `saved_by_offer` included: a used link says the offer is in place).
 */
import type { Response } from 'express';
import { emailLabels, offerDescription } from '../../activities/email/templates';
import { formatAmount } from '../../activities/email/templates/format';
import type { Offer, OfferNotPossible } from '../../domain/offers';
import type { DunningStatus } from '../../domain/types';
import { LINK_PAGE_COPY } from './linkPageCopy';
import { sendPage } from './linkPages';
import type { RetryPageContext } from './retryPages';

/** As the retry pages' context; `retryPath` is this page's own path, where the form POSTs. */
export type OfferPageContext = RetryPageContext;

const copyOf = (ctx: OfferPageContext) => LINK_PAGE_COPY[ctx.locale].offer;
const useDifferentCard = (ctx: OfferPageContext) => ({ text: emailLabels(ctx.locale).useDifferentCard, href: ctx.updateUrl });

/** The offer, the unpaid amount and one button; a GET shows it and changes nothing. */
export function offerPage(res: Response, ctx: OfferPageContext, status: DunningStatus, offer: Offer, csrf: string): void {
  const c = copyOf(ctx).confirm;
  const what = offerDescription(ctx.locale, offer);
  sendPage(res, 200, ctx.locale, {
    title: c.title,
    paragraphs: [
      c.intro(what, { business: ctx.businessName, amount: formatAmount(status.amountDue, status.currency, ctx.locale) }),
      c.invoice,
      c.note,
    ],
    details: [
      { label: c.offer, value: what },
      { label: c.amount, value: formatAmount(status.amountDue, status.currency, ctx.locale) },
    ],
    form: { action: ctx.retryPath, fields: { csrf }, button: c.button },
    links: [useDifferentCard(ctx)],
  });
}

export function offerAppliedPage(res: Response, ctx: OfferPageContext, offer: Offer): void {
  const c = copyOf(ctx).applied;
  sendPage(res, 200, ctx.locale, { title: c.title, paragraphs: [c.body[offer.kind]] });
}

export function offerFailedPage(res: Response, ctx: OfferPageContext): void {
  const { title, body } = copyOf(ctx).failed;
  sendPage(res, 200, ctx.locale, { title, paragraphs: [body], links: [useDifferentCard(ctx)] });
}

export function offerNotPossiblePage(res: Response, ctx: OfferPageContext, refusal: Pick<OfferNotPossible, 'reason'>): void {
  if (refusal.reason === 'case_over') throw new Error('a case that is over shows its outcome (endedPage)');
  const c = copyOf(ctx).notPossible;
  sendPage(res, 200, ctx.locale, {
    title: c.title,
    paragraphs: [c.reasons[refusal.reason]],
    links: refusal.reason === 'processing' ? [] : [useDifferentCard(ctx)],
  });
}
