/**
 * dunningWorkflow: one case per failed Stripe invoice, from the first failure to recovered,
 * exhausted or cancelled. It reads like the process it runs:
 *
 *   learn the facts → tell the customer → wait, retry, remind (while listening for a new card,
 *   a payment elsewhere or a cancellation) → final notice → end action.
 *
 * The record (caseRecord.ts) keeps the books, the inbox (caseInbox.ts) holds what signals said,
 * the effects (caseEffects.ts) talk to the world; this function only decides what comes next.
 */
import {
  ApplicationFailure,
  condition,
  log,
  patched,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { caseEffects, type DunningResult } from './caseEffects';
import { CaseInbox } from '../domain/caseInbox';
import { CaseRecord, endingNewsInFacts } from '../domain/caseRecord';
import { fromSnapshot, type CaseSnapshot } from '../domain/caseSnapshot';
import { caseRuns } from './continueAsNew';
import { stepWaitSummary } from '../domain/caseNarrative';
import { stripeAttemptKey } from '../domain/stripeRetries';
import {
  cancelDunningSignal,
  disputeOpenedSignal,
  paymentMethodDetachedSignal,
  emailUndeliverableSignal,
  paymentFailedSignal,
  paymentMethodUpdatedSignal,
  paymentSucceededSignal,
  LINK_NOT_POSSIBLE,
  resendLinkRequestedUpdate,
  RETRY_NOT_POSSIBLE,
  retryNowRequestedUpdate,
  retryRequestedUpdate,
  statusQuery,
} from '../domain/messages';
import {
  CARD_ADDED_BEFORE_START_QUEUED_PATCH,
  DECLINED_CARD_ONCE_PATCH,
  EVERY_REPORTED_CARD_PATCH,
  KEEP_FAILURES_DURING_LOAD_PATCH,
  REFETCH_DECLINE_ON_JOIN_PATCH,
  SAME_CARD_UPDATE_ONCE_PATCH,
  STRIPE_CHECKED_BEFORE_END_PATCH,
  SUBSCRIPTION_ENDED_PATCH,
} from './patches';
import type { DunningPolicy } from '../domain/policy';
import type { LinkNotPossible, RetryNotPossible } from '../domain/types';
import { DunningCustomerId, DunningInvoiceId } from '../domain/searchAttributes';

export type { DunningResult } from './caseEffects';

export interface DunningInput {
  invoiceId: string;
  customerId: string;
  /** The policy in force when the case started; a case keeps it for its whole life. */
  policy?: DunningPolicy;
  /** A run continued from another (continueAsNew.ts): the case as that run left it. */
  resume?: CaseSnapshot;
}

export async function dunningWorkflow(input: DunningInput): Promise<DunningResult> {
  const resumed = input.resume && fromSnapshot(input.resume);
  const record = resumed?.record ?? new CaseRecord(input.invoiceId, input.customerId, Date.now(), input.policy);
  const inbox = resumed?.inbox ?? new CaseInbox();
  setHandler(paymentFailedSignal, (s) => inbox.paymentFailed(s));
  setHandler(paymentMethodUpdatedSignal, (s) => inbox.paymentMethodUpdated(s));
  setHandler(paymentSucceededSignal, (s) => inbox.paymentSucceeded(s));
  setHandler(cancelDunningSignal, (s) => inbox.cancel(s));
  // Only cases that hear it change: no charge after it (the scheduled retry, a card update, a
  // customer's or operator's retry), recorded as skipped_disputed; emails go on.
  setHandler(disputeOpenedSignal, (s) => record.recordDispute(s));
  // The case's card detached: scheduled retries are skipped (skipped_card_detached) until a new
  // card is reported; emails go on asking for one.
  setHandler(paymentMethodDetachedSignal, (s) => record.recordCardDetached(s));
  setHandler(statusQuery, () => record.status(Date.now(), inbox.retryPending()));
  // The customer's own retry: refused at once when it cannot happen; else carried out by the loop
  // between two steps (never beside another charge), the charge's outcome as the answer.
  setHandler(
    retryRequestedUpdate,
    async (request) => {
      const pending = inbox.requestRetry(request);
      await condition(() => pending.outcome !== undefined);
      return pending.outcome!;
    },
    { validator: (_request) => refuseRetryUnlessPossible(record.customerRetryVerdict(Date.now(), inbox.retryPending())) },
  );
  // An operator's retry now (merchant-initiated) and fresh link email: the same pattern. Handlers
  // that act only when called: cases that never hear them replay as before.
  setHandler(
    retryNowRequestedUpdate,
    async (request) => {
      const pending = inbox.requestRetry(request, 'merchant');
      await condition(() => pending.outcome !== undefined);
      return pending.outcome!;
    },
    { validator: (_request) => refuseRetryUnlessPossible(record.operatorRetryVerdict(inbox.retryPending())) },
  );
  setHandler(
    resendLinkRequestedUpdate,
    async (request) => {
      const pending = inbox.requestLink(request);
      await condition(() => pending.outcome !== undefined);
      return pending.outcome!;
    },
    { validator: (_request) => refuseLinkUnlessPossible(record.linkVerdict()) },
  );
  // Idempotency keys are per case and step, never per run: a case started again for the same
  // invoice (after a run that failed or was terminated) must not repeat an email or a charge.
  const fx = caseEffects(record, inbox, workflowInfo().workflowId);
  // Resend could not deliver to the customer's address: recorded, and no more email goes to it.
  // Only cases that hear it act on it: the others replay as before.
  setHandler(emailUndeliverableSignal, (s) => fx.emailUndeliverable(s));
  // Re-encryption asked, or a history grown long: the case goes on in a new run at its next wait.
  const runs = caseRuns(record, inbox, fx.eventsStarted);

  const recovered = async (why: string): Promise<DunningResult> => {
    await fx.sendEmail('email:payment_recovered', 'payment_recovered', { ending: true });
    fx.emit('dunning.recovered', { how: why });
    if (record.accessRestricted) fx.emit('access.restored');
    return fx.finish('recovered', why);
  };

  // A run continued from another has learnt the facts and told the customer: straight to the loop.
  if (!resumed) {
    // ---- learn the facts ------------------------------------------------------------------------
    upsertSearchAttributes([
      { key: DunningInvoiceId, value: input.invoiceId },
      { key: DunningCustomerId, value: input.customerId },
    ]);
    // Signal-with-start delivers the first failure before this line runs; a bare start waits for it.
    await condition(() => inbox.failures.length > 0 || inbox.endingSignaled());
    const firstSignal = inbox.failures[0];
    record.learnFromWebhook(firstSignal);
    const failuresBeforeLoad = inbox.failures.length;
    const loaded = await fx.loadFacts('start', { waitOnRefusal: true });
    if (loaded.kind === 'not_found') return fx.finish('cancelled', 'invoice_not_found');
    if (loaded.kind !== 'answered') {
      // Paid elsewhere or cancelled while Stripe could not tell us the facts: end as the signal says.
      return inbox.paidElsewhere
        ? fx.finish('recovered', `paid_${inbox.paidElsewhere.source}`)
        : fx.finish('cancelled', inbox.cancellation!.reason);
    }
    record.learnFacts(loaded.value);
    // In the memo so that visibility listings can tell which subscription a case belongs to.
    if (record.subscriptionId) upsertMemo({ subscriptionId: record.subscriptionId });
    const settled = record.settledBeforeStart(() => patched(SUBSCRIPTION_ENDED_PATCH));
    if (settled) return fx.finish(settled.state, settled.outcome);
    record.classifyFirst(firstSignal, Date.now());
    // A debit made elsewhere (the hosted page, Stripe's own retry) is settling: the case waits for it.
    if (loaded.value.paymentProcessing) record.startSettling(Date.now(), 'stripe');
    // The facts answer the failures that started the case; any signaled during the load are news.
    if (inbox.failures.length > failuresBeforeLoad && patched(KEEP_FAILURES_DURING_LOAD_PATCH)) {
      inbox.failures.splice(0, failuresBeforeLoad);
    } else {
      inbox.failures.length = 0;
    }
    fx.replan();

    // ---- tell the customer ----------------------------------------------------------------------
    fx.emit('dunning.started', { declineCategory: record.classification.category, reason: record.classification.reason });
    fx.publish();
    // A card added before the failure reached us: try it at once. Reports of other cards that came
    // first (a late re-report of the card that failed) must not hide it.
    const added = record.cardAddedBeforeStart(Date.now());
    if (added && inbox.cardUpdate === undefined) inbox.cardUpdate = added;
    else if (
      added &&
      added.paymentMethodId !== inbox.cardUpdate?.paymentMethodId &&
      patched(CARD_ADDED_BEFORE_START_QUEUED_PATCH)
    ) {
      inbox.paymentMethodUpdated(added);
    }
  }

  // ---- wait, retry, remind --------------------------------------------------------------------
  for (;;) {
    // A debit was settling and Stripe says the invoice is paid: the debit is the recovery.
    if (inbox.paidElsewhere && record.isProcessing()) return recovered(record.debitSettled());
    if (inbox.paidElsewhere) {
      record.recordPaidElsewhere(Date.now());
      return recovered(`paid_${inbox.paidElsewhere.source}`);
    }
    if (inbox.cancellation) {
      fx.emit('dunning.cancelled', { reason: inbox.cancellation.reason, by: inbox.cancellation.by });
      return fx.finish('cancelled', inbox.cancellation.reason);
    }
    if (record.isProcessing()) {
      // A bank debit is settling: nothing charges and no reminder goes out until the bank answers
      // (invoice.paid, invoice.payment_failed) or, past the wait, Stripe's facts say what happened.
      await fx.awaitSettlement();
      continue;
    }
    const failure = inbox.takeLatestFailure();
    if (failure) {
      // Stripe's own attempts (or our retries echoed back as events) bring new decline facts.
      const before = record.classification;
      const applied = record.applyFailure(failure, Date.now());
      if (failure.byStripeSchedule) {
        log.warn("Stripe's own retry schedule charged the invoice beside the case", { ...record.stripeRetrying });
        // For the recovery dashboard (visibility reads the memo). Only failures that carry the
        // new field reach this: recorded cases replay as before.
        upsertMemo({ stripeRetrying: record.stripeRetrying?.attemptCount ?? failure.attemptCount ?? 2 });
      }
      if (applied.needsDecline && patched(REFETCH_DECLINE_ON_JOIN_PATCH)) {
        // The webhook carries no decline codes (they live on the PaymentIntent): read them, so a
        // "never retry" answer to an attempt Stripe made on its own still stops our retries.
        // Stripe's own retry: its decline also counts in the card's ledger (the read names the card).
        const count = failure.byStripeSchedule
          ? { key: stripeAttemptKey(record.invoiceId, failure.attemptCount), amount: record.amountDue, currency: record.currency }
          : undefined;
        const reread = await fx.loadFacts('decline', count ? { countStripeDecline: count } : {});
        const decline = reread.kind === 'answered' ? reread.value.lastDecline : undefined;
        if (decline) record.applyDeclineRead(decline);
      }
      if (record.afterFailure(before).replan) fx.replan();
      fx.publish();
      continue;
    }
    const retry = inbox.takeRetry();
    if (retry) {
      if (await fx.requestedRetry(retry)) return recovered(retry.initiator === 'merchant' ? 'operator_retry' : 'customer_retry');
      continue;
    }
    const update = inbox.takeCardUpdate(() => patched(EVERY_REPORTED_CARD_PATCH));
    if (update) {
      if (record.dispute) {
        record.recordDisputedSkip('payment_method_updated', Date.now());
        continue;
      }
      record.cardGone = undefined;
      if (record.isDeclinedCardReportedAgain(update) && patched(DECLINED_CARD_ONCE_PATCH)) {
        log.info('card reported again after it declined: not charged again', { paymentMethodId: update.paymentMethodId });
        continue;
      }
      const n = (record.cardUpdates += 1);
      const why = { kind: 'card_update', n, paymentMethodId: update.paymentMethodId } as const;
      if ((await fx.attempt('payment_method_updated', `retry:card_update_${n}`, why, update.paymentMethodId)).settled)
        return recovered('card_updated');
      // Cases from before DECLINED_CARD_ONCE_PATCH: a report of the same card that arrived while it
      // was being charged is the same news, dropped here.
      const meanwhile = inbox.cardUpdate;
      if (
        update.paymentMethodId &&
        meanwhile?.paymentMethodId === update.paymentMethodId &&
        patched(SAME_CARD_UPDATE_ONCE_PATCH)
      ) {
        inbox.dropCardReports();
      }
      // A debit accepted (processing) did not decline: no "new card declined" email for it.
      if (!inbox.endingSignaled() && !record.isProcessing())
        await fx.sendEmail(`email:new_card_declined_${n}`, 'new_card_declined');
      fx.publish();
      continue;
    }
    const link = inbox.takeLink();
    if (link) {
      await fx.resendLink(link);
      continue;
    }

    const step = record.nextStep();
    if (!step) return fx.finish('exhausted', 'schedule_ended'); // unreachable: end_action is always planned
    const waitMs = step.at - Date.now();
    const summary = stepWaitSummary(step, record.timeZone(), record.plannedEndAction());
    if (waitMs > 0 && (await condition(() => inbox.hasNews() || runs.wanted(), waitMs, { summary }))) {
      await runs.continueIfWanted(); // returns only when news came first
      continue;
    }
    record.markDone(step);

    switch (step.kind) {
      case 'email':
        await fx.sendEmail(step.key, step.template ?? 'reminder');
        break;
      case 'retry':
        if (record.dispute) record.recordDisputedSkip('schedule', Date.now());
        else if (record.cardGone) record.recordCardDetachedSkip(Date.now());
        else if (!record.classification.retryable) record.recordSkippedRetry(Date.now());
        else if ((await fx.attempt('schedule', step.key, { kind: 'retry', ...record.retryOrdinal(step) })).settled)
          return recovered('retry_succeeded');
        break;
      case 'final_notice':
        await fx.sendEmail(step.key, 'final_notice');
        fx.emit('access.warning', { restrictsAt: new Date(record.endAt()).toISOString() });
        break;
      case 'restrict_access':
        record.accessRestricted = true;
        fx.emit('access.restricted');
        break;
      case 'end_action': {
        if (patched(STRIPE_CHECKED_BEFORE_END_PATCH)) {
          // Paid, voided or ended at Stripe while its webhook is late or lost: end as it would have.
          const current = await fx.loadFacts('before_end');
          const news = current.kind === 'answered' ? endingNewsInFacts(current.value, Date.now()) : undefined;
          if (news && 'paid' in news) inbox.paymentSucceeded(news.paid);
          else if (news) inbox.cancel(news.cancel);
          else if (current.kind === 'answered' && current.value.paymentProcessing) {
            // A debit is settling (Stripe's own retry, the hosted page): no end action while the
            // money may be on its way. It is due again if the debit fails.
            record.startSettling(Date.now(), 'stripe');
            record.reopen(step);
            fx.publish();
            continue;
          }
          // Interrupted: the signal that cut the read short ends the case at the top of the loop.
          if (news || current.kind === 'interrupted') continue;
        }
        const endAction = record.endAction();
        const applied = await fx.applyEndAction();
        if (applied.kind !== 'answered') {
          // Stripe refused the end action (a 400): the case still ends, and says so in its outcome.
          log.warn('end action refused', { endAction, error: applied.kind === 'interrupted' ? 'interrupted' : applied.error });
          fx.emit('dunning.exhausted', { endAction, endActionRefused: true });
          return fx.finish('exhausted', `${endAction}_refused`);
        }
        if (!record.accessRestricted) fx.emit('access.restricted');
        record.accessRestricted = true;
        if (endAction !== 'leave_past_due')
          await fx.sendEmail('email:subscription_ended', 'subscription_ended', { ending: true });
        fx.emit('dunning.exhausted', { endAction });
        return fx.finish('exhausted', endAction);
      }
    }
    fx.publish();
  }
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
