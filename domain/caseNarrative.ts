/**
 * What a case says about itself in the Temporal Web UI: its static summary and details (set where
 * the case is started), a summary on every timer and activity, and its current details (the
 * decline, what it waits for next and why). Operators read these instead of raw JSON.
 *
 * Pure and deterministic (imported by workflow code): times come in as epoch milliseconds, the
 * zone as an IANA name (the case's, see caseTimeZone in schedule.ts). This text is metadata only:
 * changing it never changes what a case does, so it needs no patched() (test/workflows/replay.test.ts).
 * No customer email address or name in it: only ids, amounts and card brand and last four.
 */
import type { DeclineClassification } from './declines';
import type { EndAction } from './policy';
import { cardBrandName, formatAmount, whenLabel } from './presentation';
import { stepOffsetLabel, type PlannedStep } from './schedule';
import type { AppEventType } from './providerTypes';
import { STRIPE_RETRYING_FIX, stripeRetryingText } from './stripeRetries';
import type { BlockedOn, CaseState, EmailUndeliverable, Provider, StripeCollection, StripeRetrying } from './types';

const SEP = ' · ';

// ---- words ------------------------------------------------------------------------------------

/** `$29.00 USD`: the symbol alone is ambiguous ($ is also CAD, AUD …); `CHF 19.99` needs no second code. */
export function moneyLabel(amount: number, currency: string): string {
  const code = currency.trim().toUpperCase();
  const text = formatAmount(amount, currency, 'en');
  return text.includes(code) ? text : `${text} ${code}`;
}

/** `Visa •••• 4242`, or what is known of it. */
export function cardLabel(card: { brand?: string; last4?: string } | undefined): string {
  const brand = cardBrandName(card?.brand);
  if (card?.last4) return `${brand ?? 'card'} •••• ${card.last4}`;
  return brand ? `the ${brand} card` : 'the card on file';
}

const PROVIDER_NAMES: Record<Provider, string> = { stripe: 'Stripe', resend: 'Resend' };

const END_ACTIONS: Record<EndAction, string> = {
  cancel_subscription: 'cancel the subscription',
  mark_uncollectible: 'mark the invoice uncollectible',
  pause_collection: 'pause collection',
  leave_past_due: 'leave the subscription past due',
};

export const endActionLabel = (action: EndAction): string => END_ACTIONS[action];

/** 'day-3' for a step planned 3 days after the first failure; '+1d12h' for offsets in hours. */
function offsetLabel(step: PlannedStep): string | undefined {
  const offset = stepOffsetLabel(step);
  if (offset === undefined) return undefined;
  if (offset === '0') return 'day-0';
  const days = /^(\d+)d$/.exec(offset);
  return days ? `day-${days[1]}` : `+${offset}`;
}

/** `day-3 retry`, `day-7 reminder`, `day-12 final notice`, `end action (cancel the subscription)`. */
export function stepLabel(step: PlannedStep, endAction: EndAction | undefined): string {
  const offset = offsetLabel(step);
  const at = offset ? `${offset} ` : '';
  switch (step.kind) {
    case 'retry':
      return `${at}retry`;
    case 'email':
      return `${at}${(step.template ?? 'reminder').replace(/_/g, ' ')}`;
    case 'final_notice':
      return `${at}final notice`;
    case 'offer':
      return `${at}last-chance offer (${step.offer?.kind ?? 'offer'})`;
    case 'sms':
      return `${at}text message (${(step.template ?? 'reminder').replace(/_/g, ' ')})`;
    case 'restrict_access':
      return 'end of the grace period';
    case 'end_action':
      return endAction ? `end action (${endActionLabel(endAction)})` : 'end action';
  }
}

// ---- the case, at start ---------------------------------------------------------------------

export interface CaseOpening {
  invoiceId: string;
  customerId: string;
  amountDue: number;
  currency: string;
  subscriptionId?: string;
  invoiceNumber?: string;
  /** The experiment arm the case starts in (domain/experiment.ts). */
  experiment?: { experimentId: string; arm: string };
}

/** `$29.00 USD · in_… · cus_…`: the decline is not known yet when the webhook opens the case. */
export function caseSummary(c: CaseOpening): string {
  return [
    moneyLabel(c.amountDue, c.currency),
    c.invoiceId,
    c.customerId,
    ...(c.experiment ? [`arm ${c.experiment.arm}`] : []),
  ].join(SEP);
}

/** A few lines of Temporal markdown: what the case is about and where to read more. */
export function caseStaticDetails(c: CaseOpening): string {
  const invoice = `Stripe invoice \`${c.invoiceId}\`${c.invoiceNumber ? ` (number ${c.invoiceNumber})` : ''}`;
  const subscription = c.subscriptionId ? `, subscription \`${c.subscriptionId}\`` : '';
  return [
    `Dunning case for ${invoice} of customer \`${c.customerId}\`${subscription}: ${moneyLabel(c.amountDue, c.currency)} due.`,
    'Opened by the first `invoice.payment_failed`; the case reads the decline from Stripe.',
    'Current details: the decline and what the case waits for. The `status` query: the full record.',
    ...(c.experiment
      ? [
          `Experiment \`${c.experiment.experimentId}\`: arm \`${c.experiment.arm}\` (search attributes DunningExperiment, DunningArm).`,
        ]
      : []),
  ].join('\n');
}

// ---- timers -------------------------------------------------------------------------------------

/** `wait for the day-3 retry (Dec 1, 09:00 America/New_York)` */
export function stepWaitSummary(step: PlannedStep, timeZone: string, endAction: EndAction | undefined): string {
  return `wait for the ${stepLabel(step, endAction)} (${whenLabel(step.at, timeZone)})`;
}

/** `Stripe unavailable: try again at Dec 1, 09:05 UTC` */
export function blockedWaitSummary(blocked: BlockedOn, timeZone: string): string {
  return `${PROVIDER_NAMES[blocked.provider]} unavailable: try again at ${whenLabel(Date.parse(blocked.retryAt), timeZone)}`;
}

// ---- activities ---------------------------------------------------------------------------------

/** `email: reminder (vi)` */
export const emailSummary = (template: string, locale: string): string => `email: ${template} (${locale})`;

export type ChargeReason =
  | { kind: 'retry'; n: number; of: number }
  | { kind: 'card_update'; n: number; paymentMethodId?: string }
  | { kind: 'customer_retry'; n: number }
  | { kind: 'operator_retry' }
  | { kind: 'other_card'; brand?: string; last4?: string };

/** `charge Visa •••• 4242 (retry 2 of 4)` */
export function chargeSummary(card: { brand?: string; last4?: string } | undefined, why: ChargeReason): string {
  switch (why.kind) {
    case 'retry':
      return `charge ${cardLabel(card)} (retry ${why.n} of ${why.of})`;
    case 'card_update':
      // Brand and last four of a new card are known only once Stripe has charged it.
      return `charge the new card ${why.paymentMethodId ?? '(customer default)'} (card update ${why.n})`;
    case 'customer_retry':
      return `charge ${cardLabel(card)} (customer's own retry ${why.n})`;
    case 'operator_retry':
      return `charge ${cardLabel(card)} (an operator's retry now)`;
    case 'other_card':
      return `charge another saved card, ${cardLabel(why)} (the customer consented)`;
  }
}

export type FactsRead = 'start' | 'decline' | 'before_end' | 'settlement';

const FACTS_READS: Record<FactsRead, (invoiceId: string) => string> = {
  start: (id) => `Stripe: read invoice ${id}, its customer and decline`,
  decline: (id) => `Stripe: read the decline of Stripe's own attempt on ${id}`,
  before_end: (id) => `Stripe: is invoice ${id} still open before the end action?`,
  settlement: (id) => `Stripe: has the bank debit of invoice ${id} settled?`,
};

/** The timer while a bank debit settles. */
export const settlementWaitSummary = (checkAt: number, timeZone: string): string =>
  `wait for the bank debit to settle (invoice.paid or invoice.payment_failed); ask Stripe at ${whenLabel(checkAt, timeZone)}`;

export const factsReadSummary = (invoiceId: string, why: FactsRead): string => FACTS_READS[why](invoiceId);

export const endActionSummary = (action: EndAction): string => `Stripe: ${endActionLabel(action)} (end action)`;

export const appEventSummary = (type: AppEventType): string => `app event: ${type}`;

// ---- current details ----------------------------------------------------------------------------

export interface CaseNow {
  state: CaseState;
  outcome?: string;
  endedAt?: number;
  /** Undefined until Stripe's decline has been read. */
  classification?: DeclineClassification;
  card?: { brand?: string; last4?: string };
  next?: PlannedStep;
  endAction?: EndAction;
  blockedOn?: BlockedOn;
  /** Resend could not deliver to the customer's address. */
  emailUndeliverable?: Pick<EmailUndeliverable, 'event' | 'reason'>;
  timeZone: string;
  attempts: number;
  emails: number;
  /** Stripe's own retry schedule still charged the invoice: the Web UI says so, with the fix. */
  stripeRetrying?: StripeRetrying;
  /** Stripe's collection as the start read left it: `pause_refused` is said, with the fix. */
  stripeCollection?: StripeCollection;
  /** While `processing`: when Stripe is asked if the bank has not answered. */
  settlementCheckAt?: number;
}

const RETRY_REASONS: Partial<Record<DeclineClassification['category'], string>> = {
  insufficient_funds: 'retried on a payday, when funds are likely back',
  temporary: 'the decline was temporary, so the same card may go through',
  unknown: 'the issuer gave no reason, so the same card is retried sparingly',
};

function why(step: PlannedStep, c: CaseNow): string {
  switch (step.kind) {
    case 'retry':
      return (c.classification && RETRY_REASONS[c.classification.category]) ?? 'retry the card on file';
    case 'email':
      return step.template === 'payment_failed'
        ? 'tell the customer the payment failed'
        : 'remind the customer to update the card';
    case 'final_notice':
      return `last notice before the end action${c.endAction ? ` (${endActionLabel(c.endAction)})` : ''}`;
    case 'offer':
      return 'offer the customer a pause, a coupon or a cheaper plan before the end';
    case 'sms':
      return 'text the customer, if they agreed to billing texts, outside their quiet hours';
    case 'restrict_access':
      return 'the grace period ends: the app is told to restrict access';
    case 'end_action':
      return 'the schedule has run out';
  }
}

/**
 * The case's current details (Temporal markdown, one fact a line): the decline, a provider it
 * waits for, its next step and why. Set each time the case publishes its status.
 */
export function caseCurrentDetails(c: CaseNow): string {
  const lines: string[] = [];
  if (c.state === 'processing') {
    const check = c.settlementCheckAt === undefined ? '' : `; Stripe is asked at ${whenLabel(c.settlementCheckAt, c.timeZone)}`;
    lines.push(
      `**Processing:** a bank debit is settling: nothing is charged and no reminder is sent until the bank answers${check}`,
    );
  } else if (c.state !== 'active') {
    const when = c.endedAt === undefined ? '' : ` on ${whenLabel(c.endedAt, c.timeZone)}`;
    lines.push(`**Ended:** ${c.state} (${c.outcome ?? 'no outcome'})${when}`);
  }
  const d = c.classification;
  if (!d) lines.push('**Decline:** not read from Stripe yet');
  else {
    const retryNote = d.retryable || c.state !== 'active' ? '' : ': the same card is not charged again; a new card is needed';
    lines.push(`**Decline:** ${d.category.replace(/_/g, ' ')} (${d.reason}) on ${cardLabel(c.card)}${retryNote}`);
  }
  if (c.blockedOn) {
    const b = c.blockedOn;
    lines.push(
      `**Blocked:** ${PROVIDER_NAMES[b.provider]} unavailable since ${whenLabel(Date.parse(b.since), c.timeZone)} ` +
        `(${b.reason}); trying again at ${whenLabel(Date.parse(b.retryAt), c.timeZone)}`,
    );
  }
  if (c.emailUndeliverable) {
    const u = c.emailUndeliverable;
    lines.push(
      `**Email undeliverable:** ${u.event}${u.reason ? ` (${u.reason})` : ''}: no more email goes to the customer's address`,
    );
  }
  if (c.state === 'active' && c.next) {
    lines.push(`**Next:** ${stepLabel(c.next, c.endAction)} at ${whenLabel(c.next.at, c.timeZone)}: ${why(c.next, c)}`);
    lines.push('**Meanwhile:** a new card, a payment elsewhere or a cancellation acts at once');
  }
  if (c.stripeRetrying) lines.push(`**Stripe retries too:** ${stripeRetryingText(c.stripeRetrying)}`);
  else if (c.stripeCollection === 'pause_refused' && c.state === 'active') {
    lines.push(`**Stripe may retry too:** Stripe refused to turn its own retries off on this invoice. ${STRIPE_RETRYING_FIX}`);
  }
  lines.push(`**So far:** ${plural(c.attempts, 'charge attempt')}, ${plural(c.emails, 'email')}`);
  return lines.join('\n');
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
