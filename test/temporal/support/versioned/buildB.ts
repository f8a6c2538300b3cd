/**
 * Build B of test/temporal/worker-versioning.test.ts, changed from build A (buildA.ts):
 * - longCase: a harmless change, as a patch-free release may make (new commands only after what
 *   A's histories hold), so an execution started on A replays on B;
 * - pinnedHelper: an incompatible change (a timer before the wait that A's histories lack): an
 *   execution started on A would fail with a nondeterminism error here, which pinning prevents.
 */
import { condition, defineSignal, setHandler, setWorkflowOptions, sleep } from '@temporalio/workflow';

export const finishSignal = defineSignal('finish');

export async function longCase(): Promise<string> {
  let finished = false;
  setHandler(finishSignal, () => void (finished = true));
  await condition(() => finished);
  await sleep(10);
  return 'B';
}
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, longCase);

export async function pinnedHelper(): Promise<string> {
  let finished = false;
  setHandler(finishSignal, () => void (finished = true));
  await sleep(10);
  await condition(() => finished);
  return 'B';
}
setWorkflowOptions({ versioningBehavior: 'PINNED' }, pinnedHelper);
