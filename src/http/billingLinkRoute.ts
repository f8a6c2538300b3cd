/**
 * GET /billing/update/:token: the one link in every email. Billing Portal sessions expire within
 * minutes, so the email links here and a fresh session is created on each click. If Stripe cannot
 * make one, the invoice's hosted page is the fallback; a bad or expired link gets a plain page.
 */
import escapeHtml from 'escape-html';
import express, { type Response, type Router } from 'express';
import type Stripe from 'stripe';
import { verifyLinkToken } from '../links/updateLinkToken';
import type { Metrics } from '../metrics';

export interface BillingLinkDeps {
  stripe: Stripe;
  linkSecret: string;
  publicBaseUrl: string;
  businessName: string;
  metrics: Metrics;
  log: (msg: string, meta?: Record<string, unknown>) => void;
}

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>` +
        `<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5"><h1 style="font-size:1.4rem">${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body></html>`,
    );
}

/** A link that is not one of ours (tampered, truncated, garbled). */
export function badLinkPage(res: Response): void {
  page(res, 400, 'This link is not valid', 'Please open the link exactly as it appears in our email, or contact us for a new one.');
}

/** Neither the portal nor the hosted invoice page could be opened: the link itself is fine. */
export function unavailablePage(res: Response): void {
  page(res, 503, 'Please try again in a moment', 'We could not open the payment page just now. Your link is still valid.');
}

export function billingLinkRouter(deps: BillingLinkDeps): Router {
  const router = express.Router();
  router.get('/billing/update/:token', async (req, res) => {
    const check = verifyLinkToken(deps.linkSecret, req.params.token, Math.floor(Date.now() / 1000));
    if (!check.ok) {
      deps.metrics.linkVisits.inc({ result: check.reason });
      if (check.reason === 'expired') {
        return page(res, 410, 'This link has expired', 'Please use the link in our most recent email, or contact us and we will send a new one.');
      }
      return badLinkPage(res);
    }
    const { customerId, invoiceId, purpose } = check.claims;
    const portal = async (): Promise<string | undefined> => {
      try {
        const session = await deps.stripe.billingPortal.sessions.create({
          customer: customerId,
          return_url: `${deps.publicBaseUrl}/billing/done`,
          flow_data: { type: 'payment_method_update' },
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
        ? ([['hosted_invoice', hostedInvoice], ['portal', portal]] as const)
        : ([['portal', portal], ['hosted_invoice', hostedInvoice]] as const);
    for (const [result, open] of order) {
      const url = await open();
      if (url) {
        deps.metrics.linkVisits.inc({ result });
        return res.redirect(302, url);
      }
    }
    deps.metrics.linkVisits.inc({ result: 'unavailable' });
    unavailablePage(res);
  });
  router.get('/billing/done', (_req, res) =>
    page(res, 200, 'Thank you', `Your payment details were updated. ${deps.businessName} will retry the payment shortly.`),
  );
  return router;
}
