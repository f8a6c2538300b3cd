/**
 * Build A of test/temporal/worker-versioning.test.ts: a workflow type of each versioning behaviour
 * (workflows/versioning.ts says why the service's own all auto-upgrade), each waiting for a signal
 * and answering with the build that ran its last workflow task.
 */
import { condition, defineSignal, setHandler, setWorkflowOptions } from '@temporalio/workflow';

export const finishSignal = defineSignal('finish');

/** Stands for the weeks-long case (dunningWorkflow): moves to the current build at its next task. */
export async function longCase(): Promise<string> {
  let finished = false;
  setHandler(finishSignal, () => void (finished = true));
  await condition(() => finished);
  return 'A';
}
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, longCase);

/** A type pinned, as one would be under rainbow deployments: ends on the build it started on. */
export async function pinnedHelper(): Promise<string> {
  let finished = false;
  setHandler(finishSignal, () => void (finished = true));
  await condition(() => finished);
  return 'A';
}
setWorkflowOptions({ versioningBehavior: 'PINNED' }, pinnedHelper);
