/**
 * What a case costs on Temporal, per path of the default policy (bench phase 5), held to a budget:
 * a change that makes a case take more history events, workflow tasks or billable actions fails
 * here, in `npm test`, not months later on a Temporal Cloud invoice. Lowering a cost is welcome:
 * lower the budget with it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeShape, historyCost, shapeUpToFirstEmail } from '../../bench/historyShape';
import { PATHS, pathCosts } from '../../bench/pathCosts';

/**
 * The 1.0 baseline's figures (7 Dec 2026): the highest of three recordings, since how events fall
 * into workflow tasks varies with timing. Recorded afresh, the code before it (14 patch markers)
 * cost 77/69/160 events, 13/12/27 tasks and 19/17/38 actions on these paths.
 */
const BUDGET: Record<string, { events: number; workflowTasks: number; actions: number }> = {
  'recovered by scheduled retry': { events: 76, workflowTasks: 14, actions: 17 },
  'recovered by card update': { events: 59, workflowTasks: 10, actions: 15 },
  'exhausted (14 days, cancel)': { events: 152, workflowTasks: 27, actions: 34 },
};

type RecordedEvent = Parameters<typeof historyCost>[0][number];
/** An event as a recorded history's JSON has it: the type by name. */
const ev = (eventType: string, extra: Record<string, unknown> = {}) => ({ eventType, ...extra }) as unknown as RecordedEvent;

describe('historyCost', () => {
  it('counts what Temporal Cloud bills: signal-with-start as two, activity retries, markers but patches', () => {
    const cost = historyCost([
      ev('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED'),
      ev('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED'),
      ev('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED'),
      ev('EVENT_TYPE_WORKFLOW_TASK_STARTED'),
      ev('EVENT_TYPE_WORKFLOW_TASK_COMPLETED'),
      ev('EVENT_TYPE_MARKER_RECORDED', { markerRecordedEventAttributes: { markerName: 'core_patch' } }),
      ev('EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'),
      ev('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED', {
        activityTaskScheduledEventAttributes: { activityType: { name: 'loadCaseFacts' } },
      }),
      ev('EVENT_TYPE_ACTIVITY_TASK_STARTED', { activityTaskStartedEventAttributes: { attempt: 3 } }),
      ev('EVENT_TYPE_ACTIVITY_TASK_COMPLETED'),
      ev('EVENT_TYPE_TIMER_STARTED'),
    ]);
    // start + signal + upsert + activity + 2 retries + timer; the patch marker is free.
    expect(cost).toEqual({ events: 11, workflowTasks: 1, actions: 7 });
  });
});

describe('per-path cost of the default policy (recorded histories)', () => {
  const costs = pathCosts();

  it('has a figure for each of the three ends', () => {
    expect(costs.map((c) => c.path).sort()).toEqual(Object.keys(PATHS).sort());
  });

  for (const [path, budget] of Object.entries(BUDGET)) {
    it(`${path}: within its budget of ${budget.events} events, ${budget.workflowTasks} tasks, ${budget.actions} actions`, () => {
      const c = costs.find((x) => x.path === path)!;
      expect(c.events, `${c.history}: history events`).toBeLessThanOrEqual(budget.events);
      expect(c.workflowTasks, `${c.history}: workflow tasks`).toBeLessThanOrEqual(budget.workflowTasks);
      expect(c.actions, `${c.history}: billable actions`).toBeLessThanOrEqual(budget.actions);
    });
  }

  it('shapes the floor from a real case: the tasks up to the one that schedules the first email', () => {
    const file = costs.find((c) => c.path === 'recovered by scheduled retry')!.history;
    const { events } = JSON.parse(readFileSync(join(__dirname, '..', 'histories', file), 'utf8')) as {
      events: Parameters<typeof shapeUpToFirstEmail>[0];
    };
    const shape = shapeUpToFirstEmail(events);
    expect(shape.rounds.length).toBeGreaterThan(0);
    expect(shape.rounds.at(-1)!.activities).toBeGreaterThan(0);
    expect(describeShape(shape)).toMatch(/^\d+ tasks?: /);
  });
});
