/**
 * A Temporal client whose visibility list is fixed rows, for tests of what reads visibility
 * (src/temporal/visibilityRows.ts) without a server: the rows go through the same decoding as a
 * real `ListWorkflowExecutions` answer (search attributes as payloads, the memo through the codec).
 */
import type { Client } from '@temporalio/client';
import type { DataConverter, Payload, SearchAttributeUpdatePair } from '@temporalio/common';
import { encodeUnifiedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { encodeMapToPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/data-converter-helpers';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

export interface StubRow {
  workflowId: string;
  startTime: Date;
  searchAttributes: SearchAttributeUpdatePair[];
  /** Encoded with `memoConverter` (another key than the client's: an undecryptable row). */
  memo?: Record<string, unknown>;
  memoConverter?: DataConverter;
}

export async function rawRow(
  row: StubRow,
  converter: DataConverter = {},
): Promise<temporal.api.workflow.v1.WorkflowExecutionInfo> {
  const memo = row.memo ? await encodeMapToPayloads(loadDataConverter(row.memoConverter ?? converter), row.memo) : undefined;
  return temporal.api.workflow.v1.WorkflowExecutionInfo.create({
    execution: { workflowId: row.workflowId, runId: `run-${row.workflowId}` },
    type: { name: 'dunningWorkflow' },
    taskQueue: 'dunning',
    status: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    startTime: msToTs(row.startTime.getTime()),
    searchAttributes: {
      indexedFields: encodeUnifiedSearchAttributes(undefined, row.searchAttributes) as Record<string, Payload>,
    },
    memo: memo ? { fields: memo } : undefined,
  });
}

/** `pageSize` rows per page (all on one page by default), as the server pages them. */
export function visibilityStub(rows: StubRow[], o: { dataConverter?: DataConverter; pageSize?: number } = {}): Client {
  const converter = o.dataConverter ?? {};
  return {
    options: { namespace: 'default', loadedDataConverter: loadDataConverter(converter) },
    withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn(),
    workflowService: {
      async listWorkflowExecutions(req: { nextPageToken?: Uint8Array }) {
        const size = o.pageSize ?? rows.length;
        const from = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) : 0;
        const page = rows.slice(from, from + size);
        const next = from + size < rows.length ? Buffer.from(String(from + size)) : Buffer.alloc(0);
        return { executions: await Promise.all(page.map((r) => rawRow(r, converter))), nextPageToken: next };
      },
    },
  } as unknown as Client;
}
