import type { Client } from '@temporalio/client';
import {
  CARD_BUDGET_WORKFLOW_TYPE,
  cardBudgetWorkflowId,
  openLedgerSignal,
  reserveAttemptUpdate,
} from '../workflows/cardBudget';
import type { ReserveCardAttempt } from './stripe/retryCharge';

/**
 * Reserves a reattempt in the card's ledger workflow (created on first use by signal-with-start).
 * The card is known by its fingerprint, so two customers' payment methods for one physical card,
 * and every invoice of one customer, share one budget.
 */
export function reserveCardAttemptVia(client: Client, taskQueue: string): ReserveCardAttempt {
  return async (card, key) => {
    const cardKey = card.fingerprint ?? card.paymentMethodId;
    if (!cardKey) return { granted: true }; // nothing identifies the card: Stripe will refuse anyway
    const handle = await client.workflow.signalWithStart(CARD_BUDGET_WORKFLOW_TYPE, {
      workflowId: cardBudgetWorkflowId(taskQueue, cardKey),
      taskQueue,
      args: [],
      signal: openLedgerSignal,
      signalArgs: [],
    });
    return handle.executeUpdate(reserveAttemptUpdate, { args: [{ key }] });
  };
}
