/**
 * The case's charges: one attempt (a scheduled retry, a new card, the customer's or an operator's
 * retry), each through the charge activity, which first reserves room in the card's ledger.
 */
import type { Initiator } from '../domain/cardBudgetLedger';
import type { PendingRetry } from '../domain/caseInbox';
import { chargeSummary, type ChargeReason } from '../domain/caseNarrative';
import type { ChargeReport } from '../domain/caseRecord';
import type { AttemptTrigger } from '../domain/types';
import { stripe } from './caseActivities';
import type { CaseContext } from './caseContext';

export interface CaseCharges {
  /** One charge attempt; `settled` when the invoice is paid. `why` names it in the history. */
  attempt(
    trigger: AttemptTrigger,
    key: string,
    why: ChargeReason,
    paymentMethodId?: string,
    initiator?: Initiator,
  ): Promise<ChargeReport>;
  /**
   * Carries out a retry asked for now, taken from the inbox (the customer's own, or an operator's);
   * true when the invoice is paid.
   */
  requestedRetry(retry: PendingRetry): Promise<boolean>;
}

export function caseCharges(ctx: CaseContext): CaseCharges {
  const { record, inbox, keyPrefix } = ctx;

  const attempt: CaseCharges['attempt'] = async (trigger, key, why, paymentMethodId, initiator) => {
    record.chargeStarted();
    const input = {
      invoiceId: record.invoiceId,
      idempotencyKey: `${keyPrefix}/${key}`,
      paymentMethodId,
      ...(initiator ? { initiator } : {}),
      ...(trigger === 'payment_method_updated' ? { cardUpdate: true as const } : {}),
    };
    const summary = chargeSummary(record.lastCard, why);
    const charged = await ctx
      .call('stripe', () => stripe.retryCharge.executeWithOptions({ summary }, [input]))
      .finally(() => record.chargeEnded());
    // Paid elsewhere or cancelled meanwhile: the loop ends the case.
    if (charged.kind === 'interrupted') return { settled: false, interrupted: true };
    if (charged.kind !== 'answered') {
      record.recordChargeError(trigger, Date.now(), charged.error);
      return { settled: false, error: charged.error };
    }
    const verdict = record.applyChargeResult(trigger, charged.value, Date.now(), paymentMethodId);
    if (!verdict.settled && verdict.closedBy) inbox.cancel(verdict.closedBy);
    return { settled: verdict.settled, result: charged.value };
  };

  return {
    attempt,
    async requestedRetry(retry) {
      const byOperator = retry.initiator === 'merchant';
      // Checked again: the case may have moved on since the request was validated.
      const verdict = byOperator ? record.operatorRetryVerdict(false) : record.customerRetryVerdict(Date.now(), false);
      if (!verdict.allowed) {
        retry.outcome = { outcome: 'not_possible', reason: verdict.reason, retryAt: verdict.retryAt };
        return false;
      }
      let charged: ChargeReport;
      if (byOperator) {
        // Keyed by the request: each operator's request is a charge of its own, a repeated one the same.
        const key = `retry:operator_${retry.request.requestId}`;
        charged = await attempt('operator_retry', key, { kind: 'operator_retry' }, undefined, 'merchant');
      } else {
        const n = record.startCustomerRetry(Date.now());
        charged = await attempt('customer_retry', `retry:customer_${n}`, { kind: 'customer_retry', n }, undefined, 'customer');
      }
      retry.outcome = record.retryOutcome(charged);
      if (!charged.settled) ctx.publish();
      return charged.settled;
    },
  };
}
