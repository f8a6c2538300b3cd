/**
 * What a case listens to: Stripe's and Resend's signals, the `status` query, and the customer's
 * and operators' Updates. Handlers only record (in the inbox or the record); the case's loop acts.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { CaseInbox } from '../domain/caseInbox';
import type { CaseRecord } from '../domain/caseRecord';
import {
  cancelDunningSignal,
  disputeOpenedSignal,
  emailUndeliverableSignal,
  LINK_NOT_POSSIBLE,
  OFFER_NOT_POSSIBLE,
  offerAcceptedUpdate,
  paymentFailedSignal,
  paymentMethodDetachedSignal,
  paymentMethodUpdatedSignal,
  paymentSucceededSignal,
  resendLinkRequestedUpdate,
  RETRY_NOT_POSSIBLE,
  retryNowRequestedUpdate,
  retryRequestedUpdate,
  statusQuery,
} from '../domain/messages';
import type { LinkNotPossible, RetryNotPossible } from '../domain/types';
import type { OfferNotPossible } from '../domain/offers';
import type { CaseEmails } from './caseEmails';

export function listenToCase(record: CaseRecord, inbox: CaseInbox, emails: CaseEmails): void {
  setHandler(paymentFailedSignal, (s) => inbox.paymentFailed(s));
  setHandler(paymentMethodUpdatedSignal, (s) => inbox.paymentMethodUpdated(s));
  setHandler(paymentSucceededSignal, (s) => inbox.paymentSucceeded(s));
  setHandler(cancelDunningSignal, (s) => inbox.cancel(s));
  // No charge after it (the scheduled retry, a card update, a customer's or operator's retry),
  // recorded as skipped_disputed; emails go on.
  setHandler(disputeOpenedSignal, (s) => record.recordDispute(s));
  // The case's card detached: scheduled retries are skipped (skipped_card_detached) until a new
  // card is reported; emails go on asking for one.
  setHandler(paymentMethodDetachedSignal, (s) => record.recordCardDetached(s));
  // Resend could not deliver to the customer's address: recorded, and no more email goes to it.
  setHandler(emailUndeliverableSignal, (s) => emails.undeliverable(s));
  setHandler(statusQuery, () => record.status(Date.now(), inbox.retryPending()));
  // The customer's own retry: refused at once when it cannot happen; else carried out by the loop
  // between two steps (never beside another charge), the charge's outcome as the answer.
  setHandler(retryRequestedUpdate, (request) => outcomeOf(inbox.requestRetry(request)), {
    validator: (_request) => refuseRetryUnlessPossible(record.customerRetryVerdict(Date.now(), inbox.retryPending())),
  });
  // An operator's retry now (merchant-initiated) and fresh link email: the same pattern.
  setHandler(retryNowRequestedUpdate, (request) => outcomeOf(inbox.requestRetry(request, 'merchant')), {
    validator: (_request) => refuseRetryUnlessPossible(record.operatorRetryVerdict(inbox.retryPending())),
  });
  setHandler(resendLinkRequestedUpdate, (request) => outcomeOf(inbox.requestLink(request)), {
    validator: (_request) => refuseLinkUnlessPossible(record.linkVerdict()),
  });
  // The customer accepted the last-chance offer: the loop applies it (caseOffers.ts).
  setHandler(offerAcceptedUpdate, (request) => outcomeOf(inbox.acceptOffer(request)), {
    validator: (_request) => refuseOfferUnlessPossible(record.offerVerdict()),
  });
}

/** A request the loop carries out between two steps: the Update answers once it is settled. */
async function outcomeOf<T>(pending: { outcome?: T }): Promise<T> {
  await condition(() => pending.outcome !== undefined);
  return pending.outcome!;
}

/** An Update validator's refusal: the caller gets the reason (and when it will be possible) at once. */
function refuseRetryUnlessPossible(verdict: { allowed: true } | RetryNotPossible): void {
  if (verdict.allowed) return;
  throw ApplicationFailure.create({
    type: RETRY_NOT_POSSIBLE,
    message: `retry not possible: ${verdict.reason}${verdict.retryAt ? ` until ${verdict.retryAt}` : ''}`,
    details: [verdict],
    nonRetryable: true,
  });
}

/** The validator's refusal of a fresh link email. */
function refuseLinkUnlessPossible(verdict: { allowed: true } | LinkNotPossible): void {
  if (verdict.allowed) return;
  throw ApplicationFailure.create({
    type: LINK_NOT_POSSIBLE,
    message: `link email not possible: ${verdict.reason}`,
    details: [verdict],
    nonRetryable: true,
  });
}

/** The validator's refusal of an offer's acceptance. */
function refuseOfferUnlessPossible(verdict: { allowed: true } | OfferNotPossible): void {
  if (verdict.allowed) return;
  throw ApplicationFailure.create({
    type: OFFER_NOT_POSSIBLE,
    message: `offer not possible: ${verdict.reason}`,
    details: [verdict],
    nonRetryable: true,
  });
}
