import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { classifyDecline } from '../../domain/declines';
import {
  cardForUpdate,
  effectiveCard,
  needsCustomerDefaults,
  subscriptionCardKey,
  subscriptionCardToReplace,
  type InvoiceCardDefaults,
  type PaymentDefaults,
} from '../../domain/effectiveCard';
import { caseOfChargeKey, type Initiator } from '../../domain/cardBudgetLedger';
import { blockWindowMs, neverRetryRuleFor, waitAfterDecline, type NetworkRules } from '../../domain/networkRules';
import type { CardFacts, DeclineDetails, RetryChargeInput, RetryChargeResult } from '../../domain/providerTypes';
import { isEndedSubscription } from '../../domain/subscriptions';
import { StripeFailureType } from '../../domain/providerFailures';
import { callStripe, toActivityFailure } from './errors';
import { cardFacts, customerPaymentDefaults, declineDetails, invoiceFacts, ownPaymentDefaults } from './facts';

/** Asks the card's retry ledger for room; see workflows/cardBudget.ts. */
export type ReserveCardAttempt = (
  card: CardFacts,
  key: string,
  initiator?: Initiator,
  /** What is charged, for limits counted per amount or currency. */
  charge?: { amount: number; currency: string },
) => Promise<{ granted: boolean; retryAt?: string; blockedReason?: string }>;
/**
 * Records in the card's ledger that its issuer said never to retry it (for `durationMs`; unset:
 * the ledger's default), or with `wait` that it named a wait of `durationMs`, heard by the case
 * whose charges' keys start `heardBy` (domain/cardBudgetLedger.ts caseOfChargeKey).
 */
export type BlockCard = (card: CardFacts, reason: string, durationMs?: number, wait?: { heardBy: string }) => Promise<void>;

export interface CardLedger {
  reserve: ReserveCardAttempt;
  block: BlockCard;
  /** The worker's rules file: its never-retry answers block the card too. */
  networkRules?: NetworkRules;
}

/**
 * One charge attempt of the invoice. The invoice is read again first: a paid, voided or
 * uncollectible invoice is never charged. The card's network budget is reserved before the
 * charge. A decline is a result; only infrastructure trouble throws.
 */
export async function retryCharge(stripe: Stripe, ledger: CardLedger, input: RetryChargeInput): Promise<RetryChargeResult> {
  const invoice = await callStripe('retrieve invoice', () => stripe.invoices.retrieve(input.invoiceId));
  const inv = invoiceFacts(invoice);
  if (inv.status === 'paid') return { outcome: 'already_paid' };
  if (inv.status !== 'open') return { outcome: 'invoice_closed', status: inv.status };
  const subscription = await subscriptionOf(stripe, invoice);
  if (subscription && isEndedSubscription(subscription.status)) {
    return { outcome: 'subscription_ended', status: subscription.status };
  }

  const { card, chargeWith, replaceSubscriptionCard } = await cardToCharge(stripe, invoice, subscription, input);
  if (card) {
    const budget = await ledger.reserve(card, input.idempotencyKey, input.initiator, {
      amount: inv.amountRemaining,
      currency: inv.currency,
    });
    if (budget.blockedReason) return { outcome: 'card_blocked', reason: budget.blockedReason, card };
    if (replaceSubscriptionCard && subscription && chargeWith) {
      await keepAsSubscriptionCard(stripe, subscription.id, chargeWith, input.idempotencyKey);
    }
    if (!budget.granted) return { outcome: 'budget_exhausted', retryAt: budget.retryAt ?? '', card };
  }

  let answered: Stripe.Invoice;
  try {
    answered = await stripe.invoices.pay(
      input.invoiceId,
      {
        // The customer's own retry is made with the customer present: the bank may ask them to
        // confirm (3-D Secure) on the invoice's hosted page, instead of declining an off-session charge.
        off_session: input.initiator !== 'customer',
        ...(chargeWith ? { payment_method: chargeWith } : {}),
      },
      { idempotencyKey: input.idempotencyKey },
    );
  } catch (err) {
    if (err instanceof Stripe.errors.StripeCardError) {
      // `message` is Error's own non-enumerable property: a spread alone would drop it.
      const decline = declineDetails({ ...err, message: err.message, payment_method: err.payment_method ?? null });
      decline.card ??= card;
      if (decline.card) await tellLedger(ledger, decline.card, decline, input.idempotencyKey);
      const needsAction =
        err.code === 'authentication_required' ||
        err.code === 'invoice_payment_intent_requires_action' ||
        err.payment_intent?.status === 'requires_action';
      return needsAction ? { outcome: 'requires_action', decline } : { outcome: 'declined', decline };
    }
    if (err instanceof Stripe.errors.StripeInvalidRequestError) {
      // Paid or closed between our read and the charge (Stripe answers 400 "already paid"):
      // the invoice's own state says what happened.
      const now = invoiceFacts(await callStripe('retrieve invoice', () => stripe.invoices.retrieve(input.invoiceId)));
      if (now.status === 'paid') return { outcome: 'already_paid' };
      if (now.status !== 'open') return { outcome: 'invoice_closed', status: now.status };
      // A debit of this invoice is still settling (Stripe refuses to confirm it again): not a new charge.
      const underWay = await processingPayment(stripe, input.invoiceId);
      if (underWay)
        return { outcome: 'processing', paymentIntentId: underWay.id, card: cardFacts(underWay.payment_method) ?? card };
    }
    throw toActivityFailure(err, 'pay invoice');
  }
  // `pay` answers 200 as soon as a bank debit (ACH, SEPA) is accepted: the invoice stays open and
  // its PaymentIntent processing until the bank answers, days later (invoice.paid or
  // invoice.payment_failed). Not paid yet, so not a recovery.
  if (answered.status !== 'open') return { outcome: 'succeeded', card };
  const underWay = await processingPayment(stripe, input.invoiceId);
  if (underWay) return { outcome: 'processing', paymentIntentId: underWay.id, card: cardFacts(underWay.payment_method) ?? card };
  // Open, and nothing settling: Stripe's answer contradicts itself. Recorded on the case as an
  // error; its schedule goes on (and the invoice's own events still reach it).
  throw ApplicationFailure.nonRetryable(
    `pay invoice: Stripe answered 200 but invoice ${input.invoiceId} is open with no payment processing`,
    StripeFailureType.InvalidRequest,
  );
}

/**
 * The invoice's PaymentIntent that is `processing`, if any. At this API version the invoice has no
 * `payment_intent`: it is reached through the invoice's payments (the default one is the live one).
 */
export async function processingPayment(stripe: Stripe, invoiceId: string): Promise<Stripe.PaymentIntent | undefined> {
  const payments = await callStripe('list invoice payments', () =>
    stripe.invoicePayments.list({ invoice: invoiceId, limit: 10, expand: ['data.payment.payment_intent'] }),
  );
  for (const p of payments.data) {
    const pi = p.payment?.payment_intent;
    if (!pi) continue;
    const intent =
      typeof pi === 'string' ? await callStripe('retrieve payment intent', () => stripe.paymentIntents.retrieve(pi)) : pi;
    if (intent.status === 'processing') return intent;
  }
  return undefined;
}

/**
 * What a decline tells the card's ledger, which every case charging the card asks first. "Never
 * retry" binds the card, not this invoice: every other case must stop charging it; the rules
 * file's never-retry codes block it too, for the window the file gives. A wait the issuer named
 * (the file's Mastercard MAC 24-30) holds every case off the card for that long. Shared with the
 * back-test's simulated Stripe (backtest/simulator.ts).
 */
export async function tellLedger(ledger: CardLedger, card: CardFacts, decline: DeclineDetails, chargeKey: string): Promise<void> {
  const verdict = classifyDecline(decline);
  const rules = ledger.networkRules;
  const rule = rules && neverRetryRuleFor(rules, decline.cardBrand, decline);
  if (verdict.category === 'never_retry' || rule) {
    const reason = verdict.category === 'never_retry' || !rule ? verdict.reason : rule.id;
    await ledger.block(card, reason, rule ? blockWindowMs(rule) : undefined);
    return;
  }
  const wait = rules && waitAfterDecline(rules, decline.cardBrand, decline);
  // The case that heard it keeps its own wait (exempt: see LedgerState.waiting).
  if (wait) await ledger.block(card, wait.rule, wait.ms, { heardBy: caseOfChargeKey(chargeKey) });
}

async function subscriptionOf(stripe: Stripe, invoice: Stripe.Invoice): Promise<Stripe.Subscription | undefined> {
  const subscription = invoice.parent?.subscription_details?.subscription;
  if (!subscription) return undefined;
  return typeof subscription === 'string'
    ? callStripe('retrieve subscription', () => stripe.subscriptions.retrieve(subscription))
    : subscription;
}

interface CardChoice {
  card?: CardFacts;
  /** Named in the request; unset: Stripe charges its effective card, which `card` is. */
  chargeWith?: string;
  /** A card update, and the subscription's own card is another one (domain/effectiveCard.ts). */
  replaceSubscriptionCard: boolean;
}

/**
 * The card this attempt charges, for the ledger and the charge alike: the one named; on a card
 * update, the customer's new default (domain/effectiveCard.ts cardForUpdate), named in the charge
 * because Stripe would charge the subscription's own card first; otherwise the card Stripe
 * charges by its own order (domain/effectiveCard.ts effectiveCard).
 */
async function cardToCharge(
  stripe: Stripe,
  invoice: Stripe.Invoice,
  sub: Stripe.Subscription | undefined,
  input: RetryChargeInput,
): Promise<CardChoice> {
  const defaults: InvoiceCardDefaults = {
    invoice: ownPaymentDefaults(invoice),
    ...(sub ? { subscription: ownPaymentDefaults(sub) } : {}),
  };
  const needsCustomer = input.cardUpdate ? !input.paymentMethodId : !input.paymentMethodId && needsCustomerDefaults(defaults);
  if (needsCustomer) defaults.customer = await customerDefaults(stripe, invoice);
  const pmId = input.cardUpdate
    ? cardForUpdate(input.paymentMethodId, defaults)
    : (input.paymentMethodId ?? effectiveCard(defaults)?.id);
  if (!pmId) return { replaceSubscriptionCard: false };
  const pm = await callStripe('retrieve payment method', () => stripe.paymentMethods.retrieve(pmId));
  return {
    card: cardFacts(pm),
    ...(input.paymentMethodId || input.cardUpdate ? { chargeWith: pmId } : {}),
    replaceSubscriptionCard: Boolean(input.cardUpdate) && subscriptionCardToReplace(pmId, defaults),
  };
}

async function customerDefaults(stripe: Stripe, invoice: Stripe.Invoice): Promise<PaymentDefaults | undefined> {
  const customerId = typeof invoice.customer === 'string' ? invoice.customer : invoice.customer?.id;
  if (!customerId) return undefined;
  const c = await callStripe('retrieve customer', () => stripe.customers.retrieve(customerId));
  return 'deleted' in c && c.deleted ? undefined : customerPaymentDefaults(c as Stripe.Customer);
}

/**
 * A card update makes the card the subscription's own default, so that every later retry of this
 * case and the next renewals charge it, not the card it replaces. Done on every card update, before
 * the charge and whatever the charge answers: the card the customer just chose is the one they want
 * billed (a merchant would not go back to the card that failed because the new one was short of
 * funds today), and done before, a charge that succeeded can never leave the old card in place.
 * Not done for a card whose issuer said never to retry it (the ledger refuses it first).
 * Idempotent per charge: a retried activity sends the same request.
 */
async function keepAsSubscriptionCard(stripe: Stripe, subscriptionId: string, pmId: string, chargeKey: string): Promise<void> {
  await callStripe('update subscription default payment method', () =>
    stripe.subscriptions.update(
      subscriptionId,
      { default_payment_method: pmId },
      { idempotencyKey: subscriptionCardKey(chargeKey) },
    ),
  );
}
