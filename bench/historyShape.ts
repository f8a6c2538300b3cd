/**
 * What a history costs, counted from its events: the floor's shape (a real case up to its first
 * email) and the per-path figures (events, workflow tasks, billable actions).
 */
import { temporal } from '@temporalio/proto';
import type { FloorRound, FloorShape } from './floor/workflows';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const T = temporal.api.enums.v1.EventType;

/** The event's type name without the `EVENT_TYPE_` prefix, from fetched histories (enum numbers) or their JSON (names). */
export function eventTypeName(e: HistoryEvent | { eventType?: unknown }): string {
  const t = e.eventType;
  const name = typeof t === 'number' ? T[t] : String(t);
  return String(name).replace(/^EVENT_TYPE_/, '');
}

const activityName = (e: HistoryEvent & { activityTaskScheduledEventAttributes?: unknown }): string | undefined =>
  (e as { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }).activityTaskScheduledEventAttributes
    ?.activityType?.name ?? undefined;

/**
 * The commands of each workflow task of a case up to the one that scheduled its first email.
 * Commands follow the WORKFLOW_TASK_COMPLETED event of the task that gave them; tasks that gave
 * none are left out (the floor cannot make an empty one).
 */
export function shapeUpToFirstEmail(events: readonly HistoryEvent[]): FloorShape {
  const rounds: FloorRound[] = [];
  let round: FloorRound | undefined;
  for (const e of events) {
    const type = eventTypeName(e);
    if (type === 'WORKFLOW_TASK_COMPLETED') {
      round = { activities: 0, timers: 0, upserts: 0 };
      rounds.push(round);
    }
    if (!round) continue;
    if (type === 'ACTIVITY_TASK_SCHEDULED') {
      round.activities++;
      if (activityName(e) === 'sendDunningEmail') return { rounds: rounds.filter((r) => r.activities + r.timers + r.upserts) };
    }
    if (type === 'TIMER_STARTED') round.timers++;
    if (type === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES' || type === 'WORKFLOW_PROPERTIES_MODIFIED') round.upserts++;
  }
  throw new Error('no email in this history');
}

/** `2 tasks: 1 activity 1 upsert, 2 activities 4 upserts`. */
export function describeShape(shape: FloorShape): string {
  const part = (n: number, what: string) => (n ? `${n} ${what}${n > 1 ? 's' : ''}` : '');
  return `${shape.rounds.length} tasks: ${shape.rounds
    .map((r) =>
      [part(r.activities, 'activity').replace('activitys', 'activities'), part(r.timers, 'timer'), part(r.upserts, 'upsert')]
        .filter(Boolean)
        .join(' '),
    )
    .join(', ')}`;
}

export interface HistoryCost {
  events: number;
  workflowTasks: number;
  actions: number;
}

/**
 * Billable actions as Temporal Cloud counts them (docs.temporal.io, "Actions"): a start (signal-
 * with-start counts two), each signal, query answered, update, activity attempt, timer, upsert of
 * search attributes or memo, child workflow start, external signal, side effect or local activity
 * marker. Patch markers and heartbeats are left out (patches are not billed; the case heartbeats
 * nothing). An estimate to watch for regressions, not an invoice.
 */
export function historyCost(events: readonly HistoryEvent[]): HistoryCost {
  let actions = 0;
  let workflowTasks = 0;
  for (const e of events) {
    switch (eventTypeName(e)) {
      case 'WORKFLOW_TASK_COMPLETED':
        workflowTasks++;
        break;
      case 'WORKFLOW_EXECUTION_STARTED':
      case 'WORKFLOW_EXECUTION_SIGNALED':
      case 'ACTIVITY_TASK_SCHEDULED':
      case 'TIMER_STARTED':
      case 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES':
      case 'WORKFLOW_PROPERTIES_MODIFIED':
      case 'START_CHILD_WORKFLOW_EXECUTION_INITIATED':
      case 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED':
      case 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED':
        actions++;
        break;
      case 'ACTIVITY_TASK_STARTED': {
        // Retries: every attempt after the first is one more action.
        const attempt = (e as { activityTaskStartedEventAttributes?: { attempt?: number } }).activityTaskStartedEventAttributes
          ?.attempt;
        if (attempt && attempt > 1) actions += attempt - 1;
        break;
      }
      case 'MARKER_RECORDED': {
        const name = (e as { markerRecordedEventAttributes?: { markerName?: string } }).markerRecordedEventAttributes?.markerName;
        if (name !== 'core_patch') actions++;
        break;
      }
    }
  }
  return { events: events.length, workflowTasks, actions };
}
