/**
 * dunningWorkflow: one case per failed Stripe invoice, from the first failure to recovered,
 * exhausted or cancelled. It reads like the process it runs:
 *
 *   learn the facts → tell the customer → wait, retry, remind (while listening for a new card,
 *   a payment elsewhere or a cancellation) → final notice → end action.
 *
 * The record (domain/caseRecord.ts) keeps the books, the inbox (domain/caseInbox.ts) holds what
 * signals said, and the effects talk to the world, one file each (charges: caseCharges.ts, emails:
 * caseEmails.ts, ...). This function only decides what comes next.
 */
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import { CaseInbox } from '../domain/caseInbox';
import { stepWaitSummary } from '../domain/caseNarrative';
import { CaseRecord } from '../domain/caseRecord';
import { fromSnapshot, type CaseSnapshot } from '../domain/caseSnapshot';
import type { ExperimentArm } from '../domain/experiment';
import type { DunningPolicy } from '../domain/policy';
import type { PlannedStep } from '../domain/schedule';
import { caseAppEvents } from './caseAppEvents';
import { caseCharges } from './caseCharges';
import { caseContext, type CaseContext } from './caseContext';
import { caseEmails } from './caseEmails';
import { endAction } from './caseEndAction';
import { caseEnding, type DunningResult } from './caseEnding';
import { caseFacts } from './caseFacts';
import { caseOffers } from './caseOffers';
import { listenToCase } from './caseHandlers';
import { cardReported, failureReported } from './caseNews';
import { awaitSettlement } from './caseSettlement';
import { caseOtherCards } from './caseOtherCards';
import { caseSms } from './caseSms';
import { learnTheFacts, queueCardAddedBeforeStart } from './caseStart';
import { caseRuns } from './continueAsNew';
import { datedPatch } from './patchDates';

export type { DunningResult } from './caseEnding';

export interface DunningInput {
  invoiceId: string;
  customerId: string;
  /** The policy in force when the case started; a case keeps it for its whole life. */
  policy?: DunningPolicy;
  /** The experiment arm chosen where the case was started (src/dunningClient.ts); kept in the record. */
  experiment?: ExperimentArm;
  /** A run continued from another (continueAsNew.ts): the case as that run left it. */
  resume?: CaseSnapshot;
}

export async function dunningWorkflow(input: DunningInput): Promise<DunningResult> {
  const resumed = input.resume && fromSnapshot(input.resume);
  const record = resumed?.record ?? new CaseRecord(input.invoiceId, input.customerId, Date.now(), input.policy, input.experiment);
  const inbox = resumed?.inbox ?? new CaseInbox();
  // Idempotency keys are per case and step, never per run: a case started again for the same
  // invoice (after a run that failed or was terminated) must not repeat an email or a charge.
  const ctx = caseContext(record, inbox, workflowInfo().workflowId);
  const fx = effectsOf(ctx);
  listenToCase(record, inbox, fx.emails);
  // Re-encryption asked, or a history grown long: the case goes on in a new run at its next wait.
  const runs = caseRuns(record, inbox, fx.events.started);

  // A run continued from another has learnt the facts and told the customer: straight to the loop.
  if (!resumed) {
    // ---- learn the facts, then tell the customer ----------------------------------------------
    const over = await learnTheFacts(ctx, fx);
    if (over) return over;
    fx.events.emit('dunning.started', { declineCategory: record.classification.category, reason: record.classification.reason });
    ctx.publish();
    queueCardAddedBeforeStart(ctx);
  }

  // ---- wait, retry, remind: news first, then the next planned step -----------------------------
  for (;;) {
    // A debit was settling and Stripe says the invoice is paid: the debit is the recovery.
    if (inbox.paidElsewhere && record.isProcessing()) return fx.ending.recovered(record.debitSettled());
    if (inbox.paidElsewhere) {
      record.recordPaidElsewhere(Date.now());
      return fx.ending.recovered(`paid_${inbox.paidElsewhere.source}`);
    }
    if (inbox.cancellation) return fx.ending.cancelled(inbox.cancellation);
    if (record.isProcessing()) {
      await awaitSettlement(ctx, fx); // wait point: the bank's answer, or the settlement check
      continue;
    }
    const failure = inbox.takeLatestFailure();
    if (failure) {
      await failureReported(ctx, failure, fx.loadFacts);
      continue;
    }
    const retry = inbox.takeRetry();
    if (retry) {
      if (await fx.charges.requestedRetry(retry))
        return fx.ending.recovered(retry.initiator === 'merchant' ? 'operator_retry' : 'customer_retry');
      continue;
    }
    const update = inbox.takeCardUpdate();
    if (update) {
      if (await cardReported(ctx, update, fx)) return fx.ending.recovered('card_updated');
      continue;
    }
    const link = inbox.takeLink();
    if (link) {
      await fx.emails.resendLink(link);
      continue;
    }
    const offer = inbox.takeOffer();
    if (offer) {
      const saved = await fx.offers.accept(offer);
      if (saved) return saved;
      continue;
    }

    // Another saved card, once the default card has declined enough (caseOtherCards.ts). Only a
    // policy with `otherCards` gets here, so no case started before it asks for the patch.
    if (record.otherCardDue() && patched(datedPatch('other-cards'))) {
      if (await fx.otherCards.tryThem()) return fx.ending.recovered('other_card');
      continue;
    }

    const step = record.nextStep();
    if (!step) return fx.ending.finish('exhausted', 'schedule_ended'); // unreachable: end_action is always planned
    const waitMs = step.at - Date.now();
    const summary = stepWaitSummary(step, record.timeZone(), record.plannedEndAction());
    // The main wait point: until the step is due, or news arrives, or a new run is wanted.
    if (waitMs > 0 && (await condition(() => inbox.hasNews() || runs.wanted(), waitMs, { summary }))) {
      await runs.continueIfWanted(); // returns only when news came first
      continue;
    }
    record.markDone(step);
    const ended = await takeStep(ctx, step, fx);
    if (ended) return ended;
  }
}

type Effects = ReturnType<typeof effectsOf>;

function effectsOf(ctx: CaseContext) {
  const emails = caseEmails(ctx);
  const events = caseAppEvents(ctx);
  const ending = caseEnding(ctx, events, emails);
  return {
    emails,
    events,
    charges: caseCharges(ctx),
    loadFacts: caseFacts(ctx),
    ending,
    otherCards: caseOtherCards(ctx),
    offers: caseOffers(ctx, { emails, events, ending }),
    sms: caseSms(ctx),
  };
}

/** One planned step, now due: the case's end, or undefined when it goes on. */
async function takeStep(ctx: CaseContext, step: PlannedStep, fx: Effects): Promise<DunningResult | undefined> {
  const { record } = ctx;
  switch (step.kind) {
    case 'email':
      await fx.emails.send(step.key, step.template ?? 'reminder');
      break;
    case 'retry':
      if (record.dispute) record.recordDisputedSkip('schedule', Date.now());
      else if (record.cardGone) record.recordCardDetachedSkip(Date.now());
      else if (!record.classification.retryable) record.recordSkippedRetry(Date.now());
      else if ((await fx.charges.attempt('schedule', step.key, { kind: 'retry', ...record.retryOrdinal(step) })).settled)
        return fx.ending.recovered('retry_succeeded');
      break;
    case 'offer':
      await fx.offers.make(step);
      break;
    case 'sms':
      // Only a policy with sms steps plans one, so no case started before the channel asks for the patch.
      if (patched(datedPatch('sms-channel'))) await fx.sms.send(step);
      break;
    case 'final_notice':
      await fx.emails.send(step.key, 'final_notice');
      fx.events.emit('access.warning', { restrictsAt: new Date(record.endAt()).toISOString() });
      break;
    case 'restrict_access':
      record.restrictAccess();
      fx.events.emit('access.restricted');
      break;
    case 'end_action':
      return endAction(ctx, step, fx);
  }
  ctx.publish();
  return undefined;
}
