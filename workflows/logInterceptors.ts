/**
 * Workflow log lines carry `invoiceId` beside the `workflowId` and `runId` the SDK adds (its
 * `log` is replay-aware: a replayed workflow logs nothing twice). Registered in the bundle
 * (`workflowInterceptorModules` in src/worker.ts bundleWorkflows); it only adds log attributes,
 * so it changes no command and every recorded history replays as before.
 */
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { invoiceIdOfWorkflowId } from '../domain/logAttributes';

export const interceptors: WorkflowInterceptorsFactory = () => {
  const invoiceId = invoiceIdOfWorkflowId(workflowInfo().workflowId);
  if (!invoiceId) return {};
  return { outbound: [{ getLogAttributes: (attributes, next) => next({ ...attributes, invoiceId }) }] };
};
