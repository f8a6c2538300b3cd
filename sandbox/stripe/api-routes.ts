import express, { type Request, type Response } from 'express';
import type { RequestContext, SandboxBilling } from './billing';
import { StripeApiError, invalidRequest, missingApiKey, unrecognizedUrl } from './errors';
import { expandObject } from './expand';
import type { FaultInjector } from './faults';
import { type Params, canonicalParams, optionalString, optionalStringArray, parseFormParams } from './form-params';
import { newId } from './ids';
import { type IdempotencyStore, shouldSave } from './idempotency';
import type { SandboxWebhookEndpoint } from './webhook-endpoint';

export interface ApiDeps {
  billing: SandboxBilling;
  faults: FaultInjector;
  idempotency: IdempotencyStore;
  apiVersion: string;
  /** After a request changed something: persist the data file. */
  changed: () => void;
  /** `GET /v1/webhook_endpoints`; unset: none. */
  webhookEndpoint?: SandboxWebhookEndpoint;
}

interface ApiCall {
  params: Params;
  ctx: RequestContext;
  id: string;
}

interface ListResult<T> {
  data: T[];
  url: string;
  limit: number;
}

type Handler = (call: ApiCall) => object;

/** Every stored object has an id; lists page by it (`starting_after`, `ending_before`). */
interface WithId {
  id: string;
}

/**
 * The `/v1` API, as stripe-node calls it: form-encoded parameters, bearer key, idempotency keys,
 * `expand[]`, Stripe's list envelope and error envelope, a `request-id` on every answer.
 */
export function stripeApiRouter(deps: ApiDeps): express.Router {
  const router = express.Router();

  // Faults first: an injected 500 or 429 answers before authentication and before anything runs,
  // like Stripe's own edge failures, and is never saved under an idempotency key.
  router.use((req, res, next) => {
    const fault = deps.faults.take(req.method, req.baseUrl + req.path);
    // An outage that drops connections: the client sees a reset socket, as when Stripe is unreachable.
    if (fault === 'reset') return void req.socket.destroy();
    if (fault) return sendError(res, fault);
    const authError = checkApiKey(req.get('authorization'));
    if (authError) return sendError(res, authError);
    next();
  });

  const route = (method: 'get' | 'post' | 'delete', path: string, handler: Handler, list = false) => {
    router[method](path, (req, res) => handle(deps, req, res, handler, list));
  };
  const id = (call: ApiCall) => call.id;
  const b = deps.billing;

  route('post', '/customers', ({ params, ctx }) => b.createCustomer(params, ctx));
  route('get', '/customers/search', ({ params }) => b.searchCustomers(params));
  route('get', '/customers/:id', (c) => b.customer(id(c)));
  route('post', '/customers/:id', ({ params, ctx, id }) => b.updateCustomer(id, params, ctx));

  route('get', '/customers/:id/payment_methods', ({ params, id }) => b.listCustomerPaymentMethods(id, params), true);
  route('get', '/payment_methods', ({ params }) => b.listPaymentMethods(params), true);
  route('get', '/payment_methods/:id', (c) => b.paymentMethod(id(c)));
  route('post', '/payment_methods/:id/attach', ({ params, ctx, id }) => b.attachPaymentMethod(id, params, ctx));
  route('post', '/payment_methods/:id/detach', ({ params, ctx, id }) => b.detachPaymentMethod(id, params, ctx));

  route('post', '/coupons', ({ params }) => b.createCoupon(params));
  route('get', '/coupons/:id', (c) => b.coupon(id(c)));
  route('post', '/prices', ({ params }) => b.createPrice(params));
  route('get', '/prices/:id', (c) => b.price(id(c)));

  route('get', '/subscriptions', ({ params }) => b.listSubscriptions(params), true);
  route('get', '/subscriptions/:id', (c) => b.subscription(id(c)));
  route('post', '/subscriptions/:id', ({ params, ctx, id }) => b.updateSubscription(id, params, ctx));
  route('delete', '/subscriptions/:id', ({ params, ctx, id }) => b.cancelSubscription(id, params, ctx));

  route('get', '/invoices', ({ params }) => b.listInvoices(params), true);
  route('get', '/invoices/:id', (c) => b.invoice(id(c)));
  route('post', '/invoices/:id', ({ params, ctx, id }) => b.updateInvoice(id, params, ctx));
  route('post', '/invoices/:id/pay', ({ params, ctx, id }) => b.payInvoice(id, params, ctx));
  route('post', '/invoices/:id/void', ({ params, ctx, id }) => b.voidInvoice(id, params, ctx));
  route('post', '/invoices/:id/mark_uncollectible', ({ params, ctx, id }) => b.markUncollectible(id, params, ctx));

  route('get', '/invoice_payments', ({ params }) => b.listInvoicePayments(params), true);

  route('get', '/payment_intents/:id', (c) => b.paymentIntent(id(c)));

  route(
    'get',
    '/webhook_endpoints',
    () => deps.webhookEndpoint?.list() ?? { data: [], url: '/v1/webhook_endpoints', limit: 100 },
    true,
  );

  route('post', '/billing_portal/sessions', ({ params, ctx }) => b.createPortalSession(params, ctx));

  router.use((req, res) => sendError(res, unrecognizedUrl(req.method, req.baseUrl + req.path)));
  return router;
}

function handle(deps: ApiDeps, req: Request, res: Response, handler: Handler, list: boolean): void {
  const requestId = `req_${newId('x').slice(2, 16)}`;
  res.set('request-id', requestId);
  res.set('stripe-version', req.get('stripe-version') ?? deps.apiVersion);
  const idempotencyKey = req.method === 'POST' ? (req.get('idempotency-key') ?? null) : null;
  let params: Params;
  try {
    params = requestParams(req);
  } catch (err) {
    return sendError(res, err instanceof StripeApiError ? err : invalidRequest('Invalid request body.'));
  }

  let fingerprint = '';
  if (idempotencyKey) {
    res.set('idempotency-key', idempotencyKey);
    fingerprint = `${req.method} ${req.baseUrl}${req.path} ${canonicalParams(params)}`;
    const saved = deps.idempotency.get(idempotencyKey);
    if (saved && saved.fingerprint !== fingerprint) {
      return sendError(
        res,
        new StripeApiError(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        }),
      );
    }
    if (saved) {
      res.set('idempotent-replayed', 'true');
      res.status(saved.status).type('application/json').send(saved.body);
      return;
    }
  }

  let status = 200;
  let body: string;
  let errorHeaders: Record<string, string> = {};
  try {
    const id = String(req.params.id ?? '');
    const result = handler({ params, ctx: { requestId, idempotencyKey }, id });
    const expand = optionalStringArray(params, 'expand') ?? [];
    const lookup = (oid: string) => deps.billing.objectById(oid);
    body = json(list ? listEnvelope(result as ListResult<WithId>, params, expand, lookup) : expandObject(result, expand, lookup));
  } catch (err) {
    if (!(err instanceof StripeApiError)) throw err;
    status = err.status;
    errorHeaders = err.headers;
    body = json({ error: err.body });
  }
  if (req.method !== 'GET') deps.changed();
  if (idempotencyKey && shouldSave(status)) deps.idempotency.save(idempotencyKey, { fingerprint, status, body });
  res.set(errorHeaders).status(status).type('application/json').send(body);
}

/** Query string for every method, plus the form body on POST (Stripe reads both). */
function requestParams(req: Request): Params {
  const url = req.originalUrl;
  const q = url.indexOf('?');
  const fromQuery = q === -1 ? {} : parseFormParams(url.slice(q + 1));
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  const fromBody = raw ? parseFormParams(raw) : {};
  return { ...fromQuery, ...fromBody };
}

function listEnvelope(
  result: ListResult<WithId>,
  params: Params,
  expand: string[],
  lookup: (id: string) => object | undefined,
): object {
  // Stripe lists newest first.
  let items = [...result.data].reverse();
  const after = optionalString(params, 'starting_after');
  const before = optionalString(params, 'ending_before');
  if (after) items = items.slice(items.findIndex((i) => i.id === after) + 1);
  if (before) {
    const idx = items.findIndex((i) => i.id === before);
    items = idx === -1 ? items : items.slice(Math.max(0, idx - result.limit), idx);
  }
  const page = items.slice(0, result.limit);
  return expandObject({ object: 'list', data: page, has_more: items.length > page.length, url: result.url }, expand, lookup);
}

/** Secret test keys only: this sandbox is test mode, and a live key here is a configuration mistake. */
function checkApiKey(header: string | undefined): StripeApiError | undefined {
  if (!header) return missingApiKey();
  let key = '';
  if (header.startsWith('Bearer ')) key = header.slice(7).trim();
  else if (header.startsWith('Basic ')) key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] ?? '';
  if (!key) return missingApiKey();
  if (!/^(sk|rk)_test_/.test(key)) {
    return new StripeApiError(401, {
      type: 'invalid_request_error',
      message: `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
    });
  }
  return undefined;
}

export function sendError(res: Response, err: StripeApiError): void {
  if (!res.get('request-id')) res.set('request-id', `req_${newId('x').slice(2, 16)}`);
  res
    .set(err.headers)
    .status(err.status)
    .type('application/json')
    .send(json({ error: err.body }));
}

/** Stripe pretty-prints its JSON responses. */
function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
