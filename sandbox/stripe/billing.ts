import type Stripe from 'stripe';
import { StripeApiError, invalidRequest, missingParam, resourceMissing } from './errors';
import {
  type Params,
  mergeMetadata,
  optionalBoolean,
  optionalHash,
  optionalInteger,
  optionalString,
  optionalStringArray,
  rejectUnknownParams,
} from './form-params';
import { newId, nowSeconds } from './ids';
import { changeItems, coupon, createCoupon, createPrice, price, replaceDiscounts } from './catalog';
import {
  cardPaymentMethodObject,
  customerObject,
  invoicePaymentIntentObject,
  invoicePaymentObject,
  portalSessionObject,
  priceObject,
  subscriptionCycleInvoiceObject,
  subscriptionObject,
  usBankAccountPaymentMethodObject,
} from './objects';
import type { ChargeRecord, CustomerOptions, SandboxData, StripeEventPayload, StripeEventRecord } from './state';
import {
  type CardBehaviour,
  type CardBrand,
  type DeclineSpec,
  type TestBankAccount,
  type TestCard,
  cardFingerprint,
  customDeclineCard,
  declineMessage,
  findTestBankAccount,
  findTestCard,
} from './test-cards';

/** Who caused an event: an API request (id + idempotency key) or the sandbox itself (nulls). */
export interface RequestContext {
  requestId: string | null;
  idempotencyKey: string | null;
}

export const AUTOMATIC: RequestContext = { requestId: null, idempotencyKey: null };

export interface ScenarioOptions {
  email: string;
  name?: string;
  preferredLocales?: string[];
  /** IANA zone, stored as customer `metadata.timezone` (Stripe has no time-zone field). */
  timeZone?: string;
  /** Minor units. */
  amount: number;
  currency: string;
  /**
   * How the card declines: Stripe's fields (with the card brand), or a test PaymentMethod id such
   * as `pm_card_chargeDeclinedInsufficientFunds`. Default: insufficient funds.
   */
  decline?: (DeclineSpec & { brand?: CardBrand }) | string;
  /** Price nickname, shown on the invoice line. */
  planName?: string;
  /**
   * false: the events about this customer are recorded, not delivered, so test code can deliver
   * them itself in any order and any number of times. Default true.
   */
  webhooks?: boolean;
  /** The customer's cards get fingerprints of their own instead of the shared test card's. */
  ownCards?: boolean;
  /**
   * A failed sign-up instead of a renewal: the subscription's first invoice (`billing_reason`
   * `subscription_create`), the subscription `incomplete` until it is paid.
   */
  signup?: boolean;
  /**
   * Stripe's Smart Retries on for this invoice (off by default): `true` is a schedule of 4 attempts
   * 3 days apart, the first one included. The first failure then carries `next_payment_attempt`,
   * and `runAutomaticAttempt` makes Stripe's next scheduled attempt happen now.
   */
  smartRetries?: boolean | { attempts: number; intervalSeconds?: number };
  /**
   * The subscription has a default card of its own (`default_payment_method`): the declining card
   * is the subscription's, and the customer's default is another card, this test card
   * (`pm_card_visa`, ...). Unset: the declining card is the customer's default and the
   * subscription has none.
   */
  subscriptionCard?: { customerDefault: string };
  /** The customer's metadata (besides `timezone`), e.g. `{ dunning_other_cards_consent: 'true' }`. */
  customerMetadata?: Record<string, string>;
  /** The customer's `phone` (Stripe keeps any string; the SMS channel wants E.164). */
  phone?: string;
  /**
   * Other cards saved on the customer before the renewal fails (test ids, `pm_card_mastercard`),
   * none of them a default: the customer's "other saved cards".
   */
  savedCards?: string[];
  /**
   * A customer of an earlier scenario instead of a new one: a second subscription of theirs, whose
   * renewal fails on their default card (as it declines now). Their `email`, name and languages
   * stay as they are; `decline`, `subscriptionCard` and `ownCards` do not apply.
   */
  customerId?: string;
}

/** `createActiveSubscriptionScenario`: a paid-up subscription whose card may be about to expire. */
export interface ActiveSubscriptionOptions {
  email: string;
  name?: string;
  preferredLocales?: string[];
  timeZone?: string;
  /** Minor units. */
  amount: number;
  currency: string;
  planName?: string;
  /** A test card id (default `pm_card_visa`). */
  card?: string;
  /** The card's expiry; default the test card's (December, three years on). */
  cardExpires?: { month: number; year: number };
  /** Days until the renewal (`current_period_end`); default 30. */
  renewsInDays?: number;
  /** The card is the subscription's own default instead of the customer's. */
  subscriptionCard?: boolean;
  /** false: the customer's events are recorded, not delivered. */
  webhooks?: boolean;
}

export interface ActiveSubscriptionResult {
  customerId: string;
  paymentMethodId: string;
  subscriptionId: string;
  /** The renewal, epoch seconds. */
  renewsAt: number;
}

/** What `GET /v1/subscriptions` takes as `status` (stripe-node's SubscriptionListParams.Status). */
const SUBSCRIPTION_LIST_STATUSES: readonly string[] = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
];

/** What became of a request for Stripe's next scheduled attempt (`runAutomaticAttempt`). */
export type AutomaticAttemptResult =
  | { attempted: true; outcome: 'succeeded' | 'declined'; attemptCount: number; nextPaymentAttempt: number | null }
  | { attempted: false; reason: 'auto_advance_off' | 'no_attempt_scheduled' | 'not_open' };

const DEFAULT_SMART_RETRIES = { attempts: 4, intervalSeconds: 3 * 24 * 3600 };

export interface ScenarioResult {
  customerId: string;
  /** The declining card (the subscription's own with `subscriptionCard`). */
  paymentMethodId: string;
  /** With `subscriptionCard`: the customer's default, another card. */
  customerDefaultPaymentMethodId?: string;
  /** With `savedCards`: their PaymentMethods, in the same order. */
  savedPaymentMethodIds?: string[];
  subscriptionId: string;
  invoiceId: string;
  paymentIntentId: string;
  hostedInvoiceUrl: string;
}

export interface BillingHooks {
  apiVersion: string;
  baseUrl: string;
  /** Called with each new event record; delivery happens elsewhere. */
  onEvent: (record: StripeEventRecord) => void;
  pendingWebhooks: () => number;
}

type AttemptResult = { ok: true } | { ok: false; error: StripeApiError };

interface AttemptHow {
  offSession: boolean;
  manual: boolean;
  source: ChargeRecord['source'];
}

const CHARGE_OUTCOME: Record<CardBehaviour['outcome'], ChargeRecord['outcome']> = {
  succeed: 'succeeded',
  decline: 'declined',
  require_authentication: 'requires_action',
  processing: 'processing',
};

const INVOICE_NOT_OPEN_FOR_PAYMENT: Record<string, string> = {
  paid: 'Invoice is already paid',
  void: 'This invoice has been voided and can no longer be paid.',
  draft: 'This invoice is still a draft: finalize it before paying.',
};

/**
 * The sandbox's model of Stripe Billing for one failed renewal: customers, cards, a subscription,
 * its open invoice and the invoice's PaymentIntent. Every operation is synchronous, so requests
 * never interleave (no double charge between two concurrent pays), and throws StripeApiError with
 * Stripe's status and error body.
 */
export class SandboxBilling {
  constructor(
    private readonly data: SandboxData,
    private readonly hooks: BillingHooks,
  ) {}

  // ---------------------------------------------------------------- lookups

  customer(id: string, param = 'id'): Stripe.Customer {
    const c = this.data.customers[id];
    if (!c) throw resourceMissing('customer', id, param);
    return c;
  }

  paymentMethod(id: string, param = 'id'): Stripe.PaymentMethod {
    const pm = this.data.paymentMethods[id];
    if (!pm) throw resourceMissing('PaymentMethod', id, param);
    return pm;
  }

  subscription(id: string): Stripe.Subscription {
    const s = this.data.subscriptions[id];
    if (!s) throw resourceMissing('subscription', id);
    return s;
  }

  invoice(id: string, param = 'id'): Stripe.Invoice {
    const inv = this.data.invoices[id];
    if (!inv) throw resourceMissing('invoice', id, param);
    return inv;
  }

  paymentIntent(id: string): Stripe.PaymentIntent {
    const pi = this.data.paymentIntents[id];
    if (!pi) throw resourceMissing('payment_intent', id);
    return pi;
  }

  portalSession(id: string): Stripe.BillingPortal.Session | undefined {
    return this.data.portalSessions[id];
  }

  /** Any stored object by id, for `expand`. */
  objectById(id: string): object | undefined {
    const d = this.data;
    return (
      d.customers[id] ??
      d.paymentMethods[id] ??
      d.subscriptions[id] ??
      d.invoices[id] ??
      d.paymentIntents[id] ??
      d.invoicePayments[id] ??
      d.prices[id] ??
      d.coupons[id] ??
      d.discounts[id]
    );
  }

  // ---------------------------------------------------------------- coupons and prices (catalog.ts)

  createCoupon(params: Params): Stripe.Coupon {
    return createCoupon(this.data, params);
  }
  coupon(id: string): Stripe.Coupon {
    return coupon(this.data, id);
  }
  createPrice(params: Params): Stripe.Price {
    return createPrice(this.data, params);
  }
  price(id: string): Stripe.Price {
    return price(this.data, id);
  }

  // ---------------------------------------------------------------- customers

  /** `options`: the sandbox's own switches for the customer, in force from its first event. */
  createCustomer(params: Params, ctx: RequestContext, options?: CustomerOptions): Stripe.Customer {
    rejectUnknownParams(params, [
      'email',
      'name',
      'preferred_locales',
      'metadata',
      'description',
      'phone',
      'payment_method',
      'invoice_settings',
    ]);
    const customer = customerObject({
      email: optionalString(params, 'email') || null,
      name: optionalString(params, 'name') || null,
      preferredLocales: optionalStringArray(params, 'preferred_locales') ?? [],
      metadata: mergeMetadata({}, params),
    });
    customer.description = optionalString(params, 'description') || null;
    customer.phone = optionalString(params, 'phone') || null;
    this.data.customers[customer.id] = customer;
    if (options) this.data.customerOptions[customer.id] = options;
    this.emit('customer.created', customer, ctx);
    const pm = optionalString(params, 'payment_method');
    if (pm) this.attachPaymentMethod(pm, { customer: customer.id }, ctx);
    const settings = optionalHash(params, 'invoice_settings');
    if (settings) this.updateCustomer(customer.id, { invoice_settings: settings }, ctx);
    return customer;
  }

  /**
   * `GET /v1/customers/search`, for the one field clause the service asks (`phone:'+1555…'`, and
   * `email:'…'`): exact match, newest first, in Stripe's search envelope. Stripe's search is
   * eventually consistent (about a minute); the sandbox's is immediate. Other queries: a 400.
   */
  searchCustomers(params: Params): Stripe.ApiSearchResult<Stripe.Customer> {
    const query = optionalString(params, 'query') ?? '';
    const m = /^\s*(phone|email)\s*:\s*(['"])([^'"]*)\2\s*$/.exec(query);
    if (!m) throw invalidRequest(`The sandbox searches customers only by phone:'…' or email:'…', not: ${query}`, 'query');
    const [, field, , value] = m as unknown as [string, 'phone' | 'email', string, string];
    const data = Object.values(this.data.customers)
      .filter((c) => c[field] === value)
      .reverse();
    return { object: 'search_result', data, has_more: false, next_page: null, url: '/v1/customers/search' };
  }

  updateCustomer(id: string, params: Params, ctx: RequestContext): Stripe.Customer {
    rejectUnknownParams(params, ['email', 'name', 'preferred_locales', 'metadata', 'description', 'phone', 'invoice_settings']);
    const customer = this.customer(id);
    const previous: Record<string, unknown> = {};
    const set = <K extends 'email' | 'name' | 'description' | 'phone'>(key: K) => {
      const v = optionalString(params, key);
      if (v === undefined) return;
      const next = v === '' ? null : v;
      if (customer[key] !== next) {
        previous[key] = customer[key] ?? null;
        customer[key] = next;
      }
    };
    set('email');
    set('name');
    set('description');
    set('phone');
    const locales = optionalStringArray(params, 'preferred_locales');
    if (locales && JSON.stringify(locales) !== JSON.stringify(customer.preferred_locales ?? [])) {
      previous.preferred_locales = customer.preferred_locales ?? [];
      customer.preferred_locales = locales;
    }
    const metadata = mergeMetadata(customer.metadata, params);
    if (JSON.stringify(metadata) !== JSON.stringify(customer.metadata)) {
      // Stripe lists the changed keys with their old values (null for keys that were added).
      const changed: Record<string, string | null> = {};
      for (const k of new Set([...Object.keys(metadata), ...Object.keys(customer.metadata)])) {
        if (metadata[k] !== customer.metadata[k]) changed[k] = customer.metadata[k] ?? null;
      }
      previous.metadata = changed;
      customer.metadata = metadata;
    }
    const settings = optionalHash(params, 'invoice_settings');
    if (settings) {
      rejectUnknownParams(settings, ['default_payment_method', 'custom_fields', 'footer', 'rendering_options']);
      const pmId = optionalString(settings, 'default_payment_method', 'invoice_settings[default_payment_method]');
      if (pmId !== undefined) {
        if (pmId !== '') this.requireAttached(pmId, customer.id, 'invoice_settings[default_payment_method]');
        const next = pmId === '' ? null : pmId;
        const current = customer.invoice_settings.default_payment_method;
        if (current !== next) {
          previous.invoice_settings = { default_payment_method: current };
          customer.invoice_settings.default_payment_method = next;
        }
      }
    }
    if (Object.keys(previous).length > 0) this.emit('customer.updated', customer, ctx, previous);
    return customer;
  }

  // ---------------------------------------------------------------- payment methods

  /**
   * Attaching a test id (`pm_card_visa`) makes a new `pm_...` owned by the customer, as Stripe
   * does; attaching an existing unattached PaymentMethod attaches it in place.
   */
  attachPaymentMethod(id: string, params: Params, ctx: RequestContext): Stripe.PaymentMethod {
    rejectUnknownParams(params, ['customer']);
    const customerId = optionalString(params, 'customer');
    if (!customerId) throw missingParam('customer');
    this.customer(customerId, 'customer');
    const testCard = findTestCard(id);
    if (testCard) return this.addCard(testCard, customerId, ctx);
    const testBank = findTestBankAccount(id);
    if (testBank) return this.addBankAccount(testBank, customerId, ctx);
    const pm = this.paymentMethod(id, 'payment_method');
    if (pm.customer === customerId) return pm;
    if (pm.customer !== null) {
      throw invalidRequest(
        'The payment method you provided has already been attached to a customer.',
        'payment_method',
        'payment_method_unexpected_state',
      );
    }
    pm.customer = customerId;
    this.emit('payment_method.attached', pm, ctx);
    return pm;
  }

  /**
   * `POST /v1/payment_methods/:id/detach`: the card leaves its customer (and stops being their
   * default); `payment_method.detached` has the customer in `previous_attributes` only.
   */
  detachPaymentMethod(id: string, params: Params, ctx: RequestContext): Stripe.PaymentMethod {
    rejectUnknownParams(params, []);
    const pm = this.paymentMethod(id, 'payment_method');
    const customerId = typeof pm.customer === 'string' ? pm.customer : pm.customer?.id;
    if (!customerId) {
      throw invalidRequest('The payment method you provided is not attached to a customer so detachment is impossible.');
    }
    const customer = this.data.customers[customerId];
    if (customer?.invoice_settings.default_payment_method === pm.id) {
      this.updateCustomer(customerId, { invoice_settings: { default_payment_method: '' } }, ctx);
    }
    pm.customer = null;
    this.emit('payment_method.detached', pm, ctx, { customer: customerId });
    return pm;
  }

  /** A new card PaymentMethod for `card`, attached to the customer when one is given. */
  addCard(card: TestCard, customerId: string | null, ctx: RequestContext): Stripe.PaymentMethod {
    const pm = cardPaymentMethodObject(card, customerId);
    if (customerId && pm.card && this.data.customerOptions[customerId]?.ownCards) {
      pm.card.fingerprint = cardFingerprint(`${card.number}/${customerId}`);
    }
    this.data.paymentMethods[pm.id] = pm;
    this.data.behaviours[pm.id] = structuredClone(card.behaviour);
    if (customerId) this.emit('payment_method.attached', pm, ctx);
    return pm;
  }

  /** A new `us_bank_account` PaymentMethod: its debits stay processing until settled (settleDebit). */
  addBankAccount(bank: TestBankAccount, customerId: string | null, ctx: RequestContext): Stripe.PaymentMethod {
    const pm = usBankAccountPaymentMethodObject(bank, customerId);
    this.data.paymentMethods[pm.id] = pm;
    this.data.behaviours[pm.id] = structuredClone(bank.behaviour);
    if (customerId) this.emit('payment_method.attached', pm, ctx);
    return pm;
  }

  setBehaviour(pmId: string, behaviour: CardBehaviour): void {
    this.paymentMethod(pmId);
    this.data.behaviours[pmId] = structuredClone(behaviour);
  }

  behaviour(pmId: string): CardBehaviour {
    return this.data.behaviours[pmId] ?? { outcome: 'succeed' };
  }

  private requireAttached(pmId: string, customerId: string, param: string): Stripe.PaymentMethod {
    const pm = this.data.paymentMethods[pmId];
    if (!pm) throw resourceMissing('PaymentMethod', pmId, param);
    if (pm.customer !== customerId) {
      throw invalidRequest(
        `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
        param,
      );
    }
    return pm;
  }

  // ---------------------------------------------------------------- subscriptions

  updateSubscription(id: string, params: Params, ctx: RequestContext): Stripe.Subscription {
    rejectUnknownParams(params, [
      'pause_collection',
      'default_payment_method',
      'metadata',
      'cancel_at_period_end',
      'discounts',
      'items',
      'proration_behavior',
    ]);
    const sub = this.subscription(id);
    if (sub.status === 'canceled') {
      throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.');
    }
    const previous: Record<string, unknown> = {};
    const pause = optionalHash(params, 'pause_collection');
    if (pause !== undefined) {
      let next: Stripe.Subscription.PauseCollection | null = null;
      if (pause !== '') {
        rejectUnknownParams(pause, ['behavior', 'resumes_at']);
        const behavior = optionalString(pause, 'behavior', 'pause_collection[behavior]');
        if (!behavior) throw missingParam('pause_collection[behavior]');
        if (!['keep_as_draft', 'mark_uncollectible', 'void'].includes(behavior)) {
          throw invalidRequest(
            `Invalid pause_collection[behavior]: must be one of keep_as_draft, mark_uncollectible, or void`,
            'pause_collection[behavior]',
          );
        }
        next = {
          behavior: behavior as Stripe.Subscription.PauseCollection.Behavior,
          resumes_at: optionalInteger(pause, 'resumes_at') ?? null,
        };
      }
      if (JSON.stringify(next) !== JSON.stringify(sub.pause_collection)) {
        previous.pause_collection = sub.pause_collection;
        sub.pause_collection = next;
      }
    }
    const pmId = optionalString(params, 'default_payment_method');
    if (pmId !== undefined) {
      const customerId = sub.customer as string;
      if (pmId !== '') this.requireAttached(pmId, customerId, 'default_payment_method');
      const next = pmId === '' ? null : pmId;
      if (next !== sub.default_payment_method) {
        previous.default_payment_method = sub.default_payment_method;
        sub.default_payment_method = next;
      }
    }
    if (params.discounts !== undefined) {
      const next = replaceDiscounts(this.data, sub, params.discounts);
      const before = sub.discounts.map((d) => (typeof d === 'string' ? d : d.id));
      if (JSON.stringify(next) !== JSON.stringify(before)) {
        previous.discounts = before;
        sub.discounts = next;
      }
    }
    const proration = optionalString(params, 'proration_behavior');
    if (proration !== undefined && !['none', 'create_prorations', 'always_invoice'].includes(proration)) {
      throw invalidRequest(
        'Invalid proration_behavior: must be one of always_invoice, create_prorations, or none',
        'proration_behavior',
      );
    }
    if (params.items !== undefined) {
      const before = structuredClone(sub.items);
      if (changeItems(this.data, sub, params.items, proration)) previous.items = before;
    }
    const cancelAtPeriodEnd = optionalBoolean(params, 'cancel_at_period_end');
    if (cancelAtPeriodEnd !== undefined && cancelAtPeriodEnd !== sub.cancel_at_period_end) {
      previous.cancel_at_period_end = sub.cancel_at_period_end;
      sub.cancel_at_period_end = cancelAtPeriodEnd;
    }
    const metadata = mergeMetadata(sub.metadata, params);
    if (JSON.stringify(metadata) !== JSON.stringify(sub.metadata)) {
      previous.metadata = sub.metadata;
      sub.metadata = metadata;
    }
    if (Object.keys(previous).length > 0) this.emit('customer.subscription.updated', sub, ctx, previous);
    return sub;
  }

  cancelSubscription(id: string, params: Params, ctx: RequestContext): Stripe.Subscription {
    rejectUnknownParams(params, ['invoice_now', 'prorate', 'cancellation_details']);
    const sub = this.subscription(id);
    if (sub.status === 'canceled') {
      throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.');
    }
    const now = nowSeconds();
    sub.status = 'canceled';
    sub.canceled_at = now;
    sub.ended_at = now;
    sub.cancellation_details = { comment: null, feedback: null, feedback_option: null, reason: 'cancellation_requested' };
    this.emit('customer.subscription.deleted', sub, ctx);
    return sub;
  }

  // ---------------------------------------------------------------- invoices

  /**
   * `POST /v1/invoices/:id`, for what a finalized invoice still lets change: `auto_advance` (false
   * stops Stripe's automatic collection attempts, so `next_payment_attempt` becomes null; true puts
   * the retry schedule back) and `metadata`. Emits `invoice.updated` when something changed.
   */
  updateInvoice(id: string, params: Params, ctx: RequestContext): Stripe.Invoice {
    rejectUnknownParams(params, ['auto_advance', 'metadata', 'description', 'footer']);
    const invoice = this.invoice(id);
    const previous: Record<string, unknown> = {};
    const autoAdvance = optionalBoolean(params, 'auto_advance');
    if (autoAdvance !== undefined && autoAdvance !== invoice.auto_advance) {
      if (invoice.status !== 'open' && invoice.status !== 'draft') {
        throw invalidRequest(
          `You can only update auto_advance on draft or open invoices; this invoice is ${invoice.status}.`,
          'auto_advance',
        );
      }
      previous.auto_advance = invoice.auto_advance;
      invoice.auto_advance = autoAdvance;
      const next = this.scheduledAttempt(invoice);
      if (next !== invoice.next_payment_attempt) {
        previous.next_payment_attempt = invoice.next_payment_attempt;
        invoice.next_payment_attempt = next;
      }
    }
    for (const key of ['description', 'footer'] as const) {
      const v = optionalString(params, key);
      if (v === undefined) continue;
      const next = v === '' ? null : v;
      if (invoice[key] !== next) {
        previous[key] = invoice[key];
        invoice[key] = next;
      }
    }
    const metadata = mergeMetadata(invoice.metadata ?? {}, params);
    if (JSON.stringify(metadata) !== JSON.stringify(invoice.metadata ?? {})) {
      previous.metadata = invoice.metadata;
      invoice.metadata = metadata;
    }
    if (Object.keys(previous).length > 0) this.emit('invoice.updated', invoice, ctx, previous);
    return invoice;
  }

  /**
   * Stripe's next scheduled attempt (Smart Retries), now: a charge of the default card with no
   * request behind it (`request.id` null in its events), `attempt_count` one higher. Nothing
   * happens on an invoice whose `auto_advance` is false, as at Stripe.
   */
  runAutomaticAttempt(invoiceId: string): AutomaticAttemptResult {
    const invoice = this.invoice(invoiceId);
    if (invoice.status !== 'open') return { attempted: false, reason: 'not_open' };
    if (invoice.auto_advance === false) return { attempted: false, reason: 'auto_advance_off' };
    if (invoice.next_payment_attempt === null) return { attempted: false, reason: 'no_attempt_scheduled' };
    const pm = this.paymentMethodForInvoice(invoice, undefined);
    const result = this.attemptPayment(invoice, pm, AUTOMATIC, { offSession: true, manual: false, source: 'automatic' });
    return {
      attempted: true,
      outcome: result.ok ? 'succeeded' : 'declined',
      attemptCount: invoice.attempt_count,
      nextPaymentAttempt: invoice.next_payment_attempt,
    };
  }

  /** When Stripe would try the open invoice next: null with no schedule, auto_advance off, or after the last attempt. */
  private scheduledAttempt(invoice: Stripe.Invoice): number | null {
    const schedule = this.data.customerOptions[invoice.customer as string]?.smartRetries;
    if (!schedule || invoice.status !== 'open' || invoice.auto_advance === false) return null;
    if (invoice.attempt_count === 0 || invoice.attempt_count >= schedule.attempts) return null;
    return nowSeconds() + schedule.intervalSeconds;
  }

  listInvoices(params: Params): { data: Stripe.Invoice[]; url: string; limit: number } {
    rejectUnknownParams(params, [
      'customer',
      'subscription',
      'status',
      'limit',
      'starting_after',
      'ending_before',
      'collection_method',
      'created',
      'due_date',
    ]);
    const customer = optionalString(params, 'customer');
    const subscription = optionalString(params, 'subscription');
    const status = optionalString(params, 'status');
    const data = Object.values(this.data.invoices)
      .filter((i) => !customer || i.customer === customer)
      .filter((i) => !subscription || i.parent?.subscription_details?.subscription === subscription)
      .filter((i) => !status || i.status === status);
    return { data, url: '/v1/invoices', limit: listLimit(params) };
  }

  /**
   * `POST /v1/invoices/:id/pay`. Which card: the `payment_method` given, else the invoice's,
   * the subscription's, then the customer's default (Stripe's precedence). A decline answers 402
   * with the decline fields and the PaymentIntent, and updates its `last_payment_error`.
   */
  payInvoice(id: string, params: Params, ctx: RequestContext): Stripe.Invoice {
    rejectUnknownParams(params, ['payment_method', 'off_session', 'paid_out_of_band', 'forgive', 'mandate', 'source']);
    const invoice = this.invoice(id);
    const blocked = invoice.status ? INVOICE_NOT_OPEN_FOR_PAYMENT[invoice.status] : undefined;
    if (blocked) throw invalidRequest(blocked);
    if (optionalBoolean(params, 'paid_out_of_band')) {
      this.markPaid(invoice, null, ctx);
      return invoice;
    }
    const processing = this.defaultInvoicePayment(invoice);
    const processingPi = processing && this.data.paymentIntents[processing.payment.payment_intent as string];
    if (processingPi?.status === 'processing') {
      // A PaymentIntent under way cannot be confirmed again (no second debit while the first settles).
      throw invalidRequest(
        'You cannot confirm this PaymentIntent because it has a status of processing.',
        undefined,
        'payment_intent_unexpected_state',
      );
    }
    const offSession = optionalBoolean(params, 'off_session') ?? true;
    const pm = this.paymentMethodForInvoice(invoice, optionalString(params, 'payment_method'));
    const result = this.attemptPayment(invoice, pm, ctx, { offSession, manual: true, source: 'api' });
    if (!result.ok) throw result.error;
    return invoice;
  }

  voidInvoice(id: string, params: Params, ctx: RequestContext): Stripe.Invoice {
    rejectUnknownParams(params, []);
    const invoice = this.invoice(id);
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
      throw invalidRequest(`You can only void open or uncollectible invoices; this invoice is ${invoice.status}.`);
    }
    invoice.status = 'void';
    invoice.status_transitions.voided_at = nowSeconds();
    invoice.next_payment_attempt = null;
    const pay = this.defaultInvoicePayment(invoice);
    if (pay) {
      pay.status = 'canceled';
      pay.status_transitions.canceled_at = nowSeconds();
      const pi = this.data.paymentIntents[pay.payment.payment_intent as string];
      if (pi && pi.status !== 'succeeded') {
        pi.status = 'canceled';
        pi.canceled_at = nowSeconds();
        pi.cancellation_reason = 'void_invoice';
      }
    }
    this.emit('invoice.voided', invoice, ctx);
    return invoice;
  }

  markUncollectible(id: string, params: Params, ctx: RequestContext): Stripe.Invoice {
    rejectUnknownParams(params, []);
    const invoice = this.invoice(id);
    if (invoice.status !== 'open') {
      throw invalidRequest(`You can only mark open invoices as uncollectible; this invoice is ${invoice.status}.`);
    }
    invoice.status = 'uncollectible';
    invoice.status_transitions.marked_uncollectible_at = nowSeconds();
    invoice.next_payment_attempt = null;
    this.emit('invoice.marked_uncollectible', invoice, ctx);
    return invoice;
  }

  listInvoicePayments(params: Params): { data: Stripe.InvoicePayment[]; url: string; limit: number } {
    rejectUnknownParams(params, ['invoice', 'payment', 'status', 'limit', 'starting_after', 'ending_before', 'created']);
    const invoice = optionalString(params, 'invoice');
    const status = optionalString(params, 'status');
    const data = Object.values(this.data.invoicePayments)
      .filter((p) => !invoice || p.invoice === invoice)
      .filter((p) => !status || p.status === status);
    return { data, url: '/v1/invoice_payments', limit: listLimit(params) };
  }

  /**
   * `GET /v1/customers/:id/payment_methods` (`customers.listPaymentMethods`) and
   * `GET /v1/payment_methods?customer=` (`paymentMethods.list`): the PaymentMethods attached to
   * the customer now (a detached one is gone), expired cards included (Stripe lists them too;
   * charging one declines `expired_card`), newest first, optionally of one `type`.
   */
  listCustomerPaymentMethods(customerId: string, params: Params): { data: Stripe.PaymentMethod[]; url: string; limit: number } {
    rejectUnknownParams(params, ['type', 'limit', 'starting_after', 'ending_before', 'allow_redisplay', 'customer', 'expand']);
    this.customer(customerId, 'customer');
    const type = optionalString(params, 'type');
    const data = Object.values(this.data.paymentMethods)
      .filter((pm) => pm.customer === customerId)
      .filter((pm) => !type || pm.type === type);
    return { data, url: `/v1/customers/${customerId}/payment_methods`, limit: listLimit(params) };
  }

  /** `GET /v1/payment_methods`: Stripe requires `customer` (or a Connect customer) here. */
  listPaymentMethods(params: Params): { data: Stripe.PaymentMethod[]; url: string; limit: number } {
    const customerId = optionalString(params, 'customer');
    if (!customerId) throw missingParam('customer');
    return { ...this.listCustomerPaymentMethods(customerId, params), url: '/v1/payment_methods' };
  }

  /** A saved card that has expired (the sandbox's switch): its expiry is last month. */
  expireCard(pmId: string): Stripe.PaymentMethod {
    const pm = this.paymentMethod(pmId);
    if (!pm.card) throw invalidRequest(`${pmId} is not a card.`, 'payment_method');
    const d = new Date();
    const lastMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
    pm.card.exp_month = lastMonth.getUTCMonth() + 1;
    pm.card.exp_year = lastMonth.getUTCFullYear();
    return pm;
  }

  /**
   * The network's account updater (Visa Account Updater, Mastercard ABU): the same PaymentMethod
   * gets the card's new expiry, and Stripe sends `payment_method.automatically_updated` with the
   * old expiry in `previous_attributes`. Default: three years on.
   */
  automaticallyUpdateCard(pmId: string, to: { expMonth?: number; expYear?: number } = {}): Stripe.PaymentMethod {
    const pm = this.paymentMethod(pmId);
    if (!pm.card) throw invalidRequest(`${pmId} is not a card.`, 'payment_method');
    const previous = { card: { exp_month: pm.card.exp_month, exp_year: pm.card.exp_year } };
    pm.card.exp_month = to.expMonth ?? pm.card.exp_month;
    pm.card.exp_year = to.expYear ?? pm.card.exp_year + 3;
    if (pm.customer) this.emit('payment_method.automatically_updated', pm, AUTOMATIC, previous);
    return pm;
  }

  // ---------------------------------------------------------------- subscriptions

  /**
   * `GET /v1/subscriptions`, newest first and paged like every list. As Stripe: without `status`,
   * every subscription but the canceled ones; `status=all` lists them all, `ended` the canceled
   * and expired ones; `customer`, `price` and `collection_method` filter.
   */
  listSubscriptions(params: Params): { data: Stripe.Subscription[]; url: string; limit: number } {
    rejectUnknownParams(params, [
      'customer',
      'price',
      'status',
      'collection_method',
      'limit',
      'starting_after',
      'ending_before',
      'expand',
    ]);
    const status = optionalString(params, 'status');
    if (status !== undefined && !SUBSCRIPTION_LIST_STATUSES.includes(status)) {
      throw invalidRequest(`Invalid status: must be one of ${SUBSCRIPTION_LIST_STATUSES.join(', ')}`, 'status');
    }
    const customer = optionalString(params, 'customer');
    const priceId = optionalString(params, 'price');
    const collection = optionalString(params, 'collection_method');
    const statusMatches = (s: Stripe.Subscription): boolean => {
      if (status === undefined) return s.status !== 'canceled';
      if (status === 'all') return true;
      if (status === 'ended') return s.status === 'canceled' || s.status === 'incomplete_expired';
      return s.status === status;
    };
    const data = Object.values(this.data.subscriptions)
      .filter(statusMatches)
      .filter((s) => !customer || s.customer === customer)
      .filter((s) => !priceId || s.items.data.some((i) => i.price.id === priceId))
      .filter((s) => !collection || s.collection_method === collection);
    return { data, url: '/v1/subscriptions', limit: listLimit(params) };
  }

  /**
   * A customer whose subscription is active and paid, on a card of its own expiry: what the
   * reminders before a card expires scan for (`POST /_sandbox/scenarios/active-subscription`).
   * The subscription renews in `renewsInDays` (default 30); no invoice is made.
   */
  createActiveSubscriptionScenario(opts: ActiveSubscriptionOptions): ActiveSubscriptionResult {
    if (!Number.isInteger(opts.amount) || opts.amount <= 0)
      throw invalidRequest('amount must be a positive integer in minor units', 'amount');
    const currency = opts.currency.toLowerCase();
    if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest('currency must be a three-letter ISO code', 'currency');
    const card = findTestCard(opts.card ?? 'pm_card_visa');
    if (!card) throw invalidRequest(`Unknown test card: ${opts.card}`, 'card');
    const exp = opts.cardExpires;
    if (exp && (!Number.isInteger(exp.month) || exp.month < 1 || exp.month > 12 || !Number.isInteger(exp.year)))
      throw invalidRequest('cardExpires: month 1..12 and a four-digit year', 'cardExpires');
    const customer = this.createCustomer(
      {
        email: opts.email,
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.preferredLocales ? { preferred_locales: opts.preferredLocales } : {}),
        ...(opts.timeZone ? { metadata: { timezone: opts.timeZone } } : {}),
      },
      AUTOMATIC,
      opts.webhooks === false ? { muted: true, ownCards: false } : undefined,
    );
    const pm = this.addCard(card, customer.id, AUTOMATIC);
    if (exp && pm.card) {
      pm.card.exp_month = exp.month;
      pm.card.exp_year = exp.year;
    }
    if (!opts.subscriptionCard) {
      this.updateCustomer(customer.id, { invoice_settings: { default_payment_method: pm.id } }, AUTOMATIC);
    }
    const price = priceObject({ amount: opts.amount, currency, nickname: opts.planName ?? 'Pro (monthly)' });
    this.data.prices[price.id] = price;
    const periodEnd = nowSeconds() + Math.round((opts.renewsInDays ?? 30) * 24 * 3600);
    const sub = subscriptionObject({ customer: customer.id, price, periodStart: periodEnd - 30 * 24 * 3600, periodEnd });
    if (opts.subscriptionCard) sub.default_payment_method = pm.id;
    this.data.subscriptions[sub.id] = sub;
    this.emit('customer.subscription.created', sub, AUTOMATIC);
    return { customerId: customer.id, paymentMethodId: pm.id, subscriptionId: sub.id, renewsAt: periodEnd };
  }

  // ---------------------------------------------------------------- billing portal

  createPortalSession(params: Params, ctx: RequestContext): Stripe.BillingPortal.Session {
    rejectUnknownParams(params, ['customer', 'return_url', 'flow_data', 'configuration', 'locale', 'on_behalf_of']);
    const customerId = optionalString(params, 'customer');
    if (!customerId) throw missingParam('customer');
    this.customer(customerId, 'customer');
    const flow = optionalHash(params, 'flow_data');
    let flowType: Stripe.BillingPortal.Session.Flow.Type | null = null;
    if (flow) {
      const type = optionalString(flow, 'type', 'flow_data[type]');
      if (!type) throw missingParam('flow_data[type]');
      if (type !== 'payment_method_update') {
        throw invalidRequest(
          `The sandbox portal supports flow_data[type]=payment_method_update only, not ${type}.`,
          'flow_data[type]',
        );
      }
      flowType = type;
    }
    const session = portalSessionObject({
      customer: customerId,
      returnUrl: optionalString(params, 'return_url') || null,
      flowType,
      afterCompletion: flow ? portalAfterCompletion(flow) : undefined,
      locale: optionalString(params, 'locale') || null,
      url: (sid) => `${this.hooks.baseUrl}/_sandbox/portal/${sid}`,
    });
    this.data.portalSessions[session.id] = session;
    this.emit('billing_portal.session.created', session, ctx);
    return session;
  }

  /**
   * The portal form's submit: a new card becomes the customer's default, which is what Stripe's
   * portal does (`payment_method.attached`, then `customer.updated` with the previous default).
   */
  completePortalUpdate(sessionId: string, testCardId: string): Stripe.BillingPortal.Session {
    const session = this.data.portalSessions[sessionId];
    if (!session) throw resourceMissing('billing portal session', sessionId);
    this.attachTestCard(session.customer, testCardId, true);
    return session;
  }

  attachTestCard(customerId: string, testCardId: string, makeDefault: boolean): Stripe.PaymentMethod {
    const card = findTestCard(testCardId);
    const bank = card ? undefined : findTestBankAccount(testCardId);
    if (!card && !bank) throw invalidRequest(`Unknown test payment method: ${testCardId}`, 'payment_method');
    this.customer(customerId, 'customer');
    const pm = card ? this.addCard(card, customerId, AUTOMATIC) : this.addBankAccount(bank!, customerId, AUTOMATIC);
    if (makeDefault) {
      this.updateCustomer(customerId, { invoice_settings: { default_payment_method: pm.id } }, AUTOMATIC);
    }
    return pm;
  }

  /**
   * The hosted invoice page's "Pay": the customer is present (on-session), so a card that asks for
   * 3-D Secure is authenticated there and succeeds. The card is not saved to the customer.
   */
  payOnHostedPage(invoiceId: string, testCardId: string): AttemptResult {
    const invoice = this.invoice(invoiceId);
    const blocked = invoice.status ? INVOICE_NOT_OPEN_FOR_PAYMENT[invoice.status] : undefined;
    if (blocked) return { ok: false, error: invalidRequest(blocked) };
    const card = findTestCard(testCardId);
    if (!card) return { ok: false, error: invalidRequest(`Unknown test card: ${testCardId}`) };
    const pm = this.addCard(card, null, AUTOMATIC);
    return this.attemptPayment(invoice, pm, AUTOMATIC, { offSession: false, manual: true, source: 'hosted_page' });
  }

  /**
   * The customer disputes the invoice's last charge: `charge.dispute.created`. The dispute carries
   * the fields a webhook reads (charge, PaymentIntent, amount, reason, status), not the evidence
   * forms Stripe adds.
   */
  disputeInvoice(invoiceId: string, reason = 'fraudulent'): { id: string; charge: string; payment_intent: string } {
    const invoice = this.invoice(invoiceId);
    const payment = this.defaultInvoicePayment(invoice);
    const pi = payment ? this.data.paymentIntents[payment.payment.payment_intent as string] : undefined;
    const charge = typeof pi?.latest_charge === 'string' ? pi.latest_charge : undefined;
    if (!pi || !charge) throw invalidRequest(`Invoice ${invoiceId} has no charge to dispute.`);
    const dispute = {
      id: newId('dp'),
      object: 'dispute' as const,
      amount: invoice.amount_due,
      charge,
      created: nowSeconds(),
      currency: invoice.currency,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: pi.id,
      reason,
      status: 'needs_response' as const,
    };
    this.emit('charge.dispute.created', dispute, AUTOMATIC);
    return dispute;
  }

  // ---------------------------------------------------------------- scenario

  /**
   * A renewal that failed: customer, declining default card, subscription, open
   * `subscription_cycle` invoice, and Stripe's automatic first attempt, which fails and sends
   * `invoice.payment_failed`.
   */
  createFailedInvoiceScenario(opts: ScenarioOptions): ScenarioResult {
    if (!Number.isInteger(opts.amount) || opts.amount <= 0)
      throw invalidRequest('amount must be a positive integer in minor units', 'amount');
    const currency = opts.currency.toLowerCase();
    if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest('currency must be a three-letter ISO code', 'currency');
    const card = scenarioCard(opts.decline);
    // Checked before anything is created: a refused scenario leaves nothing behind.
    const otherCard = opts.subscriptionCard && findTestCard(opts.subscriptionCard.customerDefault);
    if (opts.subscriptionCard && !otherCard) {
      throw invalidRequest(`Unknown test payment method: ${opts.subscriptionCard.customerDefault}`, 'subscriptionCard');
    }
    const saved = (opts.savedCards ?? []).map((id) => {
      const c = findTestCard(id);
      if (!c) throw invalidRequest(`Unknown test card: ${id}`, 'savedCards');
      return c;
    });
    const existing = opts.customerId === undefined ? undefined : this.customer(opts.customerId, 'customerId');
    if (existing && (opts.decline !== undefined || opts.subscriptionCard || opts.ownCards)) {
      throw invalidRequest("with customerId, the customer's default card is charged: set its behaviour instead", 'customerId');
    }
    if (existing && opts.customerMetadata) {
      throw invalidRequest("with customerId, the customer's metadata stays as it is", 'customerMetadata');
    }
    const existingCard = existing && this.data.paymentMethods[String(existing.invoice_settings.default_payment_method ?? '')];
    if (existing && !existingCard) throw invalidRequest('the customer has no default payment method', 'customerId');
    const metadata = { ...opts.customerMetadata, ...(opts.timeZone ? { timezone: opts.timeZone } : {}) };
    const customer =
      existing ??
      this.createCustomer(
        {
          email: opts.email,
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.phone ? { phone: opts.phone } : {}),
          ...(opts.preferredLocales ? { preferred_locales: opts.preferredLocales } : {}),
          ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        },
        AUTOMATIC,
        opts.webhooks === false || opts.ownCards || opts.smartRetries
          ? {
              muted: opts.webhooks === false,
              ownCards: opts.ownCards ?? false,
              ...(opts.smartRetries ? { smartRetries: smartRetrySchedule(opts.smartRetries) } : {}),
            }
          : undefined,
      );
    const savedPms = saved.map((c) => this.addCard(c, customer.id, AUTOMATIC));
    const customerDefault = otherCard ? this.addCard(otherCard, customer.id, AUTOMATIC) : undefined;
    const pm = existingCard ?? this.addCard(card, customer.id, AUTOMATIC);
    if (!existingCard) {
      this.updateCustomer(customer.id, { invoice_settings: { default_payment_method: (customerDefault ?? pm).id } }, AUTOMATIC);
    }

    const price = priceObject({ amount: opts.amount, currency, nickname: opts.planName ?? 'Pro (monthly)' });
    this.data.prices[price.id] = price;
    const periodStart = nowSeconds();
    const periodEnd = periodStart + 30 * 24 * 3600;
    const sub = subscriptionObject({ customer: customer.id, price, periodStart, periodEnd });
    if (customerDefault) sub.default_payment_method = pm.id;
    this.data.subscriptions[sub.id] = sub;
    this.emit('customer.subscription.created', sub, AUTOMATIC);

    const sequence = customer.next_invoice_sequence ?? 1;
    customer.next_invoice_sequence = sequence + 1;
    const invoice = subscriptionCycleInvoiceObject({
      customer,
      subscription: sub,
      price,
      number: `${customer.invoice_prefix}-${String(sequence).padStart(4, '0')}`,
      hostedInvoiceUrl: '',
      periodStart,
      periodEnd,
    });
    if (opts.signup) {
      // As Stripe: a subscription whose first payment fails stays `incomplete` (expired after 23 h).
      invoice.billing_reason = 'subscription_create';
      sub.status = 'incomplete';
      sub.created = periodStart;
    }
    invoice.hosted_invoice_url = `${this.hooks.baseUrl}/_sandbox/invoices/${invoice.id}`;
    invoice.invoice_pdf = `${invoice.hosted_invoice_url}/pdf`;
    this.data.invoices[invoice.id] = invoice;
    const pi = invoicePaymentIntentObject(invoice);
    this.data.paymentIntents[pi.id] = pi;
    const invoicePayment = invoicePaymentObject(invoice, pi.id);
    this.data.invoicePayments[invoicePayment.id] = invoicePayment;
    sub.latest_invoice = invoice.id;
    this.emit('invoice.created', invoice, AUTOMATIC);
    this.emit('invoice.finalized', invoice, AUTOMATIC);

    this.attemptPayment(invoice, pm, AUTOMATIC, { offSession: true, manual: false, source: 'automatic' });
    return {
      customerId: customer.id,
      paymentMethodId: pm.id,
      ...(customerDefault ? { customerDefaultPaymentMethodId: customerDefault.id } : {}),
      ...(savedPms.length > 0 ? { savedPaymentMethodIds: savedPms.map((p) => p.id) } : {}),
      subscriptionId: sub.id,
      invoiceId: invoice.id,
      paymentIntentId: pi.id,
      hostedInvoiceUrl: invoice.hosted_invoice_url,
    };
  }

  // ---------------------------------------------------------------- charging

  private paymentMethodForInvoice(invoice: Stripe.Invoice, explicit: string | undefined): Stripe.PaymentMethod {
    const customerId = invoice.customer as string;
    if (explicit) return this.requireAttached(explicit, customerId, 'payment_method');
    const subId = invoice.parent?.subscription_details?.subscription;
    const sub = typeof subId === 'string' ? this.data.subscriptions[subId] : undefined;
    const customer = this.customer(customerId);
    // Stripe's order. Sources (`default_source`) are modelled only as ids of stored cards.
    const candidate =
      invoice.default_payment_method ??
      invoice.default_source ??
      sub?.default_payment_method ??
      sub?.default_source ??
      customer.invoice_settings.default_payment_method ??
      customer.default_source;
    const pmId = typeof candidate === 'string' ? candidate : candidate?.id;
    const pm = pmId ? this.data.paymentMethods[pmId] : undefined;
    if (!pm) {
      throw invalidRequest(
        'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
      );
    }
    return pm;
  }

  private defaultInvoicePayment(invoice: Stripe.Invoice): Stripe.InvoicePayment | undefined {
    return Object.values(this.data.invoicePayments).find((p) => p.invoice === invoice.id && p.is_default);
  }

  private attemptPayment(invoice: Stripe.Invoice, pm: Stripe.PaymentMethod, ctx: RequestContext, how: AttemptHow): AttemptResult {
    const invoicePayment = this.defaultInvoicePayment(invoice);
    const pi = invoicePayment ? this.data.paymentIntents[invoicePayment.payment.payment_intent as string] : undefined;
    if (!invoicePayment || !pi) throw new Error(`stripe sandbox: invoice ${invoice.id} has no default payment`);
    // Stripe's attempt_count follows the retry schedule: the first attempt counts, and later manual
    // attempts (invoices.pay) do not move it.
    if (invoice.attempt_count === 0 || !how.manual) invoice.attempt_count += 1;
    invoice.attempted = true;
    // The retry schedule moves with the count; a manual attempt leaves it where it was.
    if (invoice.attempt_count === 1 || !how.manual) invoice.next_payment_attempt = this.scheduledAttempt(invoice);
    const chargeId = newId('ch');
    pi.payment_method = pm.id;
    pi.latest_charge = chargeId;

    let behaviour = this.behaviour(pm.id);
    // As Stripe: a card past its expiry month is declined by its issuer, whatever it would do otherwise.
    if (cardExpired(pm)) behaviour = { outcome: 'decline', code: 'expired_card', declineCode: 'expired_card' };
    // As Stripe: a server-side pay cannot run the bank's challenge, on-session or not (402
    // invoice_payment_intent_requires_action); the hosted invoice page is where the customer
    // authenticates, and there it succeeds.
    if (behaviour.outcome === 'require_authentication' && how.source === 'hosted_page') behaviour = { outcome: 'succeed' };

    const charge: ChargeRecord = {
      at: new Date().toISOString(),
      invoiceId: invoice.id,
      paymentMethodId: pm.id,
      fingerprint: pm.card?.fingerprint ?? null,
      idempotencyKey: ctx.idempotencyKey,
      requestId: ctx.requestId,
      source: how.source,
      outcome: CHARGE_OUTCOME[behaviour.outcome],
      ...(behaviour.outcome === 'decline' && behaviour.declineCode ? { declineCode: behaviour.declineCode } : {}),
    };
    this.data.charges.push(charge);

    if (behaviour.outcome === 'succeed') {
      this.markPaid(invoice, { pi, invoicePayment }, ctx);
      return { ok: true };
    }
    if (behaviour.outcome === 'processing') {
      // A bank debit: accepted now, settled in days. The invoice stays open and `pay` answers 200
      // with it; only the PaymentIntent says the money is on its way.
      pi.status = 'processing';
      pi.last_payment_error = null;
      pi.next_action = null;
      this.emit('payment_intent.processing', pi, ctx);
      return { ok: true };
    }

    const code = behaviour.outcome === 'decline' ? (behaviour.code ?? 'card_declined') : 'authentication_required';
    const declineCode = behaviour.outcome === 'decline' ? behaviour.declineCode : 'authentication_required';
    const lastError: Stripe.PaymentIntent.LastPaymentError = {
      type: 'card_error',
      charge: chargeId,
      code: code as Stripe.PaymentIntent.LastPaymentError.Code,
      ...(declineCode ? { decline_code: declineCode } : {}),
      ...(behaviour.outcome === 'decline' && behaviour.adviceCode ? { advice_code: behaviour.adviceCode } : {}),
      ...(behaviour.outcome === 'decline' && behaviour.networkDeclineCode
        ? { network_decline_code: behaviour.networkDeclineCode }
        : {}),
      ...(behaviour.outcome === 'decline' && behaviour.networkAdviceCode
        ? { network_advice_code: behaviour.networkAdviceCode }
        : {}),
      doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`,
      message: (behaviour.outcome === 'decline' ? behaviour.message : undefined) ?? declineMessage(code, declineCode),
      payment_method: structuredClone(pm),
    };
    pi.last_payment_error = lastError;
    if (behaviour.outcome === 'require_authentication') {
      pi.status = 'requires_action';
      pi.next_action = {
        type: 'use_stripe_sdk',
        use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `${this.hooks.baseUrl}/_sandbox/invoices/${invoice.id}` },
      };
    } else {
      pi.status = 'requires_payment_method';
      pi.next_action = null;
    }

    this.emit('payment_intent.payment_failed', pi, ctx);
    if (behaviour.outcome === 'require_authentication') {
      this.emit('payment_intent.requires_action', pi, ctx);
      this.emit('invoice.payment_action_required', invoice, ctx);
    }
    this.emit('invoice.payment_failed', invoice, ctx);
    this.setSubscriptionStatus(invoice, 'past_due', ctx);

    const error =
      behaviour.outcome === 'require_authentication'
        ? new StripeApiError(402, {
            type: 'card_error',
            code: 'invoice_payment_intent_requires_action',
            doc_url: 'https://stripe.com/docs/error-codes/invoice-payment-intent-requires-action',
            message:
              'This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice. For more details see: https://stripe.com/docs/billing/subscriptions/overview#requires-action',
            payment_intent: structuredClone(pi),
          })
        : new StripeApiError(402, {
            type: 'card_error',
            code,
            message: lastError.message ?? declineMessage(code, declineCode),
            ...(lastError.decline_code ? { decline_code: lastError.decline_code } : {}),
            ...(lastError.advice_code ? { advice_code: lastError.advice_code } : {}),
            ...(lastError.network_decline_code ? { network_decline_code: lastError.network_decline_code } : {}),
            ...(lastError.network_advice_code ? { network_advice_code: lastError.network_advice_code } : {}),
            charge: chargeId,
            doc_url: lastError.doc_url,
            payment_intent: structuredClone(pi),
            payment_method: structuredClone(pm),
          });
    return { ok: false, error };
  }

  /**
   * The bank's answer to a debit that was processing, days later: `succeed` pays the invoice
   * (`invoice.paid`), `fail` fails it (`invoice.payment_failed`), both as Stripe's own events
   * (`request.id` null). ACH return codes become Stripe's error codes (`insufficient_funds`,
   * `account_closed`, `debit_not_authorized`...).
   */
  settleDebit(
    invoiceId: string,
    settlement: { outcome: 'succeed' } | { outcome: 'fail'; code?: string; message?: string },
  ): Stripe.Invoice {
    const invoice = this.invoice(invoiceId);
    const invoicePayment = this.defaultInvoicePayment(invoice);
    const pi = invoicePayment ? this.data.paymentIntents[invoicePayment.payment.payment_intent as string] : undefined;
    if (!invoicePayment || !pi || pi.status !== 'processing' || invoice.status !== 'open') {
      throw invalidRequest(`Invoice ${invoiceId} has no payment processing.`, 'invoice');
    }
    if (settlement.outcome === 'succeed') {
      this.markPaid(invoice, { pi, invoicePayment }, AUTOMATIC);
      return invoice;
    }
    const pmId = typeof pi.payment_method === 'string' ? pi.payment_method : pi.payment_method?.id;
    const pm = pmId ? this.data.paymentMethods[pmId] : undefined;
    const code = settlement.code ?? 'insufficient_funds';
    pi.status = 'requires_payment_method';
    pi.last_payment_error = {
      type: 'card_error',
      code: code as Stripe.PaymentIntent.LastPaymentError.Code,
      doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`,
      message: settlement.message ?? debitFailureMessage(code),
      ...(pm ? { payment_method: structuredClone(pm) } : {}),
    };
    this.emit('payment_intent.payment_failed', pi, AUTOMATIC);
    this.emit('invoice.payment_failed', invoice, AUTOMATIC);
    this.setSubscriptionStatus(invoice, 'past_due', AUTOMATIC);
    return invoice;
  }

  private markPaid(
    invoice: Stripe.Invoice,
    payment: { pi: Stripe.PaymentIntent; invoicePayment: Stripe.InvoicePayment } | null,
    ctx: RequestContext,
  ): void {
    const now = nowSeconds();
    const amount = invoice.amount_remaining;
    invoice.status = 'paid';
    invoice.amount_paid += amount;
    invoice.amount_remaining = 0;
    invoice.attempted = true;
    invoice.next_payment_attempt = null;
    invoice.status_transitions.paid_at = now;
    if (payment) {
      const { pi, invoicePayment } = payment;
      pi.status = 'succeeded';
      pi.amount_received = pi.amount;
      pi.last_payment_error = null;
      pi.next_action = null;
      invoicePayment.status = 'paid';
      invoicePayment.amount_paid = amount;
      invoicePayment.status_transitions.paid_at = now;
      this.emit('payment_intent.succeeded', pi, ctx);
      this.emit('invoice_payment.paid', invoicePayment, ctx);
    } else {
      invoice.amount_paid_off_stripe = amount;
    }
    this.emit('invoice.paid', invoice, ctx);
    this.emit('invoice.payment_succeeded', invoice, ctx);
    this.setSubscriptionStatus(invoice, 'active', ctx);
  }

  private setSubscriptionStatus(invoice: Stripe.Invoice, status: 'active' | 'past_due', ctx: RequestContext): void {
    const subId = invoice.parent?.subscription_details?.subscription;
    const sub = typeof subId === 'string' ? this.data.subscriptions[subId] : undefined;
    if (!sub || sub.status === 'canceled' || sub.status === status || sub.latest_invoice !== invoice.id) return;
    // A failed first payment leaves the subscription `incomplete` (not past_due); paid, it is active.
    if (sub.status === 'incomplete' && status === 'past_due') return;
    const previous = { status: sub.status };
    sub.status = status;
    this.emit('customer.subscription.updated', sub, ctx, previous);
  }

  // ---------------------------------------------------------------- events

  emit(type: Stripe.Event.Type, object: object, ctx: RequestContext, previous?: Record<string, unknown>): StripeEventPayload {
    const event: StripeEventPayload = {
      id: newId('evt'),
      object: 'event',
      api_version: this.hooks.apiVersion,
      created: nowSeconds(),
      // A snapshot: later changes to the object must not rewrite what the event said.
      data: { object: structuredClone(object), ...(previous ? { previous_attributes: structuredClone(previous) } : {}) },
      livemode: false,
      pending_webhooks: this.hooks.pendingWebhooks(),
      request: { id: ctx.requestId, idempotency_key: ctx.idempotencyKey },
      type,
    };
    const record: StripeEventRecord = { event, delivery: { status: 'not_configured', attempts: [] } };
    this.data.events.push(record);
    this.hooks.onEvent(record);
    return event;
  }
}

/**
 * `flow_data[after_completion]`: where the customer goes once the flow is done. Default: back to
 * the portal's homepage (whose link leads to `return_url`); `redirect` needs its `return_url`.
 */
function portalAfterCompletion(flow: Params): Stripe.BillingPortal.Session.Flow.AfterCompletion {
  const after = optionalHash(flow, 'after_completion');
  if (!after) return { hosted_confirmation: null, redirect: null, type: 'portal_homepage' };
  const type = optionalString(after, 'type', 'flow_data[after_completion][type]');
  if (!type) throw missingParam('flow_data[after_completion][type]');
  if (type === 'redirect') {
    const redirect = optionalHash(after, 'redirect');
    const url = redirect
      ? optionalString(redirect, 'return_url', 'flow_data[after_completion][redirect][return_url]')
      : undefined;
    if (!url) throw missingParam('flow_data[after_completion][redirect][return_url]');
    return { hosted_confirmation: null, redirect: { return_url: url }, type };
  }
  if (type === 'portal_homepage') return { hosted_confirmation: null, redirect: null, type };
  if (type === 'hosted_confirmation') {
    const conf = optionalHash(after, 'hosted_confirmation');
    const message = conf
      ? optionalString(conf, 'custom_message', 'flow_data[after_completion][hosted_confirmation][custom_message]')
      : undefined;
    return { hosted_confirmation: { custom_message: message ?? null }, redirect: null, type };
  }
  throw invalidRequest(`Invalid flow_data[after_completion][type]: ${type}`, 'flow_data[after_completion][type]');
}

/** Stripe's messages for the bank debit failures the sandbox models. */
function debitFailureMessage(code: string): string {
  if (code === 'insufficient_funds') return "The customer's account has insufficient funds to cover this payment.";
  if (code === 'account_closed') return "The customer's bank account has been closed.";
  if (code === 'debit_not_authorized') return 'The customer has notified their bank that this payment was unauthorized.';
  return 'The bank debit failed.';
}

/** Valid through the end of its expiry month (UTC). */
function cardExpired(pm: Stripe.PaymentMethod): boolean {
  const c = pm.card;
  if (!c?.exp_month || !c.exp_year) return false;
  return Date.now() >= Date.UTC(c.exp_year, c.exp_month, 1);
}

function listLimit(params: Params): number {
  const limit = optionalInteger(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid integer: limit must be between 1 and 100', 'limit');
  return limit;
}

function smartRetrySchedule(opt: NonNullable<ScenarioOptions['smartRetries']>): { attempts: number; intervalSeconds: number } {
  if (opt === true) return DEFAULT_SMART_RETRIES;
  const schedule = {
    attempts: DEFAULT_SMART_RETRIES.attempts,
    intervalSeconds: DEFAULT_SMART_RETRIES.intervalSeconds,
    ...(opt || {}),
  };
  if (!Number.isInteger(schedule.attempts) || schedule.attempts < 2 || schedule.attempts > 8)
    throw invalidRequest('smartRetries.attempts must be an integer from 2 to 8', 'smartRetries.attempts');
  return schedule;
}

function scenarioCard(decline: ScenarioOptions['decline']): TestCard {
  if (decline === undefined) return findTestCard('pm_card_chargeDeclinedInsufficientFunds') as TestCard;
  if (typeof decline === 'string') {
    const card = findTestCard(decline);
    if (!card) throw invalidRequest(`Unknown test payment method: ${decline}`, 'decline');
    return card;
  }
  const { brand, ...spec } = decline;
  return customDeclineCard(brand ?? 'visa', spec);
}
