/**
 * What the case does with news from Stripe between its planned steps: a failed attempt it did
 * not plan (Stripe's own retry, or one of ours echoed back), and a card the customer reported.
 */
import { log, upsertMemo } from '@temporalio/workflow';
import { stripeAttemptKey } from '../domain/stripeRetries';
import type { PaymentFailedSignal, PaymentMethodUpdatedSignal } from '../domain/types';
import type { CaseCharges } from './caseCharges';
import type { CaseContext } from './caseContext';
import type { CaseEmails } from './caseEmails';
import type { LoadFacts } from './caseFacts';

/** A failure Stripe reported: its decline facts may change the plan. */
export async function failureReported(ctx: CaseContext, failure: PaymentFailedSignal, loadFacts: LoadFacts): Promise<void> {
  const { record } = ctx;
  const before = record.classification;
  const applied = record.applyFailure(failure, Date.now());
  if (failure.byStripeSchedule) {
    log.warn("Stripe's own retry schedule charged the invoice beside the case", { ...record.stripeRetrying });
    // For the recovery dashboard (visibility reads the memo).
    upsertMemo({ stripeRetrying: record.stripeRetrying?.attemptCount ?? failure.attemptCount ?? 2 });
  }
  if (applied.needsDecline) {
    // The webhook carries no decline codes (they live on the PaymentIntent): read them, so a
    // "never retry" answer to an attempt Stripe made on its own still stops our retries.
    // Stripe's own retry: its decline also counts in the card's ledger (the read names the card).
    const count = failure.byStripeSchedule
      ? { key: stripeAttemptKey(record.invoiceId, failure.attemptCount), amount: record.amountDue, currency: record.currency }
      : undefined;
    const reread = await loadFacts('decline', count ? { countStripeDecline: count } : {});
    const decline = reread.kind === 'answered' ? reread.value.lastDecline : undefined;
    if (decline) record.applyDeclineRead(decline);
  }
  if (record.afterFailure(before).replan) record.replan(Date.now());
  ctx.publish();
}

/** A card the customer reported: charged at once (unless the record says not); true when paid. */
export async function cardReported(
  ctx: CaseContext,
  update: PaymentMethodUpdatedSignal,
  fx: { charges: CaseCharges; emails: CaseEmails },
): Promise<boolean> {
  const { record, inbox } = ctx;
  const taken = record.cardReported(update, Date.now());
  if (!taken.charge) {
    if (taken.why === 'declined_before')
      log.info('card reported again after it declined: not charged again', { paymentMethodId: update.paymentMethodId });
    return false;
  }
  const { n } = taken;
  const why = { kind: 'card_update', n, paymentMethodId: update.paymentMethodId } as const;
  if ((await fx.charges.attempt('payment_method_updated', `retry:card_update_${n}`, why, update.paymentMethodId)).settled)
    return true;
  // The same card reported again while it was being charged is the same news.
  if (update.paymentMethodId && inbox.cardUpdate?.paymentMethodId === update.paymentMethodId) inbox.dropCardReports();
  // A debit accepted (processing) did not decline: no "new card declined" email for it.
  if (!inbox.endingSignaled() && !record.isProcessing())
    await fx.emails.send(`email:new_card_declined_${n}`, 'new_card_declined');
  ctx.publish();
  return false;
}
