/**
 * In production, a start, signal or Update whose payload came unencrypted has no effect
 * (domain/unencryptedPayloads.ts): the production worker's codec hands the workflow a marker in
 * its place, and this inbound interceptor ignores whatever carries it, logged (replay-aware `log`)
 * and counted (a sink, not called on replay). So is one without the argument its handler needs,
 * in every mode (only a hand-made call lacks it, and its handler would fail the workflow task).
 * Nothing here throws anything but a Temporal failure, so the workflow task never fails and the
 * case goes on.
 *
 * - a signal is dropped: its handler never runs;
 * - an Update is refused by its validator (every Update of the service has one), so it is never
 *   accepted into the history; one without a validator fails as an Update, the workflow goes on;
 * - a start ends the run at once, failed with UNENCRYPTED_START_FAILURE, before the workflow
 *   function runs. Failed rather than completed: a case is started with ALLOW_DUPLICATE_FAILED_ONLY,
 *   and a completed run would keep the invoice's real case from ever starting.
 *
 * Registered in the bundle (`workflowInterceptorModules` in src/worker.ts bundleWorkflows). The
 * marker only ever comes from the production codec, and the service never sends a message without
 * its argument; histories written without either (development, the recorded ones) take exactly the
 * paths they took before, so they replay unchanged.
 */
import {
  ApplicationFailure,
  log,
  proxySinks,
  workflowInfo,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import {
  lacksEncryptedArgument,
  UNENCRYPTED_START_FAILURE,
  UNENCRYPTED_UPDATE_FAILURE,
  type IgnoredUnencrypted,
  type UnencryptedPayloadSinks,
} from '../domain/unencryptedPayloads';

const { unencryptedPayloads } = proxySinks<UnencryptedPayloadSinks>();

function ignored(what: IgnoredUnencrypted): void {
  log.warn(`unencrypted ${what.kind} payload ignored: only the service's own clients (which encrypt) may act on a case`, {
    unencryptedKind: what.kind,
    unencryptedName: what.name,
  });
  unencryptedPayloads.ignored(what);
}

const inbound: WorkflowInboundCallsInterceptor = {
  execute: async (input, next) => {
    const { workflowType } = workflowInfo();
    if (!lacksEncryptedArgument(workflowType, input.args)) return next(input);
    ignored({ kind: 'start', name: workflowType });
    throw ApplicationFailure.nonRetryable('start ignored: its input was not encrypted', UNENCRYPTED_START_FAILURE);
  },
  handleSignal: async (input, next) => {
    if (!lacksEncryptedArgument(input.signalName, input.args)) return next(input);
    ignored({ kind: 'signal', name: input.signalName });
  },
  validateUpdate: (input, next) => {
    if (!lacksEncryptedArgument(input.name, input.args)) return next(input);
    ignored({ kind: 'update', name: input.name });
    throw ApplicationFailure.nonRetryable('Update refused: its argument was not encrypted', UNENCRYPTED_UPDATE_FAILURE);
  },
  handleUpdate: async (input, next) => {
    if (!lacksEncryptedArgument(input.name, input.args)) return next(input);
    // Only an Update without a validator gets here (the validator refused the others).
    ignored({ kind: 'update', name: input.name });
    throw ApplicationFailure.nonRetryable('Update refused: its argument was not encrypted', UNENCRYPTED_UPDATE_FAILURE);
  },
};

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [inbound] });
