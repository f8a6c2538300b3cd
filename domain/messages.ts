/** Signals and queries of `dunningWorkflow`, defined once and shared by the workflow and clients. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type {
  CancelDunningSignal,
  DunningStatus,
  PaymentFailedSignal,
  PaymentMethodUpdatedSignal,
  PaymentSucceededSignal,
} from './types';

export const WORKFLOW_TYPE = 'dunningWorkflow';
export const workflowIdForInvoice = (invoiceId: string): string => `dunning-${invoiceId}`;

export const paymentFailedSignal = defineSignal<[PaymentFailedSignal]>('paymentFailed');
export const paymentMethodUpdatedSignal = defineSignal<[PaymentMethodUpdatedSignal]>('paymentMethodUpdated');
export const paymentSucceededSignal = defineSignal<[PaymentSucceededSignal]>('paymentSucceeded');
export const cancelDunningSignal = defineSignal<[CancelDunningSignal]>('cancelDunning');
export const statusQuery = defineQuery<DunningStatus>('status');
