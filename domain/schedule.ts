/**
 * Turns a resolved policy into concrete instants for one case.
 *
 * Pure and deterministic (imported by workflow code): time comes in as epoch milliseconds and
 * time-zone math uses Intl.DateTimeFormat with an explicit zone only.
 */
import { isRetryableCategory } from './declines';
import { formatDuration, isValidTimeZone, parseDuration, type ResolvedPolicy } from './policy';
import type { Offer } from './offers';
import { DEFAULT_QUIET_HOURS, inQuietHours } from './sms';
import type { DeclineCategory } from './types';

export type PlannedKind = 'email' | 'retry' | 'final_notice' | 'offer' | 'sms' | 'restrict_access' | 'end_action';

export interface PlannedStep {
  /**
   * Stable and unique within a case ('retry@3d', 'email:reminder@7d', 'final_notice@12d',
   * 'restrict_access', 'end_action'): built from the policy offset, never from the shifted time,
   * so idempotency keys survive a re-plan.
   */
  key: string;
  kind: PlannedKind;
  at: number;
  template?: string;
  /** An offer step's offer (domain/offers.ts). */
  offer?: Offer;
}

export interface PlanContext {
  startedAt: number;
  category: DeclineCategory;
  /** The customer's IANA zone; the policy default when absent or invalid. */
  timeZone?: string;
  /** Mastercard MAC 24-30: no retry before lastFailureAt + this. */
  networkRetryAfterMs?: number;
  /** Defaults to startedAt. */
  lastFailureAt?: number;
  /**
   * Retries closer than this to an earlier planned retry are dropped: once smart timing moves
   * retries onto a payday, a second one a few hours later only costs the customer a decline and
   * the card a reattempt. Default 0 (only identical instants collapse), for cases planned before.
   */
  minRetryGapMs?: number;
}

/** On equal times: try the card first, so a success makes the email at the same instant moot. */
const KIND_ORDER: Record<PlannedKind, number> = {
  retry: 0,
  email: 1,
  offer: 2,
  // After the email of the same instant: the text points to what the email says.
  sms: 3,
  final_notice: 4,
  restrict_access: 5,
  end_action: 6,
};

// ---------------------------------------------------------------------------------------------
// Time-zone math

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalTime {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Offset of local wall time from UTC at an instant, in ms (Los Angeles in winter: -8 h). */
function offsetAt(ms: number, timeZone: string): number {
  const l = localTime(ms, timeZone);
  const wall = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant a local wall time happens. Ambiguous times (the repeated hour when clocks fall back)
 * take the earlier instant; times that do not exist (skipped when clocks spring forward) move
 * forward by the gap, e.g. 02:30 on a spring-forward night in Los Angeles becomes 03:30 PDT.
 */
export function zonedTimeToEpoch(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  const candidates = [wall - before, wall - after].filter((t) => offsetAt(t, timeZone) === wall - t);
  if (candidates.length > 0) return Math.min(...candidates);
  return wall - before; // in the gap: the offset from before the jump lands after it
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The first payday at `hour` local time at or after afterMs. A payday past the month's end is
 * clamped to its last day (31 in February means the 28th or 29th): salaries are paid then.
 */
export function nextPaydayAt(afterMs: number, paydays: number[], hour: number, timeZone: string): number {
  const days = paydays.length > 0 ? paydays : [1];
  const start = localTime(afterMs, timeZone);
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 3 && best === Number.POSITIVE_INFINITY; k++) {
    const y = start.year + Math.floor((start.month - 1 + k) / 12);
    const m = ((start.month - 1 + k) % 12) + 1;
    for (const d of days) {
      const t = zonedTimeToEpoch(y, m, Math.min(d, daysInMonth(y, m)), hour, 0, timeZone);
      if (t >= afterMs && t < best) best = t;
    }
  }
  return best;
}

/**
 * The first instant at or after `ms` outside quiet hours in `timeZone` (local hours, possibly past
 * midnight: 21 to 8): a text due at 23:10 goes at 08:00 the next morning, one due at 06:00 at 08:00.
 */
export function afterQuietHours(ms: number, quiet: { start: number; end: number }, timeZone: string): number {
  const l = localTime(ms, timeZone);
  if (!inQuietHours(l.hour, quiet)) return ms;
  // Past the start on a wrapping night (22:00 of 21-8): the end is tomorrow; else today.
  const tomorrow = quiet.start > quiet.end && l.hour >= quiet.start;
  const day = new Date(Date.UTC(l.year, l.month - 1, l.day + (tomorrow ? 1 : 0)));
  return zonedTimeToEpoch(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), quiet.end, 0, timeZone);
}

// ---------------------------------------------------------------------------------------------
// Planning

/**
 * Concrete steps of one case, sorted by time, then retry before email before final notice, then
 * policy order.
 *
 * Retries (only for categories that allow retrying the same card):
 * - insufficient_funds: moved to the next payday at or after the nominal time, at retryHour local;
 *   if that would be at or after the end action, the nominal time is kept.
 * - other retryable categories: retryHour local on the nominal day; when that hour has already
 *   passed on that day the nominal time itself is used (a retry never moves earlier than planned,
 *   and never slips a whole day).
 * - with `retryHour: null` (compressed policies) neither of the above: the planned offset.
 * - never earlier than lastFailureAt + networkRetryAfterMs (Mastercard MAC 24-30 wait).
 * - a retry that cannot happen before the end action is dropped; retries landing on the same
 *   instant, or within minRetryGapMs of each other, collapse into the first one (its key is kept).
 * restrict_access comes at startedAt + grace when grace < endAfter; at the end the end action
 * implies restriction, so only end_action is emitted.
 */
/** The zone a case lives in: the customer's, else the policy's default, else UTC. */
export function caseTimeZone(customerTimeZone: string | undefined, policyDefault: string): string {
  if (customerTimeZone && isValidTimeZone(customerTimeZone)) return customerTimeZone;
  return isValidTimeZone(policyDefault) ? policyDefault : 'UTC';
}

/** The policy offset a step's key was built from ('3d' for 'retry@3d'); undefined for unique steps. */
export function stepOffsetLabel(step: Pick<PlannedStep, 'key'>): string | undefined {
  const at = step.key.lastIndexOf('@');
  return at < 0 ? undefined : step.key.slice(at + 1);
}

export function planSchedule(policy: ResolvedPolicy, ctx: PlanContext): PlannedStep[] {
  const tz = caseTimeZone(ctx.timeZone, policy.defaultTimeZone);
  const endAt = ctx.startedAt + policy.endAfterMs;
  const retryFloor =
    ctx.networkRetryAfterMs !== undefined && ctx.networkRetryAfterMs > 0
      ? (ctx.lastFailureAt ?? ctx.startedAt) + ctx.networkRetryAfterMs
      : Number.NEGATIVE_INFINITY;
  const retryable = isRetryableCategory(ctx.category);

  const planned: Array<PlannedStep & { order: number }> = [];
  const retryTimes = new Set<number>();
  const keys = new Set<string>();

  policy.steps.forEach((step, order) => {
    const offset = parseDuration(step.at);
    const nominal = ctx.startedAt + offset;
    const label = formatDuration(offset);
    if (nominal >= endAt) return;
    let entry: PlannedStep | undefined;
    if (step.action === 'email') {
      const template = step.template ?? 'reminder';
      entry = { key: `email:${template}@${label}`, kind: 'email', at: nominal, template };
    } else if (step.action === 'final_notice') {
      entry = { key: `final_notice@${label}`, kind: 'final_notice', at: nominal };
    } else if (step.action === 'sms') {
      // Never in the customer's night; a text pushed past the end is not sent (the case is over).
      const template = step.template ?? 'reminder';
      const at = afterQuietHours(nominal, policy.sms?.quietHours ?? DEFAULT_QUIET_HOURS, tz);
      entry = at < endAt ? { key: `sms:${template}@${label}`, kind: 'sms', at, template } : undefined;
    } else if (step.action === 'offer') {
      entry = step.offer ? { key: `offer@${label}`, kind: 'offer', at: nominal, offer: step.offer } : undefined;
    } else if (retryable) {
      const at = retryTime(nominal, policy, ctx.category, tz, endAt, retryFloor);
      if (at === undefined || [...retryTimes].some((t) => Math.abs(t - at) < Math.max(1, ctx.minRetryGapMs ?? 0))) return;
      retryTimes.add(at);
      entry = { key: `retry@${label}`, kind: 'retry', at };
    }
    if (!entry || keys.has(entry.key)) return;
    keys.add(entry.key);
    planned.push({ ...entry, order });
  });

  const n = policy.steps.length;
  if (policy.graceMs < policy.endAfterMs) {
    planned.push({ key: 'restrict_access', kind: 'restrict_access', at: ctx.startedAt + policy.graceMs, order: n });
  }
  planned.push({ key: 'end_action', kind: 'end_action', at: endAt, order: n + 1 });

  return planned
    .sort((a, b) => a.at - b.at || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.order - b.order)
    .map(({ order: _order, ...step }) => step);
}

function retryTime(
  nominal: number,
  policy: ResolvedPolicy,
  category: DeclineCategory,
  tz: string,
  endAt: number,
  floor: number,
): number | undefined {
  const earliest = Math.max(nominal, floor);
  let at: number;
  if (policy.retryHour === null) {
    at = earliest; // no smart timing: the planned offset (compressed policies)
  } else if (category === 'insufficient_funds') {
    const payday = nextPaydayAt(earliest, policy.paydays, policy.retryHour, tz);
    at = payday < endAt ? payday : earliest;
  } else {
    const l = localTime(nominal, tz);
    const atHour = zonedTimeToEpoch(l.year, l.month, l.day, policy.retryHour, 0, tz);
    at = Math.max(atHour, earliest);
  }
  return at < endAt ? at : undefined;
}
