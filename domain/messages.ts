/** Signals and queries of `dunningWorkflow`, defined once and shared by the workflow and clients. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CancelDunningSignal,
  DunningStatus,
  PaymentFailedSignal,
  PaymentMethodUpdatedSignal,
  PaymentSucceededSignal,
  RetryOutcome,
  RetryRequest,
} from './types';

export const WORKFLOW_TYPE = 'dunningWorkflow';
export const workflowIdForInvoice = (invoiceId: string): string => `dunning-${invoiceId}`;

export const paymentFailedSignal = defineSignal<[PaymentFailedSignal]>('paymentFailed');
export const paymentMethodUpdatedSignal = defineSignal<[PaymentMethodUpdatedSignal]>('paymentMethodUpdated');
export const paymentSucceededSignal = defineSignal<[PaymentSucceededSignal]>('paymentSucceeded');
export const cancelDunningSignal = defineSignal<[CancelDunningSignal]>('cancelDunning');
export const statusQuery = defineQuery<DunningStatus>('status');

/**
 * The customer's own retry with the same card (the email's "Retry my payment now", confirmed by a
 * POST). An Update, not a signal: the page shows the charge's outcome. Its validator refuses at
 * once what cannot be done, with an ApplicationFailure of type RETRY_NOT_POSSIBLE whose details are
 * `[RetryNotPossible]`; a repeated request (same `requestId`, used as the Update's id) charges once.
 */
export const retryRequestedUpdate = defineUpdate<RetryOutcome, [RetryRequest]>('retryRequested');
export const RETRY_NOT_POSSIBLE = 'RetryNotPossible';
