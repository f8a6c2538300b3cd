/**
 * Reminders before a card expires (issue #24, part 3): which subscriptions' cards will have
 * expired by their next renewal, the ids of the schedule and workflows that remind about them,
 * and what a re-read of the card says. Pure: the scan activity (activities/stripe/cardExpiry.ts)
 * reads Stripe, the workflows (workflows/cardExpiry.ts) carry it out.
 *
 * Why a scan: Stripe's `customer.source.expiring` event covers only legacy Sources, not the
 * PaymentMethods every current integration saves, so the service lists the subscriptions and
 * looks at the card each one would be charged on.
 */

/** The policy's switch (`expiryReminders`); absent (the default): no reminder is ever sent. */
export interface ExpiryRemindersPolicy {
  /**
   * How many days before the card's last valid day the reminder may go out (1-60). Only cards that
   * expire before the subscription's next renewal are reminded of: the others renew on a valid card.
   */
  daysBefore: number;
  /**
   * After the reminder, how often the reminder workflow reads the card again to see whether the
   * customer (or the network's account updater) replaced it (default '1d'): the dashboard counts
   * those as cards updated before a failure. The workflow ends at the card's expiry at the latest.
   */
  recheckEvery?: string;
}

export const DEFAULT_EXPIRY_RECHECK = '1d';
export const EXPIRY_DAYS_BEFORE_MAX = 60;

/** The Temporal Schedule that scans the cards (created at start-up, src/temporal/cardExpirySchedule.ts). */
export const CARD_EXPIRY_SCHEDULE_ID = 'card-expiry-scan';
export const CARD_EXPIRY_SCAN_WORKFLOW_TYPE = 'cardExpiryScanWorkflow';
export const CARD_EXPIRY_REMINDER_WORKFLOW_TYPE = 'cardExpiryReminderWorkflow';

/**
 * One reminder workflow per card and expiry: a second scan finds the id taken and sends nothing
 * (the workflow stays open until the card expires, so the id is taken for as long as the card is
 * due, whatever the namespace's retention). A card the account updater refreshed has a new expiry,
 * and so a new id, if it is ever due again.
 */
export const cardExpiryReminderWorkflowId = (c: Pick<ExpiringCard, 'paymentMethodId' | 'expMonth' | 'expYear'>): string =>
  `card-expiry:${c.paymentMethodId}:${c.expYear}-${String(c.expMonth).padStart(2, '0')}`;

const DAY_MS = 86_400_000;

/** A card is valid through the end of its expiry month: it expires at the first instant of the next (UTC). */
export function cardExpiresAt(expMonth: number, expYear: number): number {
  return Date.UTC(expYear, expMonth, 1);
}

/** The card one subscription would be charged on at renewal, as the scan read it. */
export interface ExpiringCard {
  paymentMethodId: string;
  expMonth: number;
  expYear: number;
  brand?: string;
  last4?: string;
}

/** What the scan knows of one subscription: plain data, read from Stripe by the scan activity. */
export interface SubscriptionCardFacts {
  subscriptionId: string;
  customerId: string;
  /** Stripe's subscription status: only `active` and `trialing` renew (a past_due one has a case). */
  status: string;
  /** The next renewal (the items' `current_period_end`), epoch ms; undefined when unknown. */
  renewsAt?: number;
  /** `cancel_at_period_end`, or a `cancel_at` at or before the renewal: there is no renewal to save. */
  endsBeforeRenewal: boolean;
  /** `pause_collection` set: Stripe does not charge at renewal. */
  collectionPaused: boolean;
  /** The card Stripe charges (subscription's default, else the customer's); undefined: no card PaymentMethod. */
  card?: ExpiringCard;
}

export type ExpiryVerdict =
  | { due: true; expiresAt: number; renewsAt: number }
  | {
      due: false;
      why: 'not_renewing' | 'no_card' | 'renews_before_expiry' | 'already_expired' | 'not_yet';
    };

/**
 * Whether the card of one subscription gets a reminder now: it renews, its card will have expired
 * by the renewal, the card has not expired yet (an expired card's renewal fails and a dunning case
 * takes it), and its last valid day is at most `daysBefore` days away.
 */
export function expiryReminderDue(s: SubscriptionCardFacts, policy: ExpiryRemindersPolicy, nowMs: number): ExpiryVerdict {
  if (!['active', 'trialing'].includes(s.status) || s.endsBeforeRenewal || s.collectionPaused || s.renewsAt === undefined)
    return { due: false, why: 'not_renewing' };
  if (!s.card) return { due: false, why: 'no_card' };
  const expiresAt = cardExpiresAt(s.card.expMonth, s.card.expYear);
  if (expiresAt > s.renewsAt) return { due: false, why: 'renews_before_expiry' };
  if (expiresAt <= nowMs) return { due: false, why: 'already_expired' };
  if (expiresAt - nowMs > policy.daysBefore * DAY_MS) return { due: false, why: 'not_yet' };
  return { due: true, expiresAt, renewsAt: s.renewsAt };
}

/** What a reminder workflow is started with: one card, the customer, and the earliest renewal it threatens. */
export interface CardExpiryReminderInput {
  customerId: string;
  subscriptionId: string;
  card: ExpiringCard;
  /** Epoch ms. */
  renewsAt: number;
  /** After the reminder, how often the card is read again (a duration, '1d'). */
  recheckEvery: string;
  /** Set when the run continues as new after the email: the reminder went out, only the watch is left. */
  reminded?: boolean;
}

/**
 * The due cards of a page of subscriptions, one per card and expiry: a customer whose two
 * subscriptions share a card gets one reminder, about the renewal that comes first.
 */
export function dueReminders(
  subs: readonly SubscriptionCardFacts[],
  policy: ExpiryRemindersPolicy,
  nowMs: number,
): CardExpiryReminderInput[] {
  const byId = new Map<string, CardExpiryReminderInput>();
  for (const s of subs) {
    const v = expiryReminderDue(s, policy, nowMs);
    if (!v.due || !s.card) continue;
    const id = cardExpiryReminderWorkflowId(s.card);
    const seen = byId.get(id);
    if (seen && seen.renewsAt <= v.renewsAt) continue;
    byId.set(id, {
      customerId: s.customerId,
      subscriptionId: s.subscriptionId,
      card: { ...s.card },
      renewsAt: v.renewsAt,
      recheckEvery: policy.recheckEvery ?? DEFAULT_EXPIRY_RECHECK,
    });
  }
  return [...byId.values()];
}

/** The card as read again just before the reminder, and at each re-check after it. */
export interface CardNow {
  /** The card the subscription would be charged on now; undefined: none, or the subscription is gone. */
  paymentMethodId?: string;
  expMonth?: number;
  expYear?: number;
  /** The subscription still renews (active or trialing, not ending, not paused). */
  renews: boolean;
}

/** What the reminder email needs to know of the customer and the subscription. */
export interface ReminderEmailFacts {
  to: string;
  customerName?: string;
  preferredLocales: string[];
  timeZone?: string;
  /** The renewal's amount, minor units of `currency`. */
  amount: number;
  currency: string;
  /** For the update link's claims: the subscription's latest invoice (its hosted page is the link's fallback). */
  invoiceId: string;
}

/** The card read again (activities/stripe/cardExpiry.ts `checkExpiringCard`). */
export interface CardCheck {
  change: CardChange;
  card: CardNow;
  /** Only when the card is unchanged and the customer has an email address. */
  email?: ReminderEmailFacts;
}

/** What the reminder email activity is given: plain data across the activity boundary. */
export interface CardExpiryEmailInput extends ReminderEmailFacts {
  customerId: string;
  card: ExpiringCard;
  /** ISO-8601: the renewal the card would fail on. */
  renewsAt: string;
  /** ISO-8601, workflow time: the link's lifetime starts here, so every try renders the same body. */
  issuedAt: string;
  /** The reminder workflow's id: one email per card and expiry, whatever the retries. */
  idempotencyKey: string;
}

/**
 * What became of the card a reminder is about: `refreshed` (same PaymentMethod, new expiry: the
 * network's account updater, which Stripe reports with `payment_method.automatically_updated`),
 * `replaced` (another card is now the one charged), `not_renewing`, or `unchanged`.
 */
export type CardChange = 'unchanged' | 'refreshed' | 'replaced' | 'not_renewing';

export function cardChange(reminded: ExpiringCard, now: CardNow): CardChange {
  if (!now.renews) return 'not_renewing';
  if (now.paymentMethodId !== reminded.paymentMethodId) return 'replaced';
  if (now.expMonth !== reminded.expMonth || now.expYear !== reminded.expYear) return 'refreshed';
  return 'unchanged';
}

/**
 * How a reminder workflow ended, kept in its memo (`cardExpiry`) for the dashboard and the Web UI:
 * skipped before the email (the card was refreshed or replaced, or no longer renews), or reminded
 * and then the card updated (before any failure), or reminded and the card expired unchanged.
 */
export type ReminderOutcome =
  | 'skipped_refreshed'
  | 'skipped_replaced'
  | 'skipped_not_renewing'
  /** The customer has no email address in Stripe. */
  | 'skipped_no_email'
  /** Stripe could not be read within an hour: the next scan starts no second reminder for this card and expiry. */
  | 'skipped_unavailable'
  /** Resend refused the email for good (an invalid address). */
  | 'email_refused'
  | 'reminded_card_updated'
  | 'reminded_not_renewing'
  | 'reminded_expired';

/** The memo key every reminder workflow keeps its state in: `reminded` while it waits, then the outcome. */
export const CARD_EXPIRY_MEMO = 'cardExpiry';

/** What the policy's `expiryReminders` must say beyond its shape. */
export function expiryRemindersProblems(
  p: ExpiryRemindersPolicy | undefined,
  durationMs: (s: string) => number | undefined,
): string[] {
  if (!p) return [];
  const errors: string[] = [];
  if (!Number.isInteger(p.daysBefore) || p.daysBefore < 1 || p.daysBefore > EXPIRY_DAYS_BEFORE_MAX)
    errors.push(`expiryReminders.daysBefore: must be a whole number of days, 1..${EXPIRY_DAYS_BEFORE_MAX}`);
  if (p.recheckEvery !== undefined) {
    const ms = durationMs(p.recheckEvery);
    if (ms === undefined || ms < 1000)
      errors.push(`expiryReminders.recheckEvery: '${p.recheckEvery}' must be a duration of at least '1s'`);
  }
  return errors;
}
