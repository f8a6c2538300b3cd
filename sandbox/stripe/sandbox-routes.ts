import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { SandboxBilling } from './billing';
import { StripeApiError, invalidRequest } from './errors';
import type { FaultInjector } from './faults';
import { optionalString, parseFormParams } from './form-params';
import { hostedInvoicePage, notFoundPage, portalDonePage, portalPage } from './pages';
import { eventCustomer, type SandboxData } from './state';
import { type SandboxWebhookEndpoint, webhookEndpointSettingsSchema } from './webhook-endpoint';
import type { WebhookSender } from './webhooks';

export interface SandboxRouteDeps {
  billing: SandboxBilling;
  data: SandboxData;
  faults: FaultInjector;
  webhooks: WebhookSender;
  changed: () => void;
  webhookEndpoint?: SandboxWebhookEndpoint;
}

const declineFields = {
  code: z.string().optional(),
  declineCode: z.string().optional(),
  adviceCode: z.string().optional(),
  networkDeclineCode: z.string().optional(),
  networkAdviceCode: z.string().optional(),
  message: z.string().optional(),
};

export const cardBehaviourSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('succeed') }).strict(),
  z.object({ outcome: z.literal('decline'), ...declineFields }).strict(),
  z.object({ outcome: z.literal('require_authentication') }).strict(),
  z.object({ outcome: z.literal('processing') }).strict(),
]);

/** The bank's later answer to a debit (ACH, SEPA) that is processing. */
const settleSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('succeed') }).strict(),
  z.object({ outcome: z.literal('fail'), code: z.string().optional(), message: z.string().optional() }).strict(),
]);

export const scenarioSchema = z
  .object({
    email: z.string().email(),
    name: z.string().optional(),
    preferredLocales: z.array(z.string()).optional(),
    timeZone: z.string().optional(),
    amount: z.number().int().positive(),
    currency: z.string().regex(/^[A-Za-z]{3}$/),
    decline: z
      .union([
        z.string(),
        z.object({ ...declineFields, brand: z.enum(['visa', 'mastercard', 'amex', 'discover']).optional() }).strict(),
      ])
      .optional(),
    planName: z.string().optional(),
    webhooks: z.boolean().optional(),
    ownCards: z.boolean().optional(),
    signup: z.boolean().optional(),
    smartRetries: z
      .union([
        z.boolean(),
        z.object({ attempts: z.number().int().min(2).max(8), intervalSeconds: z.number().int().positive().optional() }).strict(),
      ])
      .optional(),
    subscriptionCard: z.object({ customerDefault: z.string() }).strict().optional(),
    customerMetadata: z.record(z.string().max(500)).optional(),
    phone: z.string().max(40).optional(),
    savedCards: z.array(z.string()).max(10).optional(),
    customerId: z.string().optional(),
  })
  .strict();

export const activeSubscriptionSchema = z
  .object({
    email: z.string().email(),
    name: z.string().optional(),
    preferredLocales: z.array(z.string()).optional(),
    timeZone: z.string().optional(),
    amount: z.number().int().positive(),
    currency: z.string().regex(/^[A-Za-z]{3}$/),
    planName: z.string().optional(),
    card: z.string().optional(),
    cardExpires: z
      .object({ month: z.number().int().min(1).max(12), year: z.number().int().min(2000).max(2100) })
      .strict()
      .optional(),
    renewsInDays: z.number().positive().max(400).optional(),
    subscriptionCard: z.boolean().optional(),
    webhooks: z.boolean().optional(),
  })
  .strict();

const automaticUpdateSchema = z
  .object({ expMonth: z.number().int().min(1).max(12).optional(), expYear: z.number().int().min(2000).max(2100).optional() })
  .strict();

const attachSchema = z
  .object({ testPaymentMethod: z.string(), makeDefault: z.boolean().optional(), expired: z.boolean().optional() })
  .strict();

const faultStatus = z.union([z.literal(429), z.literal(500), z.literal(503)]);
const validRegex = (s: string) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
};
/** The next `count` matching requests fail. */
const countedFaultSchema = z
  .object({
    pathPattern: z.string().min(1).refine(validRegex, 'not a regular expression'),
    status: faultStatus,
    count: z.number().int().positive(),
    shouldRetry: z.boolean().optional(),
  })
  .strict();
/** For `durationMs`, a fraction `rate` (default all) of the matching requests fail: a storm, or an outage. */
const timedFaultSchema = z
  .object({
    pathPattern: z.string().min(1).refine(validRegex, 'not a regular expression').optional(),
    status: z.union([faultStatus, z.literal('reset')]),
    rate: z.number().gt(0).lte(1).optional(),
    durationMs: z.number().int().positive(),
    shouldRetry: z.boolean().optional(),
  })
  .strict();
const faultSchema = z.union([countedFaultSchema, timedFaultSchema]);

/**
 * `/_sandbox/...`: what a demo CLI (another process) needs to drive the sandbox over HTTP, plus the
 * pages Stripe would host (Billing Portal, hosted invoice page). JSON in and out; errors use
 * Stripe's error envelope.
 */
export function sandboxRouter(deps: SandboxRouteDeps): express.Router {
  const router = express.Router();
  const { billing } = deps;

  router.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  router.post('/scenarios/failed-invoice', (req, res) =>
    jsonRoute(res, deps, () => [201, billing.createFailedInvoiceScenario(parse(scenarioSchema, req))]),
  );

  router.post('/scenarios/active-subscription', (req, res) =>
    jsonRoute(res, deps, () => [201, billing.createActiveSubscriptionScenario(parse(activeSubscriptionSchema, req))]),
  );

  router.post('/payment_methods/:id/automatic_update', (req, res) =>
    jsonRoute(res, deps, () => {
      const pm = billing.automaticallyUpdateCard(req.params.id ?? '', parse(automaticUpdateSchema, req));
      return [200, { id: pm.id, expMonth: pm.card?.exp_month, expYear: pm.card?.exp_year }];
    }),
  );

  router.post('/payment_methods/:id/behaviour', (req, res) =>
    jsonRoute(res, deps, () => {
      const behaviour = parse(cardBehaviourSchema, req);
      billing.setBehaviour(req.params.id ?? '', behaviour);
      return [200, { id: req.params.id, behaviour }];
    }),
  );

  router.post('/customers/:id/payment_methods', (req, res) =>
    jsonRoute(res, deps, () => {
      const body = parse(attachSchema, req);
      const pm = billing.attachTestCard(req.params.id ?? '', body.testPaymentMethod, body.makeDefault ?? true);
      if (body.expired) billing.expireCard(pm.id);
      return [201, { paymentMethodId: pm.id, fingerprint: pm.card?.fingerprint }];
    }),
  );

  // The webhook endpoint's API version (events are rendered at it), enabled events and URL.
  router.post('/webhook_endpoint', (req, res) =>
    jsonRoute(res, deps, () => {
      const endpoint = deps.webhookEndpoint;
      if (!endpoint) throw invalidRequest('This sandbox has no webhook endpoint.');
      endpoint.set(parse(webhookEndpointSettingsSchema, req));
      return [200, endpoint.list().data[0] ?? { api_version: endpoint.apiVersion }];
    }),
  );

  router.post('/faults', (req, res) =>
    jsonRoute(res, deps, () => {
      const fault = parse(faultSchema, req);
      if ('count' in fault) {
        deps.faults.add(fault);
        return [201, fault];
      }
      return [201, deps.faults.addTimed(fault)];
    }),
  );
  router.get('/faults', (_req, res) => {
    res.json(deps.faults.list());
  });
  router.delete('/faults', (_req, res) =>
    jsonRoute(res, deps, () => {
      deps.faults.clear();
      return [200, { cleared: true }];
    }),
  );

  router.get('/events', (req, res) => {
    const type = typeof req.query.type === 'string' ? req.query.type : undefined;
    const customer = typeof req.query.customer === 'string' ? req.query.customer : undefined;
    res.json({
      data: deps.data.events.filter(
        (r) => (!type || r.event.type === type) && (!customer || eventCustomer(deps.data, r.event) === customer),
      ),
    });
  });

  // Every charge attempt that reached a card (see ChargeRecord), for counting double charges.
  router.get('/charges', (req, res) => {
    const invoice = typeof req.query.invoice === 'string' ? req.query.invoice : undefined;
    res.json({ data: deps.data.charges.filter((c) => !invoice || c.invoiceId === invoice) });
  });

  router.get('/portal/:id', (req, res) => {
    const session = billing.portalSession(req.params.id);
    const customer = session ? deps.data.customers[session.customer] : undefined;
    if (!session || !customer) return void res.status(404).type('html').send(notFoundPage('Portal session'));
    res.type('html').send(portalPage(session, customer));
  });

  router.post('/portal/:id', (req, res) => {
    const session = billing.portalSession(req.params.id);
    if (!session) return void res.status(404).type('html').send(notFoundPage('Portal session'));
    const card = optionalString(formBody(req), 'payment_method') ?? 'pm_card_visa';
    try {
      billing.completePortalUpdate(session.id, card);
    } catch (err) {
      if (!(err instanceof StripeApiError)) throw err;
      return void res.status(err.status).type('html').send(notFoundPage(err.message));
    }
    deps.changed();
    // As Stripe: `after_completion` says where a completed flow goes; `return_url` is only the
    // portal's link back (for a customer who leaves, done or not).
    const redirect = session.flow?.after_completion.redirect?.return_url;
    if (redirect) return res.redirect(303, redirect);
    res.type('html').send(portalDonePage(session.return_url));
  });

  // Stripe's next scheduled attempt (Smart Retries) happens now; nothing while auto_advance is false.
  router.post('/invoices/:id/automatic_attempt', (req, res) =>
    jsonRoute(res, deps, () => [200, billing.runAutomaticAttempt(req.params.id ?? '')]),
  );

  router.get('/invoices/:id', (req, res) => {
    const invoice = deps.data.invoices[req.params.id];
    if (!invoice) return void res.status(404).type('html').send(notFoundPage('Invoice'));
    res.type('html').send(hostedInvoicePage(invoice));
  });

  // A debit that is processing settles (invoice.paid) or fails (invoice.payment_failed), days later
  // at Stripe, when called here.
  router.post('/invoices/:id/settle', (req, res) =>
    jsonRoute(res, deps, () => {
      const invoice = billing.settleDebit(req.params.id ?? '', parse(settleSchema, req));
      return [200, { id: invoice.id, status: invoice.status }];
    }),
  );

  router.get('/invoices/:id/pdf', (req, res) => {
    const invoice = deps.data.invoices[req.params.id];
    if (!invoice) return void res.status(404).type('text').send('Invoice not found');
    res
      .type('text')
      .send(`Invoice ${invoice.number}\nAmount due: ${invoice.amount_due} ${invoice.currency}\nStatus: ${invoice.status}\n`);
  });

  // The customer disputes the invoice's last charge (charge.dispute.created).
  router.post('/invoices/:id/dispute', (req, res) =>
    jsonRoute(res, deps, () => [201, billing.disputeInvoice(req.params.id ?? '')]),
  );

  router.post('/invoices/:id', (req, res) => {
    const invoice = deps.data.invoices[req.params.id];
    if (!invoice) return void res.status(404).type('html').send(notFoundPage('Invoice'));
    const card = optionalString(formBody(req), 'payment_method') ?? 'pm_card_visa';
    const result = billing.payOnHostedPage(invoice.id, card);
    deps.changed();
    res
      .status(result.ok ? 200 : 402)
      .type('html')
      .send(
        hostedInvoicePage(
          invoice,
          result.ok ? { kind: 'ok', text: 'Payment succeeded. Thank you!' } : { kind: 'error', text: result.error.message },
        ),
      );
  });

  router.use((req, res) => {
    res.status(404).json({
      error: { type: 'invalid_request_error', message: `Unrecognized sandbox URL (${req.method}: ${req.originalUrl})` },
    });
  });
  return router;
}

function jsonRoute(res: Response, deps: SandboxRouteDeps, run: () => [number, unknown]): void {
  try {
    const [status, body] = run();
    deps.changed();
    res.status(status).json(body);
  } catch (err) {
    if (!(err instanceof StripeApiError)) throw err;
    res.status(err.status).json({ error: err.body });
  }
}

function parse<T>(schema: z.ZodType<T>, req: Request): T {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body.toString('utf8') : '{}');
  } catch {
    throw invalidRequest('Body must be JSON.');
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalidRequest(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, issue?.path.join('.'));
  }
  return result.data;
}

function formBody(req: Request) {
  return parseFormParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
}
