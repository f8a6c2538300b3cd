/**
 * `/billing/offer/:token`: the last-chance offer's page (domain/offers.ts), behind the offer
 * email's button.
 *
 * As the retry page (retryRoute.ts): GET shows the offer and changes nothing (link scanners fetch
 * links on their own); only the page's POST, carrying a form field this service issued for this
 * very link (retryCsrf.ts: its MAC covers the token, whose purpose is `offer`), accepts it, through
 * the case's Update `offerAccepted` with the field's nonce as the Update's id: a double-click or a
 * replayed POST is one request, applied once, and once the case has ended the page says how.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { DunningClient } from '../dunningClient';
import { updateLinkUrl, verifyLinkToken, type LinkClaims } from '../../activities/links/updateLinkToken';
import { isTemporalUnavailable } from './errors';
import { badLinkPage, expiredLinkPage, pageLocale, unavailablePage } from './linkPages';
import { offerAppliedPage, offerFailedPage, offerNotPossiblePage, offerPage, type OfferPageContext } from './offerPages';
import { checkRetryCsrf, issueRetryCsrf } from './retryCsrf';
import { endedPage, noAnswerPage, noCasePage } from './retryPages';

export interface OfferRouteDeps {
  cases: Pick<DunningClient, 'status' | 'acceptOffer'>;
  linkSecret: string;
  publicBaseUrl: string;
  businessName: string;
  log: (msg: string, meta?: Record<string, unknown>) => void;
}

interface Link {
  token: string;
  claims: LinkClaims;
  ctx: OfferPageContext;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function offerRouter(deps: OfferRouteDeps): Router {
  const router = express.Router();
  const path = '/billing/offer/:token';

  /** The link's claims, or the 400/410 page (a link of another purpose is not valid here). */
  function checkLink(req: Request<{ token: string }>, res: Response): Link | undefined {
    const token = req.params.token;
    const check = verifyLinkToken(deps.linkSecret, token, nowSeconds(), ['offer']);
    if (!check.ok) {
      const locale = pageLocale(req, check.claims?.locale);
      if (check.reason === 'expired') expiredLinkPage(res, locale);
      else badLinkPage(res, locale);
      return undefined;
    }
    const { claims } = check;
    const locale = pageLocale(req, claims.locale);
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
        retryPath: `/billing/offer/${token}`,
        updateUrl: updateLinkUrl(deps.publicBaseUrl, deps.linkSecret, update),
      },
    };
  }

  /** The offer, or why there is none to take. Reads the case; changes nothing. */
  async function showCase(res: Response, link: Link): Promise<void> {
    const { ctx, claims } = link;
    let status;
    try {
      status = await deps.cases.status(claims.invoiceId);
    } catch (err) {
      if (isTemporalUnavailable(err)) return unavailablePage(res, ctx.locale);
      throw err;
    }
    if (!status) return noCasePage(res, ctx);
    if (status.customerId !== claims.customerId) return badLinkPage(res, ctx.locale);
    if (status.state !== 'active') return endedPage(res, ctx, status);
    if (!status.offer) return offerNotPossiblePage(res, ctx, { reason: 'not_offered' });
    if (status.offer.error) return offerNotPossiblePage(res, ctx, { reason: 'failed' });
    offerPage(res, ctx, status, status.offer.offer, issueRetryCsrf(deps.linkSecret, link.token, nowSeconds()));
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
      // A page left open too long is the customer's, not an attack: show the offer again.
      if (csrf.reason === 'expired') return showCase(res, link);
      deps.log('offer refused: bad form', { invoiceId: claims.invoiceId, reason: csrf.reason });
      return badLinkPage(res, ctx.locale);
    }
    let answer;
    try {
      const status = await deps.cases.status(claims.invoiceId);
      if (!status) return noCasePage(res, ctx);
      if (status.customerId !== claims.customerId) {
        deps.log('offer refused: the link is for another customer', { invoiceId: claims.invoiceId });
        return badLinkPage(res, ctx.locale);
      }
      answer = await deps.cases.acceptOffer(claims.invoiceId, csrf.nonce);
    } catch (err) {
      if (!isTemporalUnavailable(err)) throw err;
      deps.log('offer: no answer from Temporal', { invoiceId: claims.invoiceId, error: String(err) });
      // The same nonce again: pressing "try again" is the same request, applied once.
      return noAnswerPage(res, ctx, issueRetryCsrf(deps.linkSecret, link.token, nowSeconds(), csrf.nonce));
    }
    deps.log('offer accepted', {
      invoiceId: claims.invoiceId,
      requestId: csrf.nonce,
      answer: answer.kind === 'outcome' ? answer.outcome.outcome : answer.kind,
    });
    switch (answer.kind) {
      case 'no_case':
        return noCasePage(res, ctx);
      case 'ended':
        return endedPage(res, ctx, answer.status);
      case 'refused':
        return answer.refusal.reason === 'case_over' ? showCase(res, link) : offerNotPossiblePage(res, ctx, answer.refusal);
    }
    const { outcome } = answer;
    switch (outcome.outcome) {
      case 'applied':
        return offerAppliedPage(res, ctx, outcome.offer);
      case 'failed':
        return offerFailedPage(res, ctx);
      case 'not_possible':
        // The case ended (paid, closed) while the offer was on its way: show how.
        return outcome.reason === 'case_over' ? showCase(res, link) : offerNotPossiblePage(res, ctx, outcome);
    }
  });

  return router;
}
