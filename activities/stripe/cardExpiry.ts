/**
 * Reminders before a card expires (domain/cardExpiry.ts), the Stripe side: the scan pages through
 * the subscriptions with their cards expanded and starts one reminder workflow per due card; the
 * reminder reads its subscription's card again before it sends and at each re-check.
 *
 * The card is the one Stripe would charge at renewal, in Stripe's order (domain/effectiveCard.ts):
 * the subscription's `default_payment_method`, its `default_source`, the customer's
 * `invoice_settings.default_payment_method`, `default_source`. A legacy Source is left out: Stripe
 * itself sends `customer.source.expiring` for those.
 */
import { Context } from '@temporalio/activity';
import type Stripe from 'stripe';
import {
  cardChange,
  dueReminders,
  type CardCheck,
  type CardExpiryReminderInput,
  type CardNow,
  type ExpiringCard,
  type ExpiryRemindersPolicy,
  type SubscriptionCardFacts,
} from '../../domain/cardExpiry';
import { effectiveCard } from '../../domain/effectiveCard';
import { StripeFailureType } from '../../domain/providerFailures';
import { ApplicationFailure } from '@temporalio/common';
import { callStripe } from './errors';

/** What one list call asks for: the subscription's card and the customer's default card, expanded. */
export const SUBSCRIPTION_CARD_EXPAND = ['default_payment_method', 'customer.invoice_settings.default_payment_method'];
const PAGE = 100;

const idOf = (v: string | { id: string } | null | undefined): string | undefined => (typeof v === 'string' ? v : v?.id);

function cardOf(pm: string | Stripe.PaymentMethod | null | undefined): ExpiringCard | undefined {
  if (!pm || typeof pm === 'string' || pm.type !== 'card' || !pm.card) return undefined;
  return {
    paymentMethodId: pm.id,
    expMonth: pm.card.exp_month,
    expYear: pm.card.exp_year,
    ...(pm.card.brand ? { brand: pm.card.brand } : {}),
    ...(pm.card.last4 ? { last4: pm.card.last4 } : {}),
  };
}

/** The facts of one subscription read with SUBSCRIPTION_CARD_EXPAND. */
export function subscriptionCardFacts(sub: Stripe.Subscription): SubscriptionCardFacts {
  const customer =
    typeof sub.customer === 'object' && !('deleted' in sub.customer && sub.customer.deleted) ? sub.customer : undefined;
  const customerDefault = (customer as Stripe.Customer | undefined)?.invoice_settings?.default_payment_method;
  const charged = effectiveCard({
    invoice: {},
    subscription: { defaultPaymentMethod: idOf(sub.default_payment_method), defaultSource: idOf(sub.default_source) },
    customer: {
      defaultPaymentMethod: idOf(customerDefault),
      defaultSource: idOf((customer as Stripe.Customer | undefined)?.default_source),
    },
  });
  const pm =
    charged?.id === idOf(sub.default_payment_method)
      ? sub.default_payment_method
      : charged?.id === idOf(customerDefault)
        ? customerDefault
        : undefined;
  const ends = sub.items.data.map((i) => i.current_period_end).filter((t): t is number => typeof t === 'number');
  const renewsAt = ends.length > 0 ? Math.min(...ends) * 1000 : undefined;
  return {
    subscriptionId: sub.id,
    customerId: idOf(sub.customer) ?? '',
    status: sub.status,
    ...(renewsAt !== undefined ? { renewsAt } : {}),
    endsBeforeRenewal:
      sub.cancel_at_period_end || (sub.cancel_at !== null && renewsAt !== undefined && sub.cancel_at * 1000 <= renewsAt),
    collectionPaused: sub.pause_collection !== null && sub.pause_collection !== undefined,
    ...(cardOf(pm) ? { card: cardOf(pm) } : {}),
  };
}

export interface ScanResult {
  subscriptions: number;
  due: number;
  started: number;
  /** Due cards whose reminder workflow already exists (an earlier scan): nothing sent again. */
  alreadyReminded: number;
}

/** Where a retried scan resumes: the last subscription of the last page done, and the counts so far. */
interface ScanProgress {
  startingAfter?: string;
  counts: ScanResult;
}

/**
 * Every subscription Stripe would renew, page by page; each due card's reminder started through
 * `start` (true: started, false: it existed). Heartbeats after each page, so a retried activity
 * resumes after the last page it finished instead of listing everything again.
 */
export async function scanExpiringCards(
  stripe: Stripe,
  start: (input: CardExpiryReminderInput) => Promise<boolean>,
  policy: ExpiryRemindersPolicy,
  nowMs: number,
): Promise<ScanResult> {
  const ctx = activityContext();
  const resumed = ctx?.info.heartbeatDetails as ScanProgress | undefined;
  const counts: ScanResult = resumed?.counts ?? { subscriptions: 0, due: 0, started: 0, alreadyReminded: 0 };
  let startingAfter = resumed?.startingAfter;
  for (;;) {
    // No status: every subscription but the canceled ones (past_due, unpaid are left out below).
    const page = await callStripe('list subscriptions', () =>
      stripe.subscriptions.list({
        limit: PAGE,
        expand: SUBSCRIPTION_CARD_EXPAND.map((p) => `data.${p}`),
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      }),
    );
    const due = dueReminders(page.data.map(subscriptionCardFacts), policy, nowMs);
    counts.subscriptions += page.data.length;
    counts.due += due.length;
    for (const input of due) {
      if (await start(input)) counts.started += 1;
      else counts.alreadyReminded += 1;
    }
    startingAfter = page.data.at(-1)?.id;
    ctx?.heartbeat({ startingAfter, counts } satisfies ScanProgress);
    if (!page.has_more || !startingAfter) return counts;
  }
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (a test)
  }
}

/**
 * The subscription's card now, compared with the one the reminder is about. A subscription that
 * is gone reads as not renewing; a customer without an email address cannot be reminded.
 */
export async function checkExpiringCard(
  stripe: Stripe,
  input: Pick<CardExpiryReminderInput, 'subscriptionId' | 'card'>,
): Promise<CardCheck> {
  let sub: Stripe.Subscription;
  try {
    sub = await callStripe('retrieve subscription', () =>
      stripe.subscriptions.retrieve(input.subscriptionId, { expand: SUBSCRIPTION_CARD_EXPAND }),
    );
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === StripeFailureType.NotFound)
      return { change: 'not_renewing', card: { renews: false } };
    throw err;
  }
  const facts = subscriptionCardFacts(sub);
  const renews = ['active', 'trialing'].includes(facts.status) && !facts.endsBeforeRenewal && !facts.collectionPaused;
  const now: CardNow = {
    renews,
    ...(facts.card
      ? { paymentMethodId: facts.card.paymentMethodId, expMonth: facts.card.expMonth, expYear: facts.card.expYear }
      : {}),
  };
  const change = cardChange(input.card, now);
  if (change !== 'unchanged') return { change, card: now };
  const customer = sub.customer as Stripe.Customer;
  if (!customer.email) return { change, card: now };
  const tz = customer.metadata?.timezone ?? customer.metadata?.time_zone;
  return {
    change,
    card: now,
    email: {
      to: customer.email,
      ...(customer.name ? { customerName: customer.name } : {}),
      preferredLocales: customer.preferred_locales ?? [],
      ...(tz ? { timeZone: tz } : {}),
      amount: sub.items.data.reduce((sum, i) => sum + (i.price.unit_amount ?? 0) * (i.quantity ?? 1), 0),
      currency: sub.currency,
      invoiceId: idOf(sub.latest_invoice) ?? sub.id,
    },
  };
}
