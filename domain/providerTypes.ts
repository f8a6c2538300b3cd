/** Inputs and results of the activities, shared (as types only) with the workflows. */
import type { Offer } from './offers';
import type { Initiator } from './cardBudgetLedger';
import type { EndAction } from './policy';
import type { DeclineCategory, DeclineFacts, StripeCollection } from './types';

export type { StripeCollection } from './types';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export interface CardFacts {
  paymentMethodId?: string;
  /** Stripe's card fingerprint: the same physical card across customers and payment methods. */
  fingerprint?: string;
  brand?: string;
  last4?: string;
}

export interface DeclineDetails extends DeclineFacts {
  message?: string;
  card?: CardFacts;
}

export interface CaseFacts {
  invoice: {
    id: string;
    status: InvoiceStatus;
    customerId: string;
    amountDue: number;
    amountRemaining: number;
    currency: string;
    number?: string;
    hostedInvoiceUrl?: string;
    subscriptionId?: string;
    planId?: string;
  };
  customer: {
    id: string;
    email?: string;
    name?: string;
    preferredLocales: string[];
    timeZone?: string;
    defaultPaymentMethodId?: string;
  };
  /** The PaymentIntent's `last_payment_error`, reached through `invoicePayments`. */
  lastDecline?: DeclineDetails;
  /** A payment of the invoice that settles later (a bank debit) is under way: its PaymentIntent is `processing`. */
  paymentProcessing?: boolean;
  /**
   * The invoice's subscription as it is now: a subscription deleted before its failure reached us
   * (events come in any order) must not be dunned.
   */
  subscription?: { id: string; status: string };
  /**
   * The card Stripe charges this invoice by its own order (./effectiveCard.ts): a subscription's
   * own card outranks the customer's default. Absent when Stripe would charge no card.
   */
  effectivePaymentMethodId?: string;
  /** Stripe's own collection attempts on the invoice (`auto_advance`), as this read left them. */
  stripeCollection?: StripeCollection;
}

/** What the start read is asked to do besides reading. */
export interface LoadCaseFactsOptions {
  /** Turn Stripe's automatic collection off on the open invoice, with this idempotency key. */
  pauseStripeCollection?: { idempotencyKey: string };
  /**
   * The read follows Stripe's own retry: count its decline in the card's ledger (the card is the
   * one the decline names), under this key (`stripe:<invoice>/attempt_<attempt_count>`).
   */
  countStripeDecline?: { key: string; amount: number; currency: string };
}

export interface RetryChargeInput {
  invoiceId: string;
  /** Stable per case and step: a retried activity never charges twice. */
  idempotencyKey: string;
  /** Charge this payment method (a card the customer just added); default: the invoice's default. */
  paymentMethodId?: string;
  /**
   * The customer updated their card: with no `paymentMethodId`, the customer's new default is
   * charged (not the subscription's own card), and the card becomes the subscription's default.
   */
  cardUpdate?: true;
  /**
   * `customer`: the customer asked for this charge and is present (their own retry): not
   * `off_session`, and counted on the card's customer-initiated counter. Default `merchant`.
   */
  initiator?: Initiator;
}

export type RetryChargeResult =
  | { outcome: 'succeeded'; card?: CardFacts }
  | { outcome: 'already_paid' }
  | { outcome: 'invoice_closed'; status: InvoiceStatus }
  | { outcome: 'declined'; decline: DeclineDetails }
  | { outcome: 'requires_action'; decline: DeclineDetails }
  | { outcome: 'budget_exhausted'; retryAt: string; card: CardFacts }
  /** The card's ledger is blocked: an issuer said never to retry it (in this case or another). */
  | { outcome: 'card_blocked'; reason: string; card: CardFacts }
  /** The invoice's subscription was deleted: nothing is charged, the case ends. */
  | { outcome: 'subscription_ended'; status: string }
  /**
   * Accepted, not paid: a bank debit (ACH, SEPA) whose PaymentIntent is `processing`, the invoice
   * still open. The bank answers in days, with invoice.paid or invoice.payment_failed.
   */
  | { outcome: 'processing'; paymentIntentId: string; card?: CardFacts };

export interface EndActionInput {
  action: EndAction;
  invoiceId: string;
  subscriptionId?: string;
  idempotencyKey: string;
  /** The case paused Stripe's collection: give it back where the action leaves the invoice to Stripe. */
  releaseStripeCollection?: boolean;
}

/** Activity `applyOffer`: the customer accepted the last-chance offer (domain/offers.ts). */
export interface ApplyOfferInput {
  invoiceId: string;
  subscriptionId?: string;
  offer: Offer;
  /** The case's key for the offer step: the Stripe calls' idempotency keys are made from it. */
  key: string;
  /** A pause: when Stripe collects again (epoch seconds), fixed by the case so a retried call is the same request. */
  resumesAt?: number;
}

/** What `applyOffer` found and did. */
export type ApplyOfferResult =
  | { applied: true; detail: string }
  /** Nothing changed: the invoice is no longer open (paid, voided, written off) or the subscription ended. */
  | { applied: false; invoiceStatus?: string; subscriptionEnded?: true; detail: string };

export interface DunningEmailInput {
  /** A template name, or `payment_failed`: the variant for `declineCategory` is chosen. */
  template: string;
  to: string;
  /** The Stripe customer's `preferred_locales`: the first we have copy for wins, else English. */
  preferredLocales: string[];
  declineCategory: DeclineCategory;
  idempotencyKey: string;
  /**
   * ISO-8601: when the case decided to send this email (workflow time). The links' lifetime
   * starts here, so every try of the activity renders the same body: a retry under the same
   * Idempotency-Key is then the same request, which Resend answers with the first message's id
   * (a different body is refused with 409). Absent in inputs scheduled before it existed.
   */
  issuedAt?: string;
  invoiceId: string;
  customerId: string;
  /** From the Stripe customer: untrusted, escaped and flattened to one line by the templates. */
  customerName?: string;
  /** Minor units of `currency` (ISO 4217, any case): 1999 'usd' = $19.99, 50000 'vnd' = ₫50,000. */
  amountDue: number;
  currency: string;
  invoiceNumber?: string;
  /** IANA zone used to format dates; UTC when absent or unknown. */
  timeZone?: string;
  /** ISO-8601: when the next automatic attempt is scheduled. */
  nextRetryAt?: string;
  /** ISO-8601: when `endAction` takes effect (access restricted, subscription cancelled...). */
  endsAt?: string;
  endAction?: EndAction;
  /** Short machine reason, e.g. `expired_card`, `insufficient_funds`; unknown ones read as a generic decline. */
  declineReason?: string;
  cardBrand?: string;
  cardLast4?: string;
  /** The case was paid with another of the customer's saved cards (`cardBrand`, `cardLast4`): the email says so. */
  chargedOtherCard?: true;
  /** `last_chance_offer` only: what is offered (its page link is signed by the activity). */
  offer?: Offer;
}

export type AppEventType =
  | 'dunning.started'
  | 'dunning.recovered'
  | 'dunning.exhausted'
  | 'dunning.cancelled'
  /** The customer accepted the last-chance offer (domain/offers.ts): the case ends saved_by_offer. */
  | 'dunning.saved_by_offer'
  | 'access.warning'
  | 'access.restricted'
  | 'access.restored';

export interface AppEventInput {
  type: AppEventType;
  /** Stable per case and event: the app can dedupe on the `webhook-id` header. */
  id: string;
  occurredAt: string;
  data: Record<string, unknown>;
}
