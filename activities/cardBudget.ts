import type { Client } from '@temporalio/client';
import {
  blockCardSignal,
  CARD_BUDGET_WORKFLOW_TYPE,
  cardBudgetWorkflowId,
  openLedgerSignal,
  reserveAttemptUpdate,
} from '../workflows/cardBudget';
import type { CardFacts } from './types';
import type { BlockCard, ReserveCardAttempt } from './stripe/retryCharge';

/** The card's ledger key: its fingerprint (the physical card), else the payment method. */
const cardKeyOf = (card: CardFacts): string | undefined => card.fingerprint ?? card.paymentMethodId;

/**
 * Reserves a reattempt in the card's ledger workflow (created on first use by signal-with-start).
 * The card is known by its fingerprint, so two customers' payment methods for one physical card,
 * and every invoice of one customer, share one budget.
 */
export function reserveCardAttemptVia(client: Client, taskQueue: string): ReserveCardAttempt {
  return async (card, key) => {
    const cardKey = cardKeyOf(card);
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

/** Tells the card's ledger that an issuer said never to retry it: every case stops charging it. */
export function blockCardVia(client: Client, taskQueue: string): BlockCard {
  return async (card, reason) => {
    const cardKey = cardKeyOf(card);
    if (!cardKey) return;
    await client.workflow.signalWithStart(CARD_BUDGET_WORKFLOW_TYPE, {
      workflowId: cardBudgetWorkflowId(taskQueue, cardKey),
      taskQueue,
      args: [],
      signal: blockCardSignal,
      signalArgs: [{ reason }],
    });
  };
}
