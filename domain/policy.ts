/**
 * The dunning policy as data: which messages and retries happen when, and how a case ends.
 *
 * Pure and deterministic (imported by workflow code): the policy's types, durations, the default,
 * the rules a policy must follow, and resolution for one case. A policy file is read and checked
 * once at start-up (src/policyFile.ts `parsePolicy`: its shape with zod, then `policyProblems`), so a
 * nonsensical policy fails loudly there instead of silently inside thousands of running cases.
 */
import { expiryRemindersProblems, type ExpiryRemindersPolicy } from './cardExpiry';
import { isRetryableCategory } from './declines';
import { otherCardsProblems, type OtherCardsPolicy } from './otherCards';
import { DEFAULT_NOTICE_SEVERITY, type NoticeSeverityLevels, type NoticeThresholds } from './noticeSeverity';
import { offerProblems, type Offer } from './offers';
import {
  DEFAULT_QUIET_HOURS,
  DEFAULT_SMS_MAX_PER_CASE,
  smsPolicyProblems,
  SMS_TEMPLATES,
  type SmsPolicy,
  type SmsTemplate,
} from './sms';
import { DECLINE_CATEGORIES, type DeclineCategory } from './types';

/**
 * `offer`: the last-chance offer's email (domain/offers.ts), with its signed link page. `sms`: a
 * text message, only to customers who consented (domain/sms.ts); no default policy has one.
 */
export type StepAction = 'email' | 'retry' | 'final_notice' | 'offer' | 'sms';
export type EmailTemplate = 'payment_failed' | 'reminder';

export interface PolicyStep {
  /** Offset from the first failure: '0', '30s', '30m', '12h', '3d', '1d12h'. */
  at: string;
  action: StepAction;
  /**
   * Email steps: default 'reminder'; the first email, at '0', is 'payment_failed'. SMS steps:
   * 'payment_failed', 'reminder' (default) or 'final_notice' (domain/sms.ts).
   */
  template?: EmailTemplate | SmsTemplate;
  /** Offer steps only, and required there: what is offered (domain/offers.ts). */
  offer?: Offer;
}

export type EndAction = 'cancel_subscription' | 'mark_uncollectible' | 'pause_collection' | 'leave_past_due';

export interface PolicyOverride {
  steps?: PolicyStep[];
  endAfter?: string;
  endAction?: EndAction;
  grace?: string;
}

export interface OverrideMatch {
  plans?: string[];
  /** Inclusive, minor units of the invoice currency. */
  minAmount?: number;
  /** Inclusive, minor units of the invoice currency. */
  maxAmount?: number;
  /** ISO 4217, case-insensitive. */
  currency?: string;
}

export interface DunningPolicy {
  version: 1;
  steps: PolicyStep[];
  /** How long a case lasts before the end action, e.g. '14d'. */
  endAfter: string;
  endAction: EndAction;
  /** How long the customer keeps service: access.restricted is emitted then. Default: endAfter. */
  grace: string;
  /** Days of the month when customers are likely paid (31 means the month's last day). */
  paydays: number[];
  /**
   * Local hour (0-23) for retries; insufficient-funds retries also move to the next payday.
   * `null`: retries run at their planned offsets (a compressed policy for demos and chaos runs).
   */
  retryHour: number | null;
  /**
   * Two retries of one case are at least this far apart (default '12h'): once smart timing moves
   * retries onto a payday, a second one hours later only costs a decline and a reattempt.
   */
  minRetryGap?: string;
  /**
   * How long after a customer's own retry ("Retry my payment now" in the email) the next one is
   * possible (default '6h'): a double-click or an impatient customer never becomes a burst of declines.
   */
  customerRetryCooldown?: string;
  /** IANA time zone used when the customer's is unknown. */
  defaultTimeZone: string;
  byCategory?: Partial<Record<DeclineCategory, PolicyOverride>>;
  /** The first override whose `match` fits the invoice applies. */
  overrides?: Array<{ match: OverrideMatch; policy: PolicyOverride }>;
  /**
   * Failed sign-ups (the first invoice, `billing_reason` `subscription_create`, of a subscription
   * left `incomplete`). Unset (the default): not dunned; the customer never had the service, and
   * the app's own sign-up flow is where they fix it. Set: dunned with this schedule, which must end
   * within FAILED_SIGNUP_WINDOW, because Stripe expires the subscription then (`incomplete_expired`)
   * and the invoice can no longer be paid.
   */
  failedSignups?: FailedSignupPolicy;
  /**
   * Another saved card after the default card's declines (domain/otherCards.ts): absent (the
   * default), never; set, only for customers whose consent is recorded. The base policy's only.
   */
  otherCards?: OtherCardsPolicy;
  /**
   * When the in-app notice (`GET /api/customers/:id/billing-notice`) turns from `notice` to
   * `warning` and to `wall`, as offsets from the first failure. Unset fields: DEFAULT_NOTICE_SEVERITY.
   * Read from the policy the service runs now (not the case's), as it changes nothing a case does.
   */
  noticeSeverity?: NoticeSeverityLevels;
  /**
   * Reminders before a card expires (domain/cardExpiry.ts): absent (the default), none; set, a
   * Temporal Schedule scans the subscriptions and reminds the customers whose card expires before
   * their next renewal. Read from the policy the service runs now: it concerns no case.
   */
  expiryReminders?: ExpiryRemindersPolicy;
  /** The SMS steps' cap per case and quiet hours (domain/sms.ts); unset: the defaults. The base policy's only. */
  sms?: SmsPolicy;
}

/** A failed sign-up's schedule; it ends with `leave_past_due`: Stripe expires the subscription itself. */
export interface FailedSignupPolicy {
  steps: PolicyStep[];
  endAfter: string;
}

/** Stripe expires an `incomplete` subscription 23 hours after its first invoice failed. */
export const FAILED_SIGNUP_WINDOW = '23h';

export interface ResolvedPolicy {
  /** Sorted by offset; retry steps already removed for categories that forbid retries. */
  steps: PolicyStep[];
  endAfterMs: number;
  endAction: EndAction;
  graceMs: number;
  paydays: number[];
  retryHour: number | null;
  minRetryGapMs: number;
  customerRetryCooldownMs: number;
  defaultTimeZone: string;
  /** SMS steps' cap and quiet hours (domain/sms.ts). Optional: a case continued from a run before SMS has none (the defaults then). */
  sms?: { maxPerCase: number; quietHours: { start: number; end: number } };
}

/** Used when a policy names no customerRetryCooldown. */
export const DEFAULT_CUSTOMER_RETRY_COOLDOWN = '6h';

/** Used when a policy names no minRetryGap (and by every case started before the field existed). */
export const DEFAULT_MIN_RETRY_GAP = '12h';

/**
 * Visa's Excessive Reattempts rule: at most 20 merchant-initiated reattempts of a declined
 * transaction in 30 days since 19 May 2025 (domain/cardBudgetLedger.ts)
 * (categories 2-4); each further one draws a fee. A policy that plans more is rejected.
 */
export const POLICY_MAX_RETRIES_IN_30_DAYS = 20;
const THIRTY_DAYS_MS = 30 * 86_400_000;

// ---------------------------------------------------------------------------------------------
// Durations

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DURATION_RE = /^(?:(\d{1,5})d)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?$/;

export function durationMs(s: string): number | undefined {
  if (s === '0') return 0;
  const m = DURATION_RE.exec(s);
  if (!m || s === '') return undefined;
  return Number(m[1] ?? 0) * DAY + Number(m[2] ?? 0) * HOUR + Number(m[3] ?? 0) * MINUTE + Number(m[4] ?? 0) * SECOND;
}

export const durationError = (s: unknown): string =>
  `${typeof s === 'string' ? `'${s}'` : JSON.stringify(s)} is not a duration like '3d', '12h', '30m' or '20s'`;

/** '3d' → 259200000. Accepts '0' and any of `<n>d<n>h<n>m<n>s` in that order ('1d12h'). Throws otherwise. */
export function parseDuration(s: string): number {
  const ms = typeof s === 'string' ? durationMs(s) : undefined;
  if (ms === undefined) throw new Error(durationError(s));
  return ms;
}

/** The canonical spelling of a duration: 36h → '1d12h', 0 → '0'. Used in stable step keys. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  const d = Math.floor(ms / DAY);
  const h = Math.floor((ms % DAY) / HOUR);
  const m = Math.floor((ms % HOUR) / MINUTE);
  const sec = Math.floor((ms % MINUTE) / SECOND);
  return `${d ? `${d}d` : ''}${h ? `${h}h` : ''}${m ? `${m}m` : ''}${sec ? `${sec}s` : ''}` || '0';
}

// ---------------------------------------------------------------------------------------------
// The default policy

/** Messages only: for declines where retrying the same card is forbidden or pointless. */
const MESSAGES_ONLY: PolicyStep[] = [
  { at: '0', action: 'email', template: 'payment_failed' },
  { at: '2d', action: 'email', template: 'reminder' },
  { at: '5d', action: 'email', template: 'reminder' },
  { at: '9d', action: 'email', template: 'reminder' },
  { at: '12d', action: 'final_notice' },
];

/** 1.0's messages-only schedule: a copy of its own, so that no edit for the new default reaches 1.0's. */
const MESSAGES_ONLY_1_0: PolicyStep[] = [
  { at: '0', action: 'email', template: 'payment_failed' },
  { at: '2d', action: 'email', template: 'reminder' },
  { at: '5d', action: 'email', template: 'reminder' },
  { at: '9d', action: 'email', template: 'reminder' },
  { at: '12d', action: 'final_notice' },
];

/**
 * The default policy 1.0 shipped, frozen (test/domain/policy.test.ts compares it with v1.0.0's
 * policies/default.json, kept in test/fixtures/). A case started without a policy in its input (the
 * histories recorded before the input carried one) follows it, so that it replays exactly as it
 * ran; and a policy file that leaves out `paydays`, `retryHour` or `defaultTimeZone` keeps the
 * meaning it had at 1.0. Never edit it: the default for new cases is DEFAULT_POLICY below.
 */
export const POLICY_1_0: DunningPolicy = {
  version: 1,
  steps: [
    { at: '0', action: 'email', template: 'payment_failed' },
    { at: '3d', action: 'retry' },
    { at: '3d', action: 'email', template: 'reminder' },
    { at: '5d', action: 'retry' },
    { at: '7d', action: 'email', template: 'reminder' },
    { at: '8d', action: 'retry' },
    { at: '12d', action: 'retry' },
    { at: '12d', action: 'final_notice' },
  ],
  endAfter: '14d',
  endAction: 'cancel_subscription',
  grace: '14d',
  paydays: [1, 15],
  retryHour: 9,
  defaultTimeZone: 'UTC',
  byCategory: {
    // The same card must not be retried: the customer has to act, so remind them more often.
    payment_method: { steps: MESSAGES_ONLY_1_0 },
    never_retry: { steps: MESSAGES_ONLY_1_0 },
    authentication: { steps: MESSAGES_ONLY_1_0 },
    // No reason given by the issuer: retry, but less often.
    unknown: {
      steps: [
        { at: '0', action: 'email', template: 'payment_failed' },
        { at: '3d', action: 'email', template: 'reminder' },
        { at: '4d', action: 'retry' },
        { at: '7d', action: 'email', template: 'reminder' },
        { at: '9d', action: 'retry' },
        { at: '12d', action: 'final_notice' },
      ],
    },
  },
};

/**
 * The default since 1.1 (#23), designed from how each kind of decline clears, not by searching
 * numbers on one cohort (the record: policies/proposals/README.md; the back-test: docs/backtest.md).
 * The same five emails for every customer: card updates after an email are highest in the first
 * week. Retries at 09:00 in the customer's zone, an insufficient-funds retry kept on its planned
 * day (most workers are paid weekly or biweekly, not on the 1st and 15th); no retry of a hard decline
 * (resolvePolicy) and never before a Mastercard MAC 24-30 wait (domain/schedule.ts).
 */
const EMAILS: PolicyStep[] = MESSAGES_ONLY;
const retriesOn = (...at: string[]): PolicyStep[] => at.map((a) => ({ at: a, action: 'retry' as const }));
/** Emails and retries in time order; at the same moment the retry first, as policy files list them. */
const withRetries = (retries: PolicyStep[]): PolicyStep[] => {
  const order = (s: PolicyStep) => durationMs(s.at)! * 2 + (s.action === 'retry' ? 0 : 1);
  return [...retries, ...EMAILS].sort((a, b) => order(a) - order(b));
};

export const DEFAULT_POLICY: DunningPolicy = {
  version: 1,
  // Generic and do-not-honor declines (no reason given) clear after a lognormal wait, median 1-2
  // days with a tail past two weeks, and a try after the clear is all it takes: one a day, each
  // costing cents, within Visa's 20 reattempts in 30 days and Mastercard's 35.
  steps: withRetries(retriesOn('1d', '2d', '3d', '4d', '5d', '6d', '7d', '8d', '9d', '10d', '11d', '12d', '13d')),
  endAfter: '14d',
  endAction: 'cancel_subscription',
  grace: '14d',
  paydays: Array.from({ length: 31 }, (_, i) => i + 1),
  retryHour: 9,
  defaultTimeZone: 'UTC',
  byCategory: {
    // Money comes on paydays and is spent within about two days: a try every three days meets each
    // weekly payday's window.
    insufficient_funds: { steps: withRetries(retriesOn('2d', '5d', '8d', '11d', '13d')) },
    // Processing errors clear within hours.
    temporary: { steps: withRetries(retriesOn('6h', '1d', '3d', '7d', '13d')) },
    // The same card must not be retried: the customer has to act.
    payment_method: { steps: MESSAGES_ONLY },
    never_retry: { steps: MESSAGES_ONLY },
    authentication: { steps: MESSAGES_ONLY },
  },
};
// ---------------------------------------------------------------------------------------------
// Layering: base, then byCategory, then the matching override (most specific wins).

interface Layer {
  /** Path prefix in error messages: '' for the base, 'byCategory.unknown.', 'overrides[0].policy.'. */
  prefix: string;
  o: PolicyOverride;
}

interface Merged {
  steps: PolicyStep[];
  stepsFrom: string;
  endAfterMs: number;
  endAfterFrom: string;
  endAction: EndAction;
  graceMs: number;
  graceFrom: string;
}

/**
 * Later layers win field by field. When a layer changes endAfter but not grace, an inherited grace
 * equal to the old endAfter ("service until the end") follows the new endAfter, and a shorter one
 * is kept but clamped to the new endAfter (no service promised past the end of the case).
 */
function merge(base: DunningPolicy, layers: Layer[]): Merged {
  const m: Merged = {
    steps: base.steps,
    stepsFrom: '',
    endAfterMs: parseDuration(base.endAfter),
    endAfterFrom: '',
    endAction: base.endAction,
    graceMs: parseDuration(base.grace),
    graceFrom: '',
  };
  for (const { prefix, o } of layers) {
    if (o.steps) {
      m.steps = o.steps;
      m.stepsFrom = prefix;
    }
    if (o.endAction) m.endAction = o.endAction;
    const followsEnd = m.graceMs === m.endAfterMs;
    if (o.endAfter !== undefined) {
      m.endAfterMs = parseDuration(o.endAfter);
      m.endAfterFrom = prefix;
    }
    if (o.grace !== undefined) {
      m.graceMs = parseDuration(o.grace);
      m.graceFrom = prefix;
    } else if (o.endAfter !== undefined) {
      m.graceMs = followsEnd ? m.endAfterMs : Math.min(m.graceMs, m.endAfterMs);
    }
  }
  return m;
}

function layersFor(p: DunningPolicy, category: DeclineCategory, overrideIndex: number | undefined): Layer[] {
  const layers: Layer[] = [];
  const cat = p.byCategory?.[category];
  if (cat) layers.push({ prefix: `byCategory.${category}.`, o: cat });
  const ov = overrideIndex === undefined ? undefined : p.overrides?.[overrideIndex];
  if (ov) layers.push({ prefix: `overrides[${overrideIndex}].policy.`, o: ov.policy });
  return layers;
}

const specificity = (prefix: string): number => (prefix === '' ? 0 : prefix.startsWith('byCategory.') ? 1 : 2);

const where = (prefix: string): string => (prefix ? prefix.replace(/\.$/, '') : 'the base policy');

/** Largest number of retry offsets inside any 30-day window. */
function maxRetriesIn30Days(steps: PolicyStep[]): number {
  const ats = steps
    .filter((s) => s.action === 'retry')
    .map((s) => parseDuration(s.at))
    .sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < ats.length; i++) {
    while ((ats[i] as number) - (ats[j] as number) >= THIRTY_DAYS_MS) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** Rules on one list of steps, independent of the layer it is combined with. */
function checkSteps(steps: PolicyStep[], prefix: string, errors: string[]): void {
  const p = `${prefix}steps`;
  if (!steps.some((s) => durationMs(s.at) === 0 && s.action === 'email' && s.template === 'payment_failed')) {
    errors.push(`${p}: needs an email step at '0' with template 'payment_failed' (the first message of every case)`);
  }
  const seen = new Map<string, number>();
  let finalNotice: number | undefined;
  let offerStep: number | undefined;
  steps.forEach((s, i) => {
    const ms = durationMs(s.at) as number;
    if (s.template !== undefined && s.action !== 'email' && s.action !== 'sms') {
      errors.push(`${p}[${i}].template: only email and sms steps take a template`);
    }
    if (s.action === 'sms' && s.template !== undefined && !SMS_TEMPLATES.includes(s.template)) {
      errors.push(`${p}[${i}].template: an sms step's template is one of ${SMS_TEMPLATES.join(', ')}`);
    }
    if (s.action === 'email' && s.template === 'final_notice') {
      errors.push(`${p}[${i}].template: the final notice email is its own action, 'final_notice'`);
    }
    if (s.action === 'email' && s.template === 'payment_failed' && ms !== 0) {
      errors.push(`${p}[${i}].template: 'payment_failed' is the first email and belongs at '0'`);
    }
    if (s.action === 'final_notice') {
      if (finalNotice !== undefined) errors.push(`${p}[${i}]: a second final_notice (${p}[${finalNotice}] is one)`);
      else finalNotice = i;
    }
    checkOfferStep(s, `${p}[${i}]`, ms, errors);
    if (s.action === 'offer') {
      if (offerStep !== undefined)
        errors.push(`${p}[${i}]: a second offer (${p}[${offerStep}] is one): a case makes one last-chance offer`);
      else offerStep = i;
    }
    const id = `${ms}|${s.action}|${s.action === 'email' || s.action === 'sms' ? (s.template ?? 'reminder') : ''}`;
    const first = seen.get(id);
    if (first !== undefined) errors.push(`${p}[${i}]: duplicates ${p}[${first}]`);
    else seen.set(id, i);
  });
}

/** An offer step carries its offer, comes after the first email, and nothing else takes one. */
function checkOfferStep(s: PolicyStep, at: string, ms: number, errors: string[]): void {
  if (s.action !== 'offer') {
    if (s.offer !== undefined) errors.push(`${at}.offer: only offer steps take an offer`);
    return;
  }
  if (s.offer === undefined) {
    errors.push(`${at}.offer: an offer step needs an offer ({ "kind": "pause" | "coupon" | "downgrade", … })`);
    return;
  }
  if (ms === 0) errors.push(`${at}.at: the last-chance offer comes after the first email, not at '0'`);
  errors.push(...offerProblems(s.offer, `${at}.offer`, durationMs));
}

function checkOverride(o: PolicyOverride, prefix: string, errors: string[]): void {
  if (o.steps) checkSteps(o.steps, prefix, errors);
  if (o.endAfter !== undefined && parseDuration(o.endAfter) === 0) {
    errors.push(`${prefix}endAfter: must be longer than '0'`);
  }
}

/** Every combination a case can resolve to (override × category) must make sense. */
function checkCombination(
  p: DunningPolicy,
  category: DeclineCategory,
  overrideIndex: number | undefined,
  errors: string[],
): void {
  const m = merge(p, layersFor(p, category, overrideIndex));
  if (m.endAfterMs === 0) return; // reported on its own
  const end = formatDuration(m.endAfterMs);
  m.steps.forEach((s, i) => {
    if (parseDuration(s.at) < m.endAfterMs) return;
    if (specificity(m.stepsFrom) >= specificity(m.endAfterFrom)) {
      const from = m.endAfterFrom === m.stepsFrom ? '' : ` (endAfter of ${where(m.endAfterFrom)})`;
      errors.push(`${m.stepsFrom}steps[${i}].at: '${s.at}' is not before endAfter '${end}'${from}`);
    } else {
      // A more specific layer shortened the case below steps it inherits: it needs its own steps.
      errors.push(
        `${m.endAfterFrom}endAfter: '${end}' cuts off ${m.stepsFrom}steps[${i}] at '${s.at}' (from ${where(m.stepsFrom)}); give it steps of its own`,
      );
    }
  });
  if (m.graceMs > m.endAfterMs) {
    const from = m.endAfterFrom === m.graceFrom ? '' : ` (endAfter of ${where(m.endAfterFrom)})`;
    errors.push(`${m.graceFrom}grace: '${formatDuration(m.graceMs)}' is longer than endAfter '${end}'${from}`);
  }
  if (isRetryableCategory(category)) {
    const n = maxRetriesIn30Days(m.steps);
    if (n > POLICY_MAX_RETRIES_IN_30_DAYS) {
      errors.push(
        `${m.stepsFrom}steps: ${n} retries within 30 days exceed Visa's limit of ${POLICY_MAX_RETRIES_IN_30_DAYS} reattempts in 30 days`,
      );
    }
  }
}

export function isValidTimeZone(tz: string): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The notice's levels in milliseconds, the default filling what `p` leaves out. */
export function noticeThresholds(p: Pick<DunningPolicy, 'noticeSeverity'>): NoticeThresholds {
  return {
    warningMs: parseDuration(p.noticeSeverity?.warning ?? DEFAULT_NOTICE_SEVERITY.warning),
    wallMs: parseDuration(p.noticeSeverity?.wall ?? DEFAULT_NOTICE_SEVERITY.wall),
  };
}

/** A policy that names levels must put them in order, within the case's life. */
function checkNoticeSeverity(p: DunningPolicy, errors: string[]): void {
  const given = p.noticeSeverity;
  if (!given || (given.warning === undefined && given.wall === undefined)) return;
  const label = (field: 'warning' | 'wall') =>
    `'${given[field] ?? DEFAULT_NOTICE_SEVERITY[field]}'${given[field] === undefined ? ' (the default)' : ''}`;
  const t = noticeThresholds(p);
  if (t.warningMs === 0) errors.push(`noticeSeverity.warning: must be later than '0' (the first days are a plain notice)`);
  if (t.wallMs <= t.warningMs) {
    errors.push(`noticeSeverity: wall ${label('wall')} must come after warning ${label('warning')}`);
  }
  const endAfterMs = parseDuration(p.endAfter);
  if (given.wall !== undefined && t.wallMs >= endAfterMs) {
    errors.push(`noticeSeverity.wall: '${given.wall}' is not before endAfter '${p.endAfter}': no open case would reach it`);
  }
}

function checkSemantics(p: DunningPolicy, errors: string[]): void {
  if (parseDuration(p.endAfter) === 0) errors.push(`endAfter: must be longer than '0'`);
  checkSteps(p.steps, '', errors);
  checkNoticeSeverity(p, errors);
  if (!isValidTimeZone(p.defaultTimeZone)) {
    errors.push(`defaultTimeZone: '${p.defaultTimeZone}' is not an IANA time zone such as 'Europe/Paris'`);
  }
  const days = new Set<number>();
  p.paydays.forEach((d, i) => {
    if (days.has(d)) errors.push(`paydays[${i}]: ${d} is listed twice`);
    days.add(d);
  });
  for (const c of DECLINE_CATEGORIES) {
    const o = p.byCategory?.[c];
    if (o) checkOverride(o, `byCategory.${c}.`, errors);
  }
  p.overrides?.forEach((ov, i) => {
    const prefix = `overrides[${i}].`;
    const { match } = ov;
    if (
      match.plans === undefined &&
      match.minAmount === undefined &&
      match.maxAmount === undefined &&
      match.currency === undefined
    ) {
      errors.push(`${prefix}match: must name at least one of plans, minAmount, maxAmount, currency`);
    }
    if (match.minAmount !== undefined && match.maxAmount !== undefined && match.minAmount > match.maxAmount) {
      errors.push(`${prefix}match: minAmount ${match.minAmount} is greater than maxAmount ${match.maxAmount}`);
    }
    if (Object.keys(ov.policy).length === 0) errors.push(`${prefix}policy: changes nothing`);
    checkOverride(ov.policy, `${prefix}policy.`, errors);
  });
  const indexes: Array<number | undefined> = [undefined, ...(p.overrides ?? []).map((_, i) => i)];
  for (const oi of indexes) for (const c of DECLINE_CATEGORIES) checkCombination(p, c, oi, errors);
}

/** What is wrong with a policy beyond its shape (the edge checks the shape: src/policyFile.ts). */
export function policyProblems(p: DunningPolicy): string[] {
  const errors: string[] = [];
  checkSemantics(p, errors);
  errors.push(...otherCardsProblems(p.otherCards));
  errors.push(...expiryRemindersProblems(p.expiryReminders, durationMs));
  errors.push(...smsPolicyProblems(p.sms));
  const signup = failedSignupPolicy(p);
  if (signup) {
    const window = parseDuration(FAILED_SIGNUP_WINDOW);
    if (parseDuration(signup.endAfter) > window) {
      errors.push(
        `failedSignups.endAfter: '${signup.endAfter}' is longer than '${FAILED_SIGNUP_WINDOW}', after which Stripe expires the subscription`,
      );
    }
    signup.steps.forEach((s, i) => {
      // An incomplete subscription can be neither paused nor discounted: the sign-up flow is the place.
      if (s.action === 'offer') errors.push(`failedSignups.steps[${i}]: a failed sign-up cannot be made an offer`);
    });
    const inner: string[] = [];
    checkSemantics(signup, inner);
    errors.push(...inner.map((e) => `failedSignups.${e}`));
  }
  return [...new Set(errors)];
}

/**
 * The whole policy of a failed sign-up's case (see `DunningPolicy.failedSignups`), or undefined
 * when failed sign-ups are not dunned. Retries run at their planned offsets (no payday or hour
 * moves them past Stripe's expiry) and no category or override stretches the schedule.
 */
export function failedSignupPolicy(p: DunningPolicy): DunningPolicy | undefined {
  const f = p.failedSignups;
  if (!f) return undefined;
  return {
    version: 1,
    steps: f.steps.map((s) => ({ ...s })),
    endAfter: f.endAfter,
    endAction: 'leave_past_due',
    grace: f.endAfter,
    paydays: [...p.paydays],
    retryHour: null,
    ...(p.minRetryGap !== undefined ? { minRetryGap: p.minRetryGap } : {}),
    ...(p.customerRetryCooldown !== undefined ? { customerRetryCooldown: p.customerRetryCooldown } : {}),
    defaultTimeZone: p.defaultTimeZone,
    ...(p.sms ? { sms: p.sms } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Resolution for one case

function matches(m: OverrideMatch, ctx: { planId?: string; amountDue: number; currency: string }): boolean {
  if (m.plans !== undefined && (ctx.planId === undefined || !m.plans.includes(ctx.planId))) return false;
  if (m.minAmount !== undefined && ctx.amountDue < m.minAmount) return false;
  if (m.maxAmount !== undefined && ctx.amountDue > m.maxAmount) return false;
  if (m.currency !== undefined && m.currency.toLowerCase() !== ctx.currency.toLowerCase()) return false;
  return true;
}

/**
 * The policy of one case: the first matching override wins over the category's settings, which
 * win over the base. Retry steps are dropped for categories that forbid retrying the same card,
 * and steps at or after the end are dropped (a validated policy has none).
 */
export function resolvePolicy(
  p: DunningPolicy,
  ctx: { category: DeclineCategory; planId?: string; amountDue: number; currency: string },
): ResolvedPolicy {
  const oi = p.overrides?.findIndex((o) => matches(o.match, ctx));
  const m = merge(p, layersFor(p, ctx.category, oi === undefined || oi < 0 ? undefined : oi));
  const retryable = isRetryableCategory(ctx.category);
  const steps = m.steps
    .map((s, i) => ({ s, i, ms: parseDuration(s.at) }))
    .filter(({ s, ms }) => (retryable || s.action !== 'retry') && ms < m.endAfterMs)
    .sort((a, b) => a.ms - b.ms || a.i - b.i)
    .map(({ s }) => ({ ...s }));
  return {
    steps,
    endAfterMs: m.endAfterMs,
    endAction: m.endAction,
    graceMs: Math.min(m.graceMs, m.endAfterMs),
    paydays: [...new Set(p.paydays)].sort((a, b) => a - b),
    retryHour: p.retryHour,
    minRetryGapMs: parseDuration(p.minRetryGap ?? DEFAULT_MIN_RETRY_GAP),
    customerRetryCooldownMs: parseDuration(p.customerRetryCooldown ?? DEFAULT_CUSTOMER_RETRY_COOLDOWN),
    defaultTimeZone: p.defaultTimeZone,
    sms: {
      maxPerCase: p.sms?.maxPerCase ?? DEFAULT_SMS_MAX_PER_CASE,
      quietHours: p.sms?.quietHours ? { ...p.sms.quietHours } : { ...DEFAULT_QUIET_HOURS },
    },
  };
}
