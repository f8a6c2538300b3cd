/**
 * The results of the experiments, as the API, the dashboard, the CLI and the metrics show them:
 * the running experiment (DUNNING_EXPERIMENT) first, even before any case has ended, then every
 * earlier experiment that has end records (a stopped experiment's results stay readable). Sums
 * come from the end records (domain/caseEndRecord.ts); the open cases per arm from visibility's
 * `count`, which is all visibility can do for us here.
 */
import type { Client } from '@temporalio/client';
import type { CaseEndStore } from '../../domain/caseEndRecord';
import { DEFAULT_EXPERIMENT_SETTINGS } from '../../domain/experiment';
import { experimentResult, type ExperimentReport } from '../../domain/experimentResults';
import { WORKFLOW_TYPE } from '../../domain/messages';
import { DunningArm, DunningExperiment } from '../../domain/searchAttributes';
import type { RunningExperiment } from '../experimentFile';
import { quote } from '../temporal/visibilityRows';

export interface ExperimentResultsOptions {
  store: CaseEndStore;
  experiment?: RunningExperiment;
  /** Open cases of one arm (visibility); unset: not counted. */
  countOpen?: (experimentId: string, arm: string) => Promise<number>;
}

export async function readExperimentResults(o: ExperimentResultsOptions): Promise<ExperimentReport[]> {
  const running = o.experiment?.plan.id;
  const ids = await o.store.experimentIds();
  const all = running ? [running, ...ids.filter((id) => id !== running)] : ids;
  return Promise.all(
    all.map(async (id) => {
      const isRunning = id === running;
      const arms = isRunning ? o.experiment!.plan.arms.map((a) => a.name) : undefined;
      const records = await o.store.ofExperiment(id);
      const names = arms ?? [...new Set(records.map((r) => r.experiment!.arm))];
      const open = o.countOpen
        ? Object.fromEntries(await Promise.all(names.map(async (arm) => [arm, await o.countOpen!(id, arm)] as const)))
        : undefined;
      // A stopped experiment reads by the settings it last ran with (unknown: the defaults).
      const settings = isRunning
        ? o.experiment!.settings
        : ((await o.store.experimentSettings(id)) ?? DEFAULT_EXPERIMENT_SETTINGS);
      return { ...experimentResult({ experimentId: id, settings, arms, records, open }), running: isRunning };
    }),
  );
}

/** Visibility's count of one arm's running cases on this deployment's task queue. */
export function openCasesCounter(client: Client, taskQueue: string, deadlineMs = 10_000) {
  return async (experimentId: string, arm: string): Promise<number> => {
    const query = [
      `WorkflowType = ${quote(WORKFLOW_TYPE)}`,
      `TaskQueue = ${quote(taskQueue)}`,
      `ExecutionStatus = 'Running'`,
      `${DunningExperiment.name} = ${quote(experimentId)}`,
      `${DunningArm.name} = ${quote(arm)}`,
    ].join(' AND ');
    return (await client.withDeadline(Date.now() + deadlineMs, () => client.workflow.count(query))).count;
  };
}
