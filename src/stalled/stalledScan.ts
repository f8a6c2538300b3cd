/**
 * Finds the stalled cases of this deployment on the cluster. The SDK's metrics never see a failure
 * the server raises (BadSearchAttributes on an upsert fails the task after the worker completed it),
 * but the server knows: a describe of the execution shows the pending workflow task's attempt, and
 * the history keeps the failure (the first of a run of failures; later tries are not written).
 *
 * Servers that report problems in visibility (the TemporalReportedProblems system attribute,
 * `category=WorkflowTaskFailed`) are asked for those executions only; others have every open
 * execution of the task queue described, at most `maxExecutions` of them, `concurrency` at a time.
 */
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { quote } from '../temporal/visibilityRows';
import { isStalled, mapLimited, shortMessage, stalledErrorKind, type StalledCase, type StalledScan } from './stalledKind';

const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

export const REPORTED_PROBLEMS = 'TemporalReportedProblems';
const PROBLEM_CATEGORIES = ['category=WorkflowTaskFailed', 'category=WorkflowTaskTimedOut'];

export interface ScanOptions {
  taskQueue: string;
  maxExecutions?: number;
  concurrency?: number;
  /** Per call to the cluster. */
  callTimeoutMs?: number;
  /** Force a method; default: `reported_problems` where the server has the attribute. */
  method?: StalledScan['method'];
}

/** Whether the namespace's server keeps TemporalReportedProblems (Temporal 1.29+ with it enabled). */
export async function hasReportedProblems(client: Client): Promise<boolean> {
  const { systemAttributes } = await client.connection.operatorService.listSearchAttributes({
    namespace: client.options.namespace,
  });
  return Boolean(systemAttributes && REPORTED_PROBLEMS in systemAttributes);
}

export async function scanStalledCases(client: Client, opts: ScanOptions): Promise<StalledScan> {
  const maxExecutions = opts.maxExecutions ?? 5000;
  const callMs = opts.callTimeoutMs ?? 5000;
  const method = opts.method ?? ((await hasReportedProblems(client)) ? 'reported_problems' : 'describe');
  const clauses = [`ExecutionStatus = 'Running'`, `TaskQueue = ${quote(opts.taskQueue)}`];
  if (method === 'reported_problems') clauses.push(`${REPORTED_PROBLEMS} IN (${PROBLEM_CATEGORIES.map(quote).join(', ')})`);

  const open: Array<{ workflowId: string; runId: string; type: string }> = [];
  let truncated = false;
  for await (const wf of client.workflow.list({ query: clauses.join(' AND '), pageSize: 1000 })) {
    if (open.length >= maxExecutions) {
      truncated = true;
      break;
    }
    open.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type });
  }

  const found = await mapLimited(open, opts.concurrency ?? 8, async (wf) => {
    try {
      return await describeStalled(client, wf, callMs);
    } catch {
      // Ended or deleted meanwhile, or a slow answer: the next scan looks again.
      return undefined;
    }
  });
  return {
    scannedAt: new Date().toISOString(),
    method,
    scanned: open.length,
    truncated,
    cases: found.filter((c): c is StalledCase => c !== undefined),
  };
}

async function describeStalled(
  client: Client,
  wf: { workflowId: string; runId: string; type: string },
  callMs: number,
): Promise<StalledCase | undefined> {
  const namespace = client.options.namespace;
  const execution = { workflowId: wf.workflowId, runId: wf.runId };
  const described = await client.withDeadline(Date.now() + callMs, () =>
    client.workflowService.describeWorkflowExecution({ namespace, execution }),
  );
  const attempt = described.pendingWorkflowTask?.attempt ?? undefined;
  if (!isStalled(attempt ?? undefined)) return undefined;
  const last = await lastTaskProblem(client, execution, callMs);
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    workflowType: wf.type,
    attempt: attempt!,
    errorKind: stalledErrorKind(last?.event),
    message: last?.message,
    failingSince: last?.at,
  };
}

/** The most recent failed or timed-out workflow task of the run (its history read backwards, one page). */
async function lastTaskProblem(
  client: Client,
  execution: { workflowId: string; runId: string },
  callMs: number,
): Promise<{ event: Parameters<typeof stalledErrorKind>[0]; message?: string; at?: string } | undefined> {
  const { history } = await client.withDeadline(Date.now() + callMs, () =>
    client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution,
      maximumPageSize: 100,
    }),
  );
  for (const e of history?.events ?? []) {
    const ms = optionalTsToMs(e.eventTime);
    const at = ms === undefined ? undefined : new Date(ms).toISOString();
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
      const a = e.workflowTaskFailedEventAttributes;
      const cause = a?.cause == null ? undefined : WorkflowTaskFailedCause[a.cause];
      return { event: { kind: 'failed', cause }, message: shortMessage(a?.failure?.message), at };
    }
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) return { event: { kind: 'timed_out' }, at };
  }
  return undefined;
}
