/** Signals and queries of `dunningWorkflow`, defined once and shared by the workflow and clients. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CancelDunningSignal,
  DisputeOpenedSignal,
  PaymentMethodDetachedSignal,
  DunningStatus,
  EmailUndeliverableSignal,
  OperatorRequest,
  PaymentFailedSignal,
  PaymentMethodUpdatedSignal,
  PaymentSucceededSignal,
  ReencryptAccepted,
  RetryOutcome,
  ResendLinkOutcome,
  RetryRequest,
} from './types';
import type { OfferOutcome, OfferRequest } from './offers';

export const WORKFLOW_TYPE = 'dunningWorkflow';
export const workflowIdForInvoice = (invoiceId: string): string => `dunning-${invoiceId}`;

export const paymentFailedSignal = defineSignal<[PaymentFailedSignal]>('paymentFailed');
export const paymentMethodUpdatedSignal = defineSignal<[PaymentMethodUpdatedSignal]>('paymentMethodUpdated');
export const paymentSucceededSignal = defineSignal<[PaymentSucceededSignal]>('paymentSucceeded');
export const cancelDunningSignal = defineSignal<[CancelDunningSignal]>('cancelDunning');
export const disputeOpenedSignal = defineSignal<[DisputeOpenedSignal]>('disputeOpened');
export const paymentMethodDetachedSignal = defineSignal<[PaymentMethodDetachedSignal]>('paymentMethodDetached');
/**
 * Resend could not deliver to the customer's address (POST /webhooks/resend): the case records it
 * and sends no further email to that address.
 */
export const emailUndeliverableSignal = defineSignal<[EmailUndeliverableSignal]>('emailUndeliverable');
export const statusQuery = defineQuery<DunningStatus>('status');

/**
 * The customer's own retry with the same card (the email's "Retry my payment now", confirmed by a
 * POST). An Update, not a signal: the page shows the charge's outcome. Its validator refuses at
 * once what cannot be done, with an ApplicationFailure of type RETRY_NOT_POSSIBLE whose details are
 * `[RetryNotPossible]`; a repeated request (same `requestId`, used as the Update's id) charges once.
 */
export const retryRequestedUpdate = defineUpdate<RetryOutcome, [RetryRequest]>('retryRequested');
export const RETRY_NOT_POSSIBLE = 'RetryNotPossible';

/**
 * An operator's retry now (`POST /api/invoices/:id/retry-now`): a merchant-initiated charge of the
 * card on file, through the card's ledger, carried out by the case's loop like the customer's own
 * retry. Refused at once by its validator as `retryRequested` is (RETRY_NOT_POSSIBLE, details
 * `[RetryNotPossible]`), without the customer's cooldown: an operator's decision.
 */
export const retryNowRequestedUpdate = defineUpdate<RetryOutcome, [OperatorRequest]>('retryNowRequested');

/**
 * A fresh email with the update link (`POST /api/invoices/:id/resend-link`): a reminder, its links
 * signed at sending, with an idempotency key of its own per request. Refused at once with an
 * ApplicationFailure of type LINK_NOT_POSSIBLE, details `[LinkNotPossible]`.
 */
export const resendLinkRequestedUpdate = defineUpdate<ResendLinkOutcome, [OperatorRequest]>('resendLinkRequested');
export const LINK_NOT_POSSIBLE = 'LinkNotPossible';

/**
 * Re-encrypt the case under the current payload key (`POST /api/invoices/:id/reencrypt`, `npm run
 * cases -- reencrypt`, docs/production/key-rotation.md): the case continues as new at its next wait
 * in the loop, never in the middle of a charge or an email, and its new run carries everything the
 * case knows (domain/caseSnapshot.ts). Answered at once with the run it leaves; refused once the
 * case is over (REENCRYPT_NOT_POSSIBLE). A repeated request (same `requestId`) is the same one.
 */
export const reencryptRequestedUpdate = defineUpdate<ReencryptAccepted, [OperatorRequest]>('reencryptRequested');
export const REENCRYPT_NOT_POSSIBLE = 'ReencryptNotPossible';

/**
 * The customer accepted the last-chance offer (`POST /billing/offer/:token`, domain/offers.ts):
 * the case applies it at Stripe between two steps and ends `saved_by_offer`; the answer says what
 * came of it. Refused at once by its validator (ApplicationFailure of type OFFER_NOT_POSSIBLE,
 * details `[OfferNotPossible]`) when the case made no offer, is over or settling a debit, or Stripe
 * refused the offer before. A repeated request (same `requestId`, the Update's id) is one request.
 */
export const offerAcceptedUpdate = defineUpdate<OfferOutcome, [OfferRequest]>('offerAccepted');
export const OFFER_NOT_POSSIBLE = 'OfferNotPossible';
