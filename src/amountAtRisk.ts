/**
 * The money at risk right now: the sum of `DunningAmountDue` over this deployment's open cases
 * (active, or processing: a bank debit can still be returned),
 * by `DunningCurrency`, read from visibility. Counters cannot give it (a restarted process starts
 * them at zero, and the cases it did not see would be missing); visibility always has every case.
 * Visibility cannot sum, so the active cases are listed (their search attributes only).
 */
import type { Client } from '@temporalio/client';
import { WORKFLOW_TYPE } from '../domain/messages';
import { DunningAmountDue, DunningCurrency, DunningState } from '../domain/searchAttributes';
import { OPEN_STATES } from '../domain/types';
import type { OpenCases } from './metrics';
import { listRows, quote } from './temporal/visibilityRows';

export async function readOpenCases(client: Client, taskQueue: string, deadlineMs = 30_000): Promise<OpenCases> {
  const query = [
    `WorkflowType = ${quote(WORKFLOW_TYPE)}`,
    `ExecutionStatus = 'Running'`,
    `TaskQueue = ${quote(taskQueue)}`,
    `${DunningState.name} IN (${OPEN_STATES.map(quote).join(', ')})`,
  ].join(' AND ');
  const open: OpenCases = { cases: {}, amount: {} };
  await client.withDeadline(Date.now() + deadlineMs, async () => {
    // Search attributes only; row by row so that a memo under a removed key does not stop the count.
    for await (const wf of listRows(client, { query, pageSize: 1000, list: 'open_cases' })) {
      const currency = wf.typedSearchAttributes.get(DunningCurrency) ?? 'unknown';
      open.cases[currency] = (open.cases[currency] ?? 0) + 1;
      open.amount[currency] = (open.amount[currency] ?? 0) + (wf.typedSearchAttributes.get(DunningAmountDue) ?? 0);
    }
  });
  return open;
}
