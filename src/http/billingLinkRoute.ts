/**
 * GET /billing/update/:token: the one link in every email. Billing Portal sessions expire within
 * minutes, so the email links here and a session is made when the link is clicked, and reused for
 * the clicks of the next few minutes (src/http/portalSessions.ts). If Stripe cannot
 * make one, the invoice's hosted page is the fallback; a bad or expired link gets a plain page.
 */
import express, { type Router } from 'express';
import type Stripe from 'stripe';
import { verifyLinkToken } from '../../activities/links/updateLinkToken';
import type { Metrics } from '../metrics';
import { brandName } from '../../activities/email/templates/business-name';
import { PortalSessions } from './portalSessions';
import { badLinkPage, expiredLinkPage, pageLocale, sendPage, unavailablePage } from './linkPages';

export interface BillingLinkDeps {
  stripe: Stripe;
  linkSecret: string;
  publicBaseUrl: string;
  businessName: string;
  metrics: Metrics;
  log: (msg: string, meta?: Record<string, unknown>) => void;
  /** Default: sessions kept per link for PORTAL_SESSION_REUSE_MS. */
  portalSessions?: PortalSessions;
}

export function billingLinkRouter(deps: BillingLinkDeps): Router {
  const router = express.Router();
  const sessions = deps.portalSessions ?? new PortalSessions();
  router.get('/billing/update/:token', async (req, res) => {
    // A retry link opens its own confirmation page, never the portal (src/http/retryRoute.ts).
    const check = verifyLinkToken(deps.linkSecret, req.params.token, Math.floor(Date.now() / 1000), ['update', 'pay']);
    if (!check.ok) {
      deps.metrics.linkVisits.inc({ result: check.reason });
      const locale = pageLocale(req, check.claims?.locale);
      return check.reason === 'expired' ? expiredLinkPage(res, locale) : badLinkPage(res, locale);
    }
    const { customerId, invoiceId, purpose, locale } = check.claims;
    const portal = (): Promise<string | undefined> => sessions.url(req.params.token, newPortalSession);
    const newPortalSession = async (): Promise<string | undefined> => {
      try {
        const session = await deps.stripe.billingPortal.sessions.create({
          customer: customerId,
          // The language of the email that carried the link (every email locale is a portal one).
          ...(locale ? { locale } : {}),
          // The thank-you page once the card is saved, and only then; a customer who leaves
          // without saving comes back to a page that says nothing changed.
          return_url: `${deps.publicBaseUrl}/billing/left`,
          flow_data: {
            type: 'payment_method_update',
            after_completion: { type: 'redirect', redirect: { return_url: `${deps.publicBaseUrl}/billing/done` } },
          },
        });
        return session.url;
      } catch (err) {
        deps.log('billing portal session failed', { customerId, error: String(err) });
        return undefined;
      }
    };
    const hostedInvoice = async (): Promise<string | undefined> => {
      try {
        return (await deps.stripe.invoices.retrieve(invoiceId)).hosted_invoice_url ?? undefined;
      } catch (err) {
        deps.log('hosted invoice page unavailable', { invoiceId, error: String(err) });
        return undefined;
      }
    };
    // Each is the other's fallback: an update link prefers the portal, a "confirm payment" link
    // (3-D Secure) the invoice page, where the bank's challenge runs.
    const order =
      purpose === 'pay'
        ? ([
            ['hosted_invoice', hostedInvoice],
            ['portal', portal],
          ] as const)
        : ([
            ['portal', portal],
            ['hosted_invoice', hostedInvoice],
          ] as const);
    for (const [result, open] of order) {
      const url = await open();
      if (url) {
        deps.metrics.linkVisits.inc({ result });
        return res.redirect(302, url);
      }
    }
    deps.metrics.linkVisits.inc({ result: 'unavailable' });
    unavailablePage(res, pageLocale(req, locale));
  });
  router.get('/billing/left', (_req, res) =>
    sendPage(res, 200, 'en', {
      title: 'Nothing was changed',
      paragraphs: [
        `Your payment details were not changed. The link in our email works again whenever you are ready to update them for your ${subscriptionOf(deps.businessName)}.`,
      ],
    }),
  );
  router.get('/billing/done', (_req, res) =>
    sendPage(res, 200, 'en', {
      title: 'Thank you',
      paragraphs: [`Your payment details were updated. We will retry your ${subscriptionOf(deps.businessName)} payment shortly.`],
    }),
  );
  return router;
}

/** "Acme subscription" with a business name, "subscription" with the default description. */
const subscriptionOf = (businessName: string): string => {
  const brand = brandName(businessName);
  return brand ? `${brand} subscription` : 'subscription';
};
