/**
 * A case goes on in a new run of its workflow (continue-as-new): the same workflow id, its memo and
 * search attributes carried over, its record and inbox as the new run's input
 * (domain/caseSnapshot.ts), so it carries on exactly where it was. Two reasons:
 *
 * - an operator asks (`reencryptRequested`, docs/production/key-rotation.md): a history is never
 *   rewritten, so a case keeps every payload under the key in use when it was written for as long
 *   as it runs (weeks); its new run's history is written under the current key, and the old key
 *   can go once no run needs it;
 * - Temporal suggests it (`continueAsNewSuggested`): the history grows long, and replaying it costs.
 *
 * Only at the loop's wait for its next step, never in the middle of a charge or an email, and only
 * with nothing owed: no news waiting in the inbox (the loop acts on it first), every Update handler
 * finished (each one's caller is waiting for its answer from this run), every app event's start
 * taken. Signals that arrive as the run ends are not lost: Temporal refuses to end a run with new
 * events pending, and the task runs again with them (the inbox then has news, and the loop goes on).
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  makeContinueAsNewFunc,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CaseInbox } from '../domain/caseInbox';
import type { CaseRecord } from '../domain/caseRecord';
import { toSnapshot, type CaseSnapshot } from '../domain/caseSnapshot';
import { REENCRYPT_NOT_POSSIBLE, reencryptRequestedUpdate } from '../domain/messages';
import type { OperatorRequest } from '../domain/types';

export type CaseRuns = ReturnType<typeof caseRuns>;

/** What dunningWorkflow's next run is given (its DunningInput, resumed), named here so that this
 * file need not import dunning.ts, which imports it. */
type ResumedCase = (input: { invoiceId: string; customerId: string; resume: CaseSnapshot }) => Promise<unknown>;

/** `eventsStarted`: resolves once every app event the run emitted is started (caseAppEvents). */
export function caseRuns(record: CaseRecord, inbox: CaseInbox, eventsStarted: () => Promise<unknown>) {
  let asked: OperatorRequest | undefined;
  setHandler(
    reencryptRequestedUpdate,
    (request) => {
      asked ??= request;
      log.info('re-encryption asked: the case continues as new at its next wait', { by: request.by });
      return { fromRunId: workflowInfo().runId };
    },
    {
      validator: (_request) => {
        if (record.state === 'active' || record.state === 'processing') return;
        throw ApplicationFailure.create({
          type: REENCRYPT_NOT_POSSIBLE,
          message: `re-encryption not possible: the case is over (${record.state})`,
          nonRetryable: true,
        });
      },
    },
  );

  /** Whether the case should move to a new run at its next wait. */
  const wanted = (): boolean => asked !== undefined || workflowInfo().continueAsNewSuggested;

  /**
   * Called at the loop's wait: continues as new when wanted and nothing is owed (never returns
   * then); returns when not wanted, or when news came first (the loop acts on it, then comes back).
   */
  const continueIfWanted = async (): Promise<void> => {
    if (!wanted() || inbox.hasNews()) return;
    await eventsStarted();
    await condition(() => allHandlersFinished() || inbox.hasNews());
    if (inbox.hasNews()) return;
    const info = workflowInfo();
    log.info('the case continues as new', {
      reason: asked ? 'reencrypt_requested' : 'continue_as_new_suggested',
      historyLength: info.historyLength,
    });
    // Memo and search attributes passed, not left to the server to copy: the memo is encoded
    // again, under the current key, as the snapshot is.
    await makeContinueAsNewFunc<ResumedCase>({
      ...(info.memo ? { memo: info.memo } : {}),
      typedSearchAttributes: info.typedSearchAttributes,
    })({ invoiceId: record.invoiceId, customerId: record.customerId, resume: toSnapshot(record, inbox) });
  };

  return { wanted, continueIfWanted };
}
