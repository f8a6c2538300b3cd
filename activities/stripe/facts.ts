/** Reading Stripe objects into the plain facts the workflow works with. */
import type Stripe from 'stripe';
import type { PaymentDefaults } from '../../domain/effectiveCard';
import type { CardFacts, CaseFacts, DeclineDetails, InvoiceStatus } from '../../domain/providerTypes';

const idOf = (x: string | { id: string } | null | undefined): string | undefined =>
  x == null ? undefined : typeof x === 'string' ? x : x.id;

export function invoiceFacts(inv: Stripe.Invoice): CaseFacts['invoice'] {
  const line = inv.lines?.data?.[0];
  return {
    id: inv.id!,
    status: (inv.status ?? 'open') as InvoiceStatus,
    customerId: idOf(inv.customer as string | Stripe.Customer)!,
    amountDue: inv.amount_due,
    amountRemaining: inv.amount_remaining,
    currency: inv.currency,
    number: inv.number ?? undefined,
    hostedInvoiceUrl: inv.hosted_invoice_url ?? undefined,
    // Since API 2025-03-31 the subscription lives under `parent.subscription_details`.
    subscriptionId: idOf(inv.parent?.subscription_details?.subscription as string | Stripe.Subscription | undefined),
    planId: idOf(line?.pricing?.price_details?.price as string | Stripe.Price | undefined),
  };
}

export function customerFacts(c: Stripe.Customer): CaseFacts['customer'] {
  const tz = c.metadata?.timezone ?? c.metadata?.time_zone;
  return {
    id: c.id,
    email: c.email ?? undefined,
    name: c.name ?? undefined,
    preferredLocales: c.preferred_locales ?? [],
    timeZone: tz && isTimeZone(tz) ? tz : undefined,
    defaultPaymentMethodId: idOf(c.invoice_settings?.default_payment_method as string | Stripe.PaymentMethod | null),
  };
}

/** An invoice's or a subscription's own defaults (domain/effectiveCard.ts). */
export function ownPaymentDefaults(o: {
  default_payment_method: string | { id: string } | null;
  default_source: string | { id: string } | null;
}): PaymentDefaults {
  return { defaultPaymentMethod: idOf(o.default_payment_method), defaultSource: idOf(o.default_source) };
}

/** The customer's defaults: `invoice_settings.default_payment_method`, then `default_source`. */
export function customerPaymentDefaults(c: Stripe.Customer): PaymentDefaults {
  return {
    defaultPaymentMethod: idOf(c.invoice_settings?.default_payment_method as string | Stripe.PaymentMethod | null),
    defaultSource: idOf(c.default_source as string | { id: string } | null),
  };
}

export function cardFacts(pm: Stripe.PaymentMethod | string | null | undefined): CardFacts | undefined {
  if (!pm) return undefined;
  if (typeof pm === 'string') return { paymentMethodId: pm };
  return { paymentMethodId: pm.id, fingerprint: pm.card?.fingerprint ?? undefined, brand: pm.card?.brand, last4: pm.card?.last4 };
}

/** The decline facts of a `last_payment_error` or of a thrown StripeCardError (same fields). */
export function declineDetails(e: {
  code?: string | null;
  decline_code?: string | null;
  advice_code?: string | null;
  network_advice_code?: string | null;
  network_decline_code?: string | null;
  message?: string | null;
  payment_method?: Stripe.PaymentMethod | null;
}): DeclineDetails {
  const card = cardFacts(e.payment_method);
  return {
    code: e.code ?? undefined,
    declineCode: e.decline_code ?? undefined,
    adviceCode: e.advice_code ?? undefined,
    networkAdviceCode: e.network_advice_code ?? undefined,
    networkDeclineCode: e.network_decline_code ?? undefined,
    message: e.message ?? undefined,
    cardBrand: card?.brand,
    card,
  };
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
