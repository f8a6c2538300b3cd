/**
 * The floor of failure → first email: what a case does up to its first email (as many activities,
 * timers and search-attribute upserts, counted from a real case's history by the bench), with
 * nothing inside. No service can be faster on the same server; the bench compares the service
 * with it. Returns when its last activity (the one standing for the email) ran.
 */
import { proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type * as activities from './activities';

/** One workflow task of a case and the commands it gave. */
export interface FloorRound {
  activities: number;
  timers: number;
  /** Search attributes and memo. */
  upserts: number;
}

/** The workflow tasks of a case up to its first email (the last round schedules the email). */
export interface FloorShape {
  rounds: FloorRound[];
}

export const FLOOR_WORKFLOW = 'benchFloorWorkflow';
export const FLOOR_SIGNAL = 'benchFloorGo';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '30s' });

/** Each round as one workflow task: its upserts, then its activities and timers at once, all awaited. */
export async function benchFloorWorkflow(shape: FloorShape): Promise<number> {
  let lastRanAt = 0;
  for (const round of shape.rounds) {
    for (let i = 0; i < round.upserts; i++) upsertSearchAttributes({ DunningState: ['active'] });
    const ran = await Promise.all([
      ...Array.from({ length: round.activities }, () => noop()),
      ...Array.from({ length: round.timers }, () => sleep(1).then(() => 0)),
    ]);
    lastRanAt = Math.max(lastRanAt, ...ran);
  }
  return lastRanAt;
}
