/**
 * The Temporal Schedule that scans the cards for the reminders before a card expires
 * (workflows/cardExpiry.ts), made to match the policy at every start of the API (src/main.ts):
 *
 * - policy `expiryReminders` set, no schedule: created (every CARD_EXPIRY_SCAN_EVERY, default 1d);
 * - set, a schedule: its action (the policy it passes, the task queue) updated when they changed,
 *   its interval only when CARD_EXPIRY_SCAN_EVERY is set; its paused state never: an operator's
 *   pause (Web UI, `temporal schedule toggle`) outlives restarts;
 * - unset: a schedule left from before is deleted (the policy is the switch).
 *
 * Several API processes starting at once: one create wins, the others find it (idempotent).
 * Overlap SKIP: a scan still running when the next is due makes that one skipped, never two scans
 * starting the same reminders at once (the reminders' ids would refuse the doubles anyway).
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import { CARD_EXPIRY_SCAN_WORKFLOW_TYPE, CARD_EXPIRY_SCHEDULE_ID, type ExpiryRemindersPolicy } from '../../domain/cardExpiry';
import { durationMs } from '../../domain/policy';

export const DEFAULT_CARD_EXPIRY_SCAN_EVERY = '1d';

export type ScheduleChange = 'created' | 'updated' | 'unchanged' | 'deleted' | 'off';

export interface CardExpiryScheduleOptions {
  taskQueue: string;
  /** The policy's `expiryReminders`; undefined: no reminders, no schedule. */
  policy?: ExpiryRemindersPolicy;
  /** CARD_EXPIRY_SCAN_EVERY; undefined: a new schedule's default, an existing one's own interval. */
  every?: string;
  /** Schedule id; the tests give each their own. */
  scheduleId?: string;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export async function ensureCardExpirySchedule(client: Client, o: CardExpiryScheduleOptions): Promise<ScheduleChange> {
  const scheduleId = o.scheduleId ?? CARD_EXPIRY_SCHEDULE_ID;
  const handle = client.schedule.getHandle(scheduleId);
  if (!o.policy) {
    try {
      await handle.delete();
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'off';
      throw err;
    }
  }
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: CARD_EXPIRY_SCAN_WORKFLOW_TYPE,
    // The schedule appends the time of each action: card-expiry-scan-2026-12-08T02:00:00Z.
    workflowId: scheduleId,
    taskQueue: o.taskQueue,
    args: [o.policy],
    staticSummary: `scan the cards: remind ${o.policy.daysBefore} days before they expire`,
  };
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: durationMs(o.every ?? DEFAULT_CARD_EXPIRY_SCAN_EVERY) ?? 86_400_000 }] },
      action,
      policies: { overlap: 'SKIP', catchupWindow: '1 hour', pauseOnFailure: false },
      state: { note: 'created by the dunning service at start (docs/operations.md, "The card expiry scan")' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const now = await handle.describe();
  const everyMs = o.every === undefined ? undefined : durationMs(o.every);
  const current = now.action;
  const intervals = now.spec.intervals ?? [];
  const sameAction =
    current.type === 'startWorkflow' &&
    current.workflowType === CARD_EXPIRY_SCAN_WORKFLOW_TYPE &&
    current.taskQueue === o.taskQueue &&
    sameJson(current.args, action.args);
  const sameEvery = everyMs === undefined || (intervals.length === 1 && intervalMs(intervals[0]!.every) === everyMs);
  if (sameAction && sameEvery) return 'unchanged';
  await handle.update((prev) => ({
    ...prev,
    spec: everyMs === undefined ? prev.spec : { intervals: [{ every: everyMs }] },
    action,
  }));
  return 'updated';
}

/** An interval as describe() gives it (milliseconds, or a duration string). */
function intervalMs(every: unknown): number | undefined {
  if (typeof every === 'number') return every;
  if (typeof every === 'string') return durationMs(every);
  return undefined;
}
