/**
 * The facts a dunning case is made of. Shared by the workflow, its activities, the HTTP edge and
 * the client; plain data only, so it crosses the Temporal payload boundary as JSON.
 */
import type { SmsRecord } from './sms';
import type { EmailLocale } from './presentation';

import type { OfferStatus } from './offers';

/** How a decline should be treated. Every category has its own emails. */
export const DECLINE_CATEGORIES = [
  'insufficient_funds', // retry, ideally just after money arrives
  'temporary', // processing error and the like: retry soon
  'payment_method', // expired, incorrect number, lost, stolen, pickup, not supported: never retry the same card
  'authentication', // 3-D Secure / authentication required: the customer must act
  'never_retry', // do_not_try_again, Mastercard MAC 03/21, Visa category-1 codes
  'unknown', // nothing we recognise: be cautious
] as const;
export type DeclineCategory = (typeof DECLINE_CATEGORIES)[number];

/** Stripe's decline facts, as found on a PaymentIntent's `last_payment_error`. */
export interface DeclineFacts {
  /** Stripe error `code`, e.g. `card_declined`, `expired_card`, `authentication_required`. */
  code?: string;
  /** Stripe `decline_code`, e.g. `insufficient_funds`, `do_not_honor`, `lost_card`. */
  declineCode?: string;
  /** Stripe `advice_code`: `try_again_later`, `do_not_try_again`, `confirm_card_data`. */
  adviceCode?: string;
  /** Card network's raw decline code, e.g. Visa `05`, `51`. */
  networkDeclineCode?: string;
  /** Mastercard Merchant Advice Code, e.g. `03`, `21`, `24`..`30`. */
  networkAdviceCode?: string;
  /** Card brand (`visa`, `mastercard`, ...) when known: some rules are per network. */
  cardBrand?: string;
}

/** Signal `paymentFailed`: a failed attempt on the invoice (from the webhook, or a join). */
export interface PaymentFailedSignal extends DeclineFacts {
  /** Stripe event id: duplicates of the same delivery are ignored. */
  eventId?: string;
  invoiceId: string;
  customerId: string;
  subscriptionId?: string;
  amountDue: number;
  currency: string;
  invoiceNumber?: string;
  hostedInvoiceUrl?: string;
  /** Stripe's `attempt_count` on the invoice when the event was sent. */
  attemptCount?: number;
  /** Stripe's own retry schedule made this attempt (domain/stripeRetries.ts), not a request of ours. */
  byStripeSchedule?: true;
  /** Stripe's `next_payment_attempt` then (ISO); absent on its last scheduled attempt. */
  nextPaymentAttemptAt?: string;
  occurredAt: string;
}

export interface PaymentMethodUpdatedSignal {
  source: 'stripe' | 'api';
  paymentMethodId?: string;
  /**
   * The payment method keeps its id but its card data changed (Stripe's
   * `payment_method.automatically_updated`: new expiry or number from the card network). A card
   * that declined in this case is tried again only when this is set.
   */
  cardDataChanged?: boolean;
  occurredAt: string;
}

export interface PaymentSucceededSignal {
  source: string;
  occurredAt: string;
}

export interface CancelDunningSignal {
  reason: string;
  by: string;
}

/**
 * Resend's delivery events that mean the address must not be emailed again for the case: a hard
 * bounce, a spam complaint, an address on Resend's suppression list, a send that failed.
 */
export type EmailUndeliverableEvent = 'bounced' | 'complained' | 'suppressed' | 'failed';

/** Signal `emailUndeliverable`: Resend told us (POST /webhooks/resend) that an email did not reach its address. */
export interface EmailUndeliverableSignal {
  event: EmailUndeliverableEvent;
  /** The address, lower-cased. */
  address: string;
  /** Resend's email id: `emails[].messageId` of the email it was about. */
  emailId?: string;
  /** What Resend said: the bounce's or suppression's message, the failure's reason. */
  reason?: string;
  occurredAt: string;
}

/** In `status`: the address the case no longer emails, and why (the first event that said so). */
export type EmailUndeliverable = EmailUndeliverableSignal;

/**
 * What a case is in: open (`active`; `processing`, a payment that settles later, a bank debit, is
 * under way) or ended. Listed once: the API, the CLI and the dashboard filter by these.
 * `saved_by_offer`: the customer accepted the policy's last-chance offer (domain/offers.ts).
 */
export const CASE_STATES = ['active', 'processing', 'recovered', 'exhausted', 'cancelled', 'saved_by_offer'] as const;
export type CaseState = (typeof CASE_STATES)[number];
/** The states of a case that is still dunning; every other state is final. */
export const OPEN_STATES = ['active', 'processing'] as const satisfies readonly CaseState[];
export type OpenState = (typeof OPEN_STATES)[number];
export type FinalState = Exclude<CaseState, OpenState>;
/** Whether `state` (a search attribute's value, or none yet) is one of OPEN_STATES. */
export const isOpenState = (state: string | undefined): state is OpenState =>
  (OPEN_STATES as readonly string[]).includes(state ?? '');

/**
 * `customer_retry`: the customer pressed "Retry my payment now" (a customer-initiated charge).
 * `operator_retry`: an operator's retry now (`npm run cases -- retry-now`, a merchant-initiated charge).
 * `other_card`: another of the customer's saved cards, after the default card's declines (domain/otherCards.ts).
 */
export type AttemptTrigger =
  'schedule' | 'payment_method_updated' | 'stripe' | 'customer_retry' | 'operator_retry' | 'other_card';
export type AttemptOutcome =
  | 'succeeded'
  | 'declined'
  | 'skipped_already_paid'
  | 'skipped_invoice_closed'
  | 'skipped_budget'
  | 'skipped_never_retry'
  | 'skipped_subscription_ended'
  /** The customer disputed a payment: no more charges of their cases (see DisputeOpenedSignal). */
  | 'skipped_disputed'
  /** The case's card was detached from the customer: the case waits for a new card. */
  | 'skipped_card_detached'
  | 'requires_action'
  /** Accepted, not paid: a bank debit settling (the case is `processing` until the bank answers). */
  | 'processing'
  /** Stripe refused the request itself (a 400 such as "this payment method cannot be used"). */
  | 'error';

export interface AttemptRecord {
  at: string;
  trigger: AttemptTrigger;
  outcome: AttemptOutcome;
  declineCode?: string;
  /** What Stripe said, when the outcome is `error`. */
  error?: string;
  /** The card charged, on attempts of another saved card (`trigger: other_card`). */
  card?: { brand?: string; last4?: string };
}

export interface EmailRecord {
  at: string;
  template: string;
  messageId?: string;
  /** Set when the provider refused for good (quota, invalid address): visible in the case. */
  error?: string;
}

export type NextActionKind = 'email' | 'retry' | 'final_notice' | 'offer' | 'sms' | 'restrict_access' | 'end_action';

/** Query `status`: the case as JSON. Times are ISO-8601, amounts integers in minor units. */
export interface DunningStatus {
  invoiceId: string;
  customerId: string;
  subscriptionId?: string;
  state: CaseState;
  amountDue: number;
  currency: string;
  declineCategory: DeclineCategory;
  attempts: AttemptRecord[];
  emails: EmailRecord[];
  nextAction?: { kind: NextActionKind; at: string };
  startedAt: string;
  endedAt?: string;
  outcome?: string;
  /** Set while the case waits out a provider that does not answer (or refuses our key). */
  blockedOn?: BlockedOn;
  /** The card the case charges (what the customer's retry page shows). */
  card?: { brand?: string; last4?: string };
  /** Whether the customer may retry with the same card now, and if not why and from when. */
  customerRetry?: { allowed: true } | RetryNotPossible;
  /** The zone the case plans and shows its times in (the customer's, else the policy's), once its facts are known. */
  timeZone?: string;
  /** Resend could not deliver to the customer's address: no further email goes to it ("email undeliverable"). */
  emailUndeliverable?: EmailUndeliverable;
  /** Stripe's own collection attempts on the invoice: `paused_by_case` once the case took them over. */
  stripeCollection?: StripeCollection;
  /** Set when Stripe's own retry schedule still charged the invoice during the case: with the fix. */
  stripeRetrying?: StripeRetrying;
  /** The customer disputed a payment while the case ran: it charges no more (emails go on). */
  dispute?: { disputeId: string; reason?: string; at: string };
  /** The policy experiment and arm the case runs in (docs/policy.md, Experiments); absent outside any. */
  experiment?: { experimentId: string; arm: string };
  /**
   * While `processing`: since when a debit settles, and when the case asks Stripe itself if the
   * bank has not answered by then (invoice.paid / invoice.payment_failed act at once).
   */
  processing?: { since: string; checkAt: string; paymentIntentId?: string };
  /** The customer's language, as the emails speak it (the in-app notice too), once the case's facts are known. */
  locale?: EmailLocale;
  /** When the grace period ends (access.restricted, else the end action), once the case has a plan. */
  graceEndsAt?: string;
  /**
   * Another saved card (policy `otherCards`): once the case has looked, what it found: `charged`
   * (it charged `tried` other cards; the attempts say how each answered), or why it charged none.
   */
  otherCards?: OtherCardsTurn;
  /** The last-chance offer, once its email went out: what, when, and whether it was taken. */
  offer?: OfferStatus;
  /** The case's text messages (policy `sms` steps), sent or not and why; absent until the first is due. */
  sms?: SmsRecord[];
  /** What the texts sent cost: segments, and dollars at TWILIO_PRICE_PER_SEGMENT (millionths). */
  smsCost?: { messages: number; segments: number; microUsd: number };
}

export interface OtherCardsTurn {
  at: string;
  outcome: 'charged' | 'none_eligible' | 'no_consent' | 'consent_unreadable' | 'error';
  tried: number;
}

/** Signal `paymentMethodDetached`: Stripe's `payment_method.detached` of one of the customer's cards. */
export interface PaymentMethodDetachedSignal {
  paymentMethodId: string;
  occurredAt: string;
}

/**
 * Signal `disputeOpened`: the customer disputed a charge (Stripe's `charge.dispute.created`), so
 * every case of theirs stops charging: another charge would likely be disputed too, and disputes
 * cost fees and count against the account. The case goes on emailing, so the customer can still
 * pay on the hosted page, and ends as its schedule says.
 */
export interface DisputeOpenedSignal {
  disputeId: string;
  chargeId?: string;
  reason?: string;
  occurredAt: string;
}

/**
 * Stripe's automatic collection on the case's invoice: `on` (Stripe retries beside the case),
 * `off` (the merchant turned it off), `paused_by_case` (the case turned it off at its start),
 * `pause_refused` (Stripe refused the change), `released` (given back to Stripe at the end).
 */
export type StripeCollection = 'on' | 'off' | 'paused_by_case' | 'pause_refused' | 'released';

/** Stripe's latest own scheduled attempt on a case's invoice (see domain/stripeRetries.ts). */
export interface StripeRetrying {
  /** Stripe's `attempt_count` after it. */
  attemptCount: number;
  /** When the case heard of it. */
  lastAt: string;
  /** Stripe's next scheduled attempt; absent after its last. */
  nextAttemptAt?: string;
  /** What to do about it, in plain words. */
  fix: string;
}

/** Why a customer's retry cannot happen now (and, when it can later, from when). */
export type RetryRefusal =
  | 'case_over' // recovered, exhausted or cancelled: the page shows the outcome
  | 'not_retryable' // a hard decline, authentication, or an unknown state: the same card cannot succeed
  | 'card_blocked' // an issuer said never to retry this card
  | 'cooldown' // the customer retried less than the policy's customerRetryCooldown ago
  | 'budget' // the card's network reattempt budget is used up for now
  | 'busy' // a charge of this case is under way
  | 'processing'; // a payment that settles later (a bank debit) is under way: nothing charges until the bank answers

export interface RetryNotPossible {
  allowed: false;
  reason: RetryRefusal;
  /** When a retry will be possible again, if it will. */
  retryAt?: string;
}

export interface RetryRequest {
  /** The confirmation page's nonce: a double-click or a repeated POST is the same request. */
  requestId: string;
}

/** An operator's action on a case (retry now, resend the link): `requestId` is the Update's id. */
export interface OperatorRequest {
  /** A repeated request (the same id) is the same action, carried out once. */
  requestId: string;
  /** Who asked (an operator's name or a system's), for the logs. */
  by?: string;
}

/** Why a fresh link email cannot be sent now. */
export type LinkRefusal =
  | 'case_over' // recovered, exhausted or cancelled
  | 'busy' // the case has not read its facts from Stripe yet: nothing to write the email with
  | 'no_email_address' // the Stripe customer has no email address
  | 'email_undeliverable' // Resend could not deliver to it (bounced, complained, suppressed, failed)
  | 'processing'; // a bank debit is settling: no "please pay" email meanwhile

export interface LinkNotPossible {
  allowed: false;
  reason: LinkRefusal;
}

/** The answer of the `resendLinkRequested` Update: the email as `status.emails` records it. */
export type ResendLinkOutcome =
  | { outcome: 'sent'; at: string; template: string; messageId?: string }
  /** The email provider refused it (recorded in `status.emails` with the error). */
  | { outcome: 'failed'; at: string; template: string; error: string }
  /** Found out only when the case came to it (the case ended meanwhile). */
  | { outcome: 'not_possible'; reason: LinkRefusal };

/** The answer of the `retryRequested` Update: what the charge did. */
export type RetryOutcome =
  | { outcome: 'succeeded' }
  | { outcome: 'declined'; declineCategory: DeclineCategory; declineCode?: string }
  /** The bank asks the customer to confirm (3-D Secure): on the invoice's hosted page. */
  | { outcome: 'requires_action'; hostedInvoiceUrl?: string }
  /** Accepted, not paid yet: a bank debit that settles in days. */
  | { outcome: 'processing' }
  /** Found out only while charging (the card's budget, a block, the case ending meanwhile). */
  | { outcome: 'not_possible'; reason: RetryRefusal; retryAt?: string };

/**
 * The answer of the `reencryptRequested` Update: taken; the case continues as new (its new run's
 * history written under the current key) at its next wait, which may be a moment or, while a
 * charge or an email waits out a provider, longer. `fromRunId`: the run it leaves.
 */
export interface ReencryptAccepted {
  fromRunId: string;
}

export type Provider = 'stripe' | 'resend';

export interface BlockedOn {
  provider: Provider;
  /** When the case first found the provider unavailable. */
  since: string;
  /** The last failure, e.g. `StripeTransient: retrieve invoice: …` or `activity timed out`. */
  reason: string;
  /** When the case tries again. */
  retryAt: string;
}
