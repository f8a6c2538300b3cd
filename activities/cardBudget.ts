import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  blockCardSignal,
  CARD_BUDGET_WORKFLOW_TYPE,
  cardBudgetWorkflowId,
  reserveAttemptUpdate,
} from '../domain/cardBudgetMessages';
import type { cardRetryBudgetWorkflow } from '../workflows/cardBudget';
import type { CardFacts } from '../domain/providerTypes';
import type { BlockCard, ReserveCardAttempt } from './stripe/retryCharge';

/** The card's ledger key: its fingerprint (the physical card), else the payment method. */
const cardKeyOf = (card: CardFacts): string | undefined => card.fingerprint ?? card.paymentMethodId;

/** How the card's ledger is started when a message finds none running (a fresh ledger, no input). */
const ledgerStart = (taskQueue: string, cardKey: string) => ({
  workflowId: cardBudgetWorkflowId(taskQueue, cardKey),
  taskQueue,
  staticSummary: "card reattempt ledger: the networks' retry limits for one card, across its cases",
});

/**
 * Reserves a reattempt in the card's ledger workflow, created on first use: one
 * Update-with-Start call, so starting the ledger and asking it are atomic. The card is known by
 * its fingerprint, so two customers' payment methods for one physical card, and every invoice of
 * one customer, share one budget.
 */
export function reserveCardAttemptVia(client: Client, taskQueue: string): ReserveCardAttempt {
  return async (card, key, initiator) => {
    const cardKey = cardKeyOf(card);
    if (!cardKey) return { granted: true }; // nothing identifies the card: Stripe will refuse anyway
    return client.workflow.executeUpdateWithStart(reserveAttemptUpdate, {
      // Merchant-initiated is the ledger's default: requests of older workers carry no initiator.
      args: [initiator === 'customer' ? { key, initiator } : { key }],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof cardRetryBudgetWorkflow>(CARD_BUDGET_WORKFLOW_TYPE, {
        ...ledgerStart(taskQueue, cardKey),
        workflowIdConflictPolicy: 'USE_EXISTING', // the running ledger answers; only a missing one starts
      }),
    });
  };
}

/** Tells the card's ledger that an issuer said never to retry it: every case stops charging it. */
export function blockCardVia(client: Client, taskQueue: string): BlockCard {
  return async (card, reason) => {
    const cardKey = cardKeyOf(card);
    if (!cardKey) return;
    // Needs no answer, so a signal-with-start is enough.
    await client.workflow.signalWithStart(CARD_BUDGET_WORKFLOW_TYPE, {
      ...ledgerStart(taskQueue, cardKey),
      signal: blockCardSignal,
      signalArgs: [{ reason }],
    });
  };
}
