/**
 * A workflow for the telemetry test: one activity that fails twice as a provider outage would
 * (retryable, typed) and then succeeds, and a workflow log line.
 */
import { log, proxyActivities } from '@temporalio/workflow';

export interface FlakyActivities {
  flakyCharge(invoiceId: string): Promise<string>;
}

const { flakyCharge } = proxyActivities<FlakyActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 3 },
});

export async function flakyCaseWorkflow(invoiceId: string): Promise<string> {
  const result = await flakyCharge(invoiceId);
  log.info('flaky case done', { result });
  return result;
}
