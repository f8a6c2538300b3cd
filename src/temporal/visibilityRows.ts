/**
 * Visibility lists decoded row by row. The SDK's `client.workflow.list` decodes each row's memo
 * with the data converter and throws on the first one it cannot decrypt, so a single case written
 * under a key since removed from PAYLOAD_ENCRYPTION_KEYS would fail every list it appears in (the
 * API's, the dashboard's, the quarantine's, the card-update routing). Here such a row is still
 * returned, with its id, status and search attributes (never encrypted) and no memo, flagged
 * `undecryptable`, and counted (`dunning_undecryptable_rows_total`).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import type { RawWorkflowExecutionInfo } from '@temporalio/client/lib/types';
import { undecryptableRows } from '../metrics';

/** Keyword values are quoted in visibility queries; Stripe ids never contain quotes, but be safe. */
export const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * A run that continued as new (workflows/continueAsNew.ts) is not a case of its own: the run it
 * handed over to is. Visibility keeps the old run, with the search attributes it had, until
 * retention; lists of cases leave it out, so a case is listed once and never asked twice.
 */
export const NOT_HANDED_OVER = `ExecutionStatus != 'ContinuedAsNew'`;

export type VisibilityRow = WorkflowExecutionInfo & {
  /** Its memo could not be decoded (a key no longer configured, or corrupt data): `memo` is empty. */
  undecryptable?: true;
  /** Why, for the logs (the codec's message names the key id, never the data). */
  decodeError?: string;
};

/** A copy of the raw row without its memo; the proto's defaults (on its prototype) kept. */
function withoutMemo(raw: RawWorkflowExecutionInfo): RawWorkflowExecutionInfo {
  return Object.assign(Object.create(Object.getPrototypeOf(raw) as object) as RawWorkflowExecutionInfo, raw, { memo: null });
}

/**
 * The executions matching `query`, page by page, each decoded on its own. `list` names the list
 * (`cases`, `dashboard`, `quarantine`, …) in the metric's label.
 */
export async function* listRows(
  client: Client,
  o: { query: string; list: string; pageSize?: number },
): AsyncGenerator<VisibilityRow> {
  const converter = client.options.loadedDataConverter;
  const namespace = client.options.namespace;
  let nextPageToken: Uint8Array = Buffer.alloc(0);
  for (;;) {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace,
      query: o.query,
      nextPageToken,
      pageSize: o.pageSize,
    });
    for (const raw of page.executions) {
      let row: VisibilityRow;
      try {
        row = await executionInfoFromRaw(raw, converter, raw, namespace);
      } catch (err) {
        undecryptableRows.inc({ list: o.list });
        const info = await executionInfoFromRaw(withoutMemo(raw), converter, raw, namespace);
        row = { ...info, memo: undefined, undecryptable: true, decodeError: err instanceof Error ? err.message : String(err) };
      }
      yield row;
    }
    if (!page.nextPageToken || page.nextPageToken.length === 0) break;
    nextPageToken = page.nextPageToken;
  }
}
