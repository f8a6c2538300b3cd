/**
 * The cases the recovery dashboard reads, from Temporal visibility: this deployment's (task queue)
 * open cases and those that ended since the month began, with their search attributes. Nothing is
 * counted in this process, so a restart loses nothing; what visibility no longer has (a closed case
 * past the namespace's retention) the dashboard cannot count either.
 */
import type { Client } from '@temporalio/client';
import { WORKFLOW_TYPE } from '../../domain/messages';
import { DunningBlockedOn, DunningRecoveredBy } from '../../domain/searchAttributes';
import { listRows, NOT_HANDED_OVER, quote, type VisibilityRow } from '../temporal/visibilityRows';
import { visibleCase } from '../visibleCase';
import type { DashboardCase } from './figures';

export interface DashboardCases {
  cases: DashboardCase[];
  /** More cases matched than `limit`: the figures cover the first `limit` only (the page says so). */
  truncated: boolean;
}

export async function readDashboardCases(
  client: Client,
  o: { taskQueue: string; since: Date; limit?: number; deadlineMs?: number },
): Promise<DashboardCases> {
  const limit = o.limit ?? 5000;
  const query = [
    `WorkflowType = ${quote(WORKFLOW_TYPE)}`,
    `TaskQueue = ${quote(o.taskQueue)}`,
    `(ExecutionStatus = 'Running' OR CloseTime >= ${quote(o.since.toISOString())})`,
    NOT_HANDED_OVER,
  ].join(' AND ');
  const cases: DashboardCase[] = [];
  let truncated = false;
  await client.withDeadline(Date.now() + (o.deadlineMs ?? 10_000), async () => {
    // Row by row: a case the codec cannot decrypt is counted from its search attributes alone.
    for await (const wf of listRows(client, { query, list: 'dashboard' })) {
      if (cases.length >= limit) {
        truncated = true;
        break;
      }
      cases.push(toDashboardCase(wf));
    }
  });
  return { cases, truncated };
}

export function toDashboardCase(wf: VisibilityRow): DashboardCase {
  const sa = wf.typedSearchAttributes;
  return {
    ...visibleCase(wf),
    blockedOn: sa.get(DunningBlockedOn) || undefined,
    recoveredBy: sa.get(DunningRecoveredBy) || undefined,
    // In the memo, not a search attribute: the contract's attributes stay as registered.
    emailUndeliverable: typeof wf.memo?.emailUndeliverable === 'string' ? wf.memo.emailUndeliverable : undefined,
    stripeRetrying: typeof wf.memo?.stripeRetrying === 'number' ? wf.memo.stripeRetrying : undefined,
  };
}
