/**
 * Activity log lines (the SDK's own "Activity failed" of each attempt included) carry `invoiceId`
 * beside the workflow's id and run: the SDK composes these attributes into every line an
 * activity's logger writes.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { invoiceIdOfWorkflowId } from '../../domain/logAttributes';

export const activityLogInterceptor: ActivityInterceptorsFactory = (ctx) => {
  const workflowId = ctx.info.workflowExecution?.workflowId;
  const invoiceId = workflowId === undefined ? undefined : invoiceIdOfWorkflowId(workflowId);
  if (!invoiceId) return {};
  return { outbound: { getLogAttributes: (attributes, next) => next({ ...attributes, invoiceId }) } };
};
