/**
 * `/billing/retry/:token`: the email's "Retry my payment now", with the same card.
 *
 * GET shows a confirmation page (amount, card, one button) and never charges: link scanners and
 * mail clients fetch the links in an email on their own, and a GET that charged would charge the
 * customer without asking. Only the page's POST charges, through the case's Update
 * `retryRequested` (the case decides: its cooldown, the card's network budget, a hard decline),
 * and the page then shows what the charge did.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { DunningClient } from '../dunningClient';
import { createLinkToken, updateLinkUrl, verifyLinkToken, type LinkClaims } from '../../activities/links/updateLinkToken';
import { isTemporalUnavailable } from './errors';
import { badLinkPage, expiredLinkPage, pageLocale, unavailablePage } from './linkPages';
import { checkRetryCsrf, issueRetryCsrf } from './retryCsrf';
import {
  chargedPage,
  processingPage,
  confirmationPage,
  endedPage,
  noAnswerPage,
  noCasePage,
  notPossiblePage,
  type RetryPageContext,
} from './retryPages';

export interface RetryRouteDeps {
  cases: Pick<DunningClient, 'status' | 'requestRetry'>;
  linkSecret: string;
  publicBaseUrl: string;
  businessName: string;
  log: (msg: string, meta?: Record<string, unknown>) => void;
}

interface Link {
  token: string;
  claims: LinkClaims;
  ctx: RetryPageContext;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function retryRouter(deps: RetryRouteDeps): Router {
  const router = express.Router();
  const path = '/billing/retry/:token';

  /** The link's claims, or the 400/410 page (a link of another purpose is not valid here). */
  function checkLink(req: Request<{ token: string }>, res: Response): Link | undefined {
    const token = req.params.token;
    const check = verifyLinkToken(deps.linkSecret, token, nowSeconds(), ['retry']);
    if (!check.ok) {
      const locale = pageLocale(req, check.claims?.locale);
      if (check.reason === 'expired') expiredLinkPage(res, locale);
      else badLinkPage(res, locale);
      return undefined;
    }
    const { claims } = check;
    const locale = pageLocale(req, claims.locale);
    // "Use a different card" lives as long as the email's own links.
    const update = {
      customerId: claims.customerId,
      invoiceId: claims.invoiceId,
      exp: claims.exp,
      locale,
      timeZone: claims.timeZone,
    };
    return {
      token,
      claims,
      ctx: {
        locale,
        timeZone: claims.timeZone,
        businessName: deps.businessName,
        retryPath: `/billing/retry/${token}`,
        updateUrl: updateLinkUrl(deps.publicBaseUrl, deps.linkSecret, update),
      },
    };
  }

  /** The confirmation page, or why there is nothing to confirm. Reads the case; charges nothing. */
  async function showCase(res: Response, link: Link, stale = false): Promise<void> {
    const { ctx, claims } = link;
    let status;
    try {
      status = await deps.cases.status(claims.invoiceId);
    } catch (err) {
      if (isTemporalUnavailable(err)) return unavailablePage(res, ctx.locale);
      throw err;
    }
    if (!status) return noCasePage(res, ctx);
    // Both are in the signed token; a case of another customer means a link we did not make.
    if (status.customerId !== claims.customerId) return badLinkPage(res, ctx.locale);
    if (status.state !== 'active') return endedPage(res, ctx, status);
    const verdict = status.customerRetry;
    if (verdict && !verdict.allowed) {
      return verdict.reason === 'case_over' ? endedPage(res, ctx, status) : notPossiblePage(res, ctx, verdict);
    }
    confirmationPage(res, ctx, status, issueRetryCsrf(deps.linkSecret, link.token, nowSeconds()), stale);
  }

  router.get(path, async (req, res) => {
    const link = checkLink(req, res);
    if (link) await showCase(res, link);
  });

  router.post(path, express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }), async (req, res) => {
    const link = checkLink(req, res);
    if (!link) return;
    const { ctx, claims } = link;
    const csrf = checkRetryCsrf(
      deps.linkSecret,
      link.token,
      (req.body as Record<string, unknown> | undefined)?.csrf,
      nowSeconds(),
    );
    if (!csrf.ok) {
      // A page left open too long is the customer's, not an attack: show it again to confirm.
      if (csrf.reason === 'expired') return showCase(res, link, true);
      deps.log('customer retry refused: bad form', { invoiceId: claims.invoiceId, reason: csrf.reason });
      return badLinkPage(res, ctx.locale);
    }
    let answer;
    try {
      // The GET's check again: the page's form is no licence to charge a case of another customer.
      const status = await deps.cases.status(claims.invoiceId);
      if (!status) return noCasePage(res, ctx);
      if (status.customerId !== claims.customerId) {
        deps.log('customer retry refused: the link is for another customer', { invoiceId: claims.invoiceId });
        return badLinkPage(res, ctx.locale);
      }
      answer = await deps.cases.requestRetry(claims.invoiceId, csrf.nonce);
    } catch (err) {
      if (!isTemporalUnavailable(err)) throw err;
      deps.log('customer retry: no answer from Temporal', { invoiceId: claims.invoiceId, error: String(err) });
      // The same nonce again: pressing "try again" is the same request, never a second charge.
      return noAnswerPage(res, ctx, issueRetryCsrf(deps.linkSecret, link.token, nowSeconds(), csrf.nonce));
    }
    deps.log('customer retry', {
      invoiceId: claims.invoiceId,
      requestId: csrf.nonce,
      answer: answer.kind === 'outcome' ? answer.outcome.outcome : answer.kind,
      ...(answer.kind === 'refused' ? { reason: answer.refusal.reason } : {}),
    });
    switch (answer.kind) {
      case 'no_case':
        return noCasePage(res, ctx);
      case 'ended':
        return endedPage(res, ctx, answer.status);
      case 'refused':
        return notPossiblePage(res, ctx, answer.refusal);
    }
    const { outcome } = answer;
    switch (outcome.outcome) {
      case 'succeeded':
      case 'declined':
        return chargedPage(res, ctx, outcome);
      case 'processing':
        return processingPage(res, ctx);
      case 'requires_action': {
        // The bank wants the customer to confirm (3-D Secure): on the invoice's hosted page, as the
        // authentication emails do; without its URL, the "confirm payment" link finds it.
        const pay = `/billing/update/${createLinkToken(deps.linkSecret, { ...claims, purpose: 'pay' })}`;
        return res.redirect(303, outcome.hostedInvoiceUrl ?? pay);
      }
      case 'not_possible':
        if (outcome.reason !== 'case_over') return notPossiblePage(res, ctx, outcome);
        // The case ended while the charge was on its way: show how.
        return showCase(res, link);
    }
  });

  return router;
}
