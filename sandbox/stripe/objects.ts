import type Stripe from 'stripe';
import { newId, nowSeconds, randomToken } from './ids';
import { cardFingerprint, type TestBankAccount, type TestCard } from './test-cards';

/**
 * Builders for the Stripe objects the sandbox serves, typed against stripe-node's own types for the
 * pinned API version (2026-10-28): the compiler then rejects a missing or misnamed field, which is
 * what keeps the sandbox honest about shapes. Fields the sandbox has no use for carry Stripe's
 * "not set" value (`null`, `[]`, `{}`).
 */

/** On the wire a Stripe decimal is a string; stripe-node's `Decimal` type brands it. */
function decimal(value: string): Stripe.Decimal {
  return value as unknown as Stripe.Decimal;
}

export function customerObject(p: {
  email: string | null;
  name: string | null;
  preferredLocales: string[];
  metadata: Record<string, string>;
}): Stripe.Customer {
  return {
    id: newId('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: p.email,
    invoice_prefix: randomToken(8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: p.metadata,
    name: p.name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: p.preferredLocales,
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export function cardPaymentMethodObject(card: TestCard, customer: string | null): Stripe.PaymentMethod {
  return {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country,
      display_brand: card.brand === 'amex' ? 'american_express' : card.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      fingerprint: cardFingerprint(card.number),
      funding: 'credit',
      generated_from: null,
      last4: card.number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: nowSeconds(),
    customer,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

export function usBankAccountPaymentMethodObject(bank: TestBankAccount, customer: string | null): Stripe.PaymentMethod {
  return {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    created: nowSeconds(),
    customer,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'us_bank_account',
    us_bank_account: {
      account_holder_type: 'individual',
      account_type: 'checking',
      bank_name: bank.bankName,
      financial_connections_account: null,
      fingerprint: cardFingerprint(`bank:${bank.routingNumber}/${bank.accountNumber}`),
      last4: bank.accountNumber.slice(-4),
      networks: { preferred: 'ach', supported: ['ach'] },
      routing_number: bank.routingNumber,
      status_details: {},
    },
  };
}

export function priceObject(p: { amount: number; currency: string; nickname: string }): Stripe.Price {
  return {
    id: newId('price'),
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: nowSeconds(),
    currency: p.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: p.nickname,
    product: newId('prod'),
    recurring: { interval: 'month', interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: p.amount,
    unit_amount_decimal: decimal(String(p.amount)),
  };
}

/** The legacy `plan` twin of a recurring price, still embedded in subscription items. */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  return {
    id: price.id,
    object: 'plan',
    active: true,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: 'month',
    interval_count: 1,
    livemode: false,
    metadata: {},
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

export function subscriptionObject(p: {
  customer: string;
  price: Stripe.Price;
  periodStart: number;
  periodEnd: number;
}): Stripe.Subscription {
  const id = newId('sub');
  const created = p.periodStart - 30 * 24 * 3600; // a renewal: the subscription began a period earlier
  return {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: created,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created,
    currency: p.price.currency,
    customer: p.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: {
      object: 'list',
      data: [
        {
          id: newId('si'),
          object: 'subscription_item',
          billing_thresholds: null,
          created,
          current_period_end: p.periodEnd,
          current_period_start: p.periodStart,
          current_trial: null,
          discounts: [],
          metadata: {},
          plan: planFromPrice(p.price),
          price: p.price,
          quantity: 1,
          subscription: id,
          tax_rates: [],
        },
      ],
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: created,
    status: 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}

export function subscriptionCycleInvoiceObject(p: {
  customer: Stripe.Customer;
  subscription: Stripe.Subscription;
  price: Stripe.Price;
  number: string;
  hostedInvoiceUrl: string;
  periodStart: number;
  periodEnd: number;
}): Stripe.Invoice {
  const id = newId('in');
  const amount = p.price.unit_amount ?? 0;
  const now = nowSeconds();
  const item = p.subscription.items.data[0];
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Dunning Sandbox',
    account_tax_ids: null,
    amount_due: amount,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: amount,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: 'subscription_cycle',
    collection_method: 'charge_automatically',
    created: now,
    currency: p.price.currency,
    custom_fields: null,
    customer: p.customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: p.customer.email,
    customer_name: p.customer.name ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: now,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: p.hostedInvoiceUrl,
    invoice_pdf: `${p.hostedInvoiceUrl}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list',
      data: [
        {
          id: newId('il'),
          object: 'line_item',
          amount,
          currency: p.price.currency,
          description: `1 × ${p.price.nickname ?? 'Subscription'} (at ${amount} / month)`,
          discount_amounts: [],
          discountable: true,
          discounts: [],
          invoice: id,
          livemode: false,
          metadata: {},
          parent: {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: p.subscription.id,
              subscription_item: item?.id ?? '',
            },
            type: 'subscription_item_details',
          },
          period: { end: p.periodEnd, start: p.periodStart },
          pretax_credit_amounts: [],
          pricing: {
            price_details: {
              price: p.price.id,
              product: typeof p.price.product === 'string' ? p.price.product : p.price.product.id,
            },
            type: 'price_details',
            unit_amount_decimal: p.price.unit_amount_decimal,
          },
          quantity: 1,
          quantity_decimal: decimal('1'),
          subscription: p.subscription.id,
          subtotal: amount,
          taxes: [],
        },
      ],
      has_more: false,
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: p.number,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: {}, subscription: p.subscription.id },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: p.periodStart,
    period_start: p.periodStart - 30 * 24 * 3600,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'open',
    status_transitions: { finalized_at: now, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: amount,
    subtotal_excluding_tax: amount,
    test_clock: null,
    total: amount,
    total_discount_amounts: [],
    total_excluding_tax: amount,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: now,
  };
}

/** The invoice's default PaymentIntent: created at finalization and reused by every attempt. */
export function invoicePaymentIntentObject(invoice: Stripe.Invoice): Stripe.PaymentIntent {
  const id = newId('pi');
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: invoice.amount_due,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${randomToken(25)}`,
    confirmation_method: 'automatic',
    created: nowSeconds(),
    currency: invoice.currency,
    customer: typeof invoice.customer === 'string' ? invoice.customer : (invoice.customer?.id ?? null),
    customer_account: null,
    description: 'Subscription update',
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

export function invoicePaymentObject(invoice: Stripe.Invoice, paymentIntentId: string): Stripe.InvoicePayment {
  return {
    id: newId('inpay'),
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: invoice.amount_due,
    created: nowSeconds(),
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: false,
    payment: { payment_intent: paymentIntentId, type: 'payment_intent' },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  };
}

export function portalSessionObject(p: {
  customer: string;
  returnUrl: string | null;
  flowType: Stripe.BillingPortal.Session.Flow.Type | null;
  /** The flow's `after_completion`; default: back to the portal's homepage. */
  afterCompletion?: Stripe.BillingPortal.Session.Flow.AfterCompletion;
  locale?: string | null;
  url: (id: string) => string;
}): Stripe.BillingPortal.Session {
  const id = newId('bps');
  return {
    id,
    object: 'billing_portal.session',
    configuration: 'bpc_sandboxdefault000000000',
    created: nowSeconds(),
    customer: p.customer,
    customer_account: null,
    flow: p.flowType
      ? {
          after_completion: p.afterCompletion ?? { hosted_confirmation: null, redirect: null, type: 'portal_homepage' },
          customer_update: null,
          subscription_cancel: null,
          subscription_pause: null,
          subscription_update: null,
          subscription_update_confirm: null,
          type: p.flowType,
        }
      : null,
    livemode: false,
    locale: (p.locale ?? null) as Stripe.BillingPortal.Session.Locale | null,
    on_behalf_of: null,
    return_url: p.returnUrl,
    url: p.url(id),
  };
}
