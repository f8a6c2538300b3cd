/**
 * What a stalled case is, and how it is counted: pure, so that the rules are tested without a
 * server. A case is stalled when its workflow task has failed (or timed out) and the server keeps
 * retrying it: the case does nothing until someone fixes the cause (a search attribute the cluster
 * lacks, a non-determinism error after a bad deploy, a bug in the workflow code).
 */

/** From the second try on: the first failure may be a passing one (a worker restarting mid-task). */
export const STALLED_MIN_ATTEMPT = 2;

export interface StalledCase {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** The pending workflow task's attempt (1: the first try). */
  attempt: number;
  /** Bounded: the server's failure cause in snake case, `timed_out`, or `unknown`. */
  errorKind: string;
  /** The last failure's message as the server recorded it (shortened). */
  message?: string;
  /** When the failing began (the last failed or timed-out workflow task event). */
  failingSince?: string;
}

export interface StalledScan {
  /** When the scan ended. */
  scannedAt: string;
  /** `reported_problems`: the server's TemporalReportedProblems attribute; `describe`: every open case described. */
  method: 'reported_problems' | 'describe';
  /** How many open executions were looked at. */
  scanned: number;
  /** More open executions than one scan looks at: the count is a lower bound. */
  truncated: boolean;
  cases: StalledCase[];
}

const CAUSE_PREFIX = 'WORKFLOW_TASK_FAILED_CAUSE_';

/**
 * The error kind of a workflow task failure, from its history event: the failure cause the server
 * or the SDK recorded (`WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES` → `bad_search_attributes`,
 * `…_NON_DETERMINISTIC_ERROR` → `non_deterministic_error`, `…_WORKFLOW_WORKER_UNHANDLED_FAILURE`
 * → `workflow_worker_unhandled_failure`); a timed-out task (a worker stuck or dying in it) is
 * `timed_out`; none found (history already past it) is `unknown`. A bounded set: a metric label.
 */
export function stalledErrorKind(event: { kind: 'failed'; cause?: string } | { kind: 'timed_out' } | undefined): string {
  if (!event) return 'unknown';
  if (event.kind === 'timed_out') return 'timed_out';
  const cause = event.cause ?? '';
  if (!cause.startsWith(CAUSE_PREFIX) || cause === `${CAUSE_PREFIX}UNSPECIFIED`) return 'unknown';
  return cause.slice(CAUSE_PREFIX.length).toLowerCase();
}

/** Stalled or not, from the describe's pending workflow task (undefined: none pending). */
export function isStalled(pendingAttempt: number | undefined, minAttempt = STALLED_MIN_ATTEMPT): boolean {
  return pendingAttempt !== undefined && pendingAttempt >= minAttempt;
}

/** The gauge's values: stalled cases by workflow type and error kind. */
export function stalledCounts(cases: readonly StalledCase[]): Array<{ workflowType: string; errorKind: string; count: number }> {
  const counts = new Map<string, { workflowType: string; errorKind: string; count: number }>();
  for (const c of cases) {
    const key = `${c.workflowType}\u0000${c.errorKind}`;
    const entry = counts.get(key) ?? { workflowType: c.workflowType, errorKind: c.errorKind, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()].sort(
    (a, b) => a.workflowType.localeCompare(b.workflowType) || a.errorKind.localeCompare(b.errorKind),
  );
}

/** A message fit for a line: one line, at most `max` characters. */
export function shortMessage(message: string | undefined | null, max = 300): string | undefined {
  if (!message) return undefined;
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Runs `fn` over `items`, at most `limit` at a time (a scan must not flood the cluster). */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}
