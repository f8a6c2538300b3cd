import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  blockCardSignal,
  CARD_BUDGET_WORKFLOW_TYPE,
  type CardBudgetWorkflow,
  recordDeclineSignal,
  type RecordDeclineRequest,
  cardBudgetWorkflowId,
  reserveAttemptUpdate,
  type ReserveAttemptRequest,
} from '../domain/cardBudgetMessages';
import { attemptLimitsFor, type NetworkRules } from '../domain/networkRules';
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
 *
 * `networkRules`: the worker's rules file (read and checked at start); the limits that bind the
 * card's brand go with the request, so the ledger decides by the file as it was when the charge
 * was asked for, and its history records them. Without rules (a caller that loads none), the
 * ledger decides by its constants (Visa's 20 in 30 days per initiator).
 */
export function reserveCardAttemptVia(client: Client, taskQueue: string, networkRules?: NetworkRules): ReserveCardAttempt {
  return async (card, key, initiator, charge) => {
    const cardKey = cardKeyOf(card);
    if (!cardKey) return { granted: true }; // nothing identifies the card: Stripe will refuse anyway
    // Merchant-initiated is the ledger's default: such requests carry no initiator.
    const request: ReserveAttemptRequest = initiator === 'customer' ? { key, initiator } : { key };
    if (networkRules) {
      request.limits = attemptLimitsFor(networkRules, card.brand);
      if (charge) {
        request.amount = charge.amount;
        request.currency = charge.currency;
      }
    }
    return client.workflow.executeUpdateWithStart(reserveAttemptUpdate, {
      args: [request],
      startWorkflowOperation: new WithStartWorkflowOperation<CardBudgetWorkflow>(CARD_BUDGET_WORKFLOW_TYPE, {
        ...ledgerStart(taskQueue, cardKey),
        workflowIdConflictPolicy: 'USE_EXISTING', // the running ledger answers; only a missing one starts
      }),
    });
  };
}

/** Counts a decline Stripe's own retry got on the card in its ledger (a signal-with-start: no answer needed). */
export function recordDeclineVia(client: Client, taskQueue: string) {
  return async (card: CardFacts, request: RecordDeclineRequest): Promise<void> => {
    const cardKey = cardKeyOf(card);
    if (!cardKey) return;
    await client.workflow.signalWithStart(CARD_BUDGET_WORKFLOW_TYPE, {
      ...ledgerStart(taskQueue, cardKey),
      signal: recordDeclineSignal,
      signalArgs: [request],
    });
  };
}

/**
 * Tells the card's ledger that an issuer said never to retry it: every case stops charging it.
 * `durationMs`: the rules file's window for that answer; unset: the ledger's month (BLOCK_MS).
 * With `wait`: the issuer named a wait of `durationMs` instead; every other case waits it out.
 */
export function blockCardVia(client: Client, taskQueue: string): BlockCard {
  return async (card, reason, durationMs, wait) => {
    const cardKey = cardKeyOf(card);
    if (!cardKey) return;
    // Needs no answer, so a signal-with-start is enough.
    await client.workflow.signalWithStart(CARD_BUDGET_WORKFLOW_TYPE, {
      ...ledgerStart(taskQueue, cardKey),
      signal: blockCardSignal,
      signalArgs: [
        {
          reason,
          ...(durationMs === undefined ? {} : { durationMs }),
          ...(wait ? { kind: 'wait' as const, heardBy: wait.heardBy } : {}),
        },
      ],
    });
  };
}
