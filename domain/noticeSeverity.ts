/**
 * How loud the in-app notice of an open case is (`GET /api/customers/:id/billing-notice`): a calm
 * `notice` first, a `warning` later, a `wall` at the end. The app decides what each does (a banner,
 * a modal, a locked screen); the service never locks anyone out itself.
 *
 * Pure (the policy's validation imports it): the levels, their default, their rules, and which of
 * a customer's open cases the notice shows.
 */

export const NOTICE_SEVERITIES = ['notice', 'warning', 'wall'] as const;
export type NoticeSeverity = (typeof NOTICE_SEVERITIES)[number];

/** Policy field `noticeSeverity`: offsets from the first failure ('5d', '12h') where each level starts. */
export interface NoticeSeverityLevels {
  warning?: string;
  wall?: string;
}

/**
 * Used for what a policy leaves out: a warning with the second reminder of the default policy
 * (day 7), the wall with its final notice (day 12), two days before the end action.
 */
export const DEFAULT_NOTICE_SEVERITY: Required<NoticeSeverityLevels> = { warning: '7d', wall: '12d' };

/** The levels in milliseconds, the default filling what the policy leaves out. */
export interface NoticeThresholds {
  warningMs: number;
  wallMs: number;
}

/**
 * The notice's severity at `nowMs` for a case that started at `startedAtMs`. The grace period's end
 * (`graceEndsAtMs`, when the app is told to restrict access) is a wall whatever the day: the notice
 * never says less than the app's own access events.
 */
export function severityAt(t: NoticeThresholds, startedAtMs: number, nowMs: number, graceEndsAtMs?: number): NoticeSeverity {
  const since = nowMs - startedAtMs;
  if (since >= t.wallMs || (graceEndsAtMs !== undefined && nowMs >= graceEndsAtMs)) return 'wall';
  if (since >= t.warningMs) return 'warning';
  return 'notice';
}

const rank = (s: NoticeSeverity): number => NOTICE_SEVERITIES.indexOf(s);

/**
 * The one case a customer's notice shows when several are open (two subscriptions, two failed
 * invoices): the most severe, and among equals the oldest (the first to reach its end). Undefined
 * for none.
 */
export function pickNoticeCase<T extends { severity: NoticeSeverity; startedAt: string }>(cases: readonly T[]): T | undefined {
  return [...cases].sort((a, b) => rank(b.severity) - rank(a.severity) || Date.parse(a.startedAt) - Date.parse(b.startedAt))[0];
}
