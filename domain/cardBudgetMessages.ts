/**
 * The card ledger's names and messages (workflows/cardBudget.ts runs it; the charge activity asks
 * it for room through an Update-with-Start). Defined once, shared by the workflow and its callers.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Initiator, LedgerState } from './cardBudgetLedger';

export const CARD_BUDGET_WORKFLOW_TYPE = 'cardRetryBudgetWorkflow';
/**
 * One ledger per card and per deployment (task queue): the ledger runs where its cases run, so two
 * deployments sharing a namespace (staging and production, two products) never wait on each
 * other's workers. Visa counts reattempts per merchant, which is what a deployment is.
 */
export const cardBudgetWorkflowId = (taskQueue: string, cardKey: string): string => `card-budget:${taskQueue}:${cardKey}`;

export interface ReserveAttemptRequest {
  /** The charge's idempotency key: a retried activity is granted again without using budget. */
  key: string;
  /** Which counter the attempt uses; default merchant. */
  initiator?: Initiator;
}
export interface ReserveAttemptResult {
  granted: boolean;
  duplicate: boolean;
  /** When refused: the first moment a reattempt fits in the window again. */
  retryAt?: string;
  /** Reattempts counted in the current window, this one included when granted. */
  used: number;
  limit: number;
  /** Refused because an issuer said never to retry this card (in this case or another). */
  blockedReason?: string;
}

export const reserveAttemptUpdate = defineUpdate<ReserveAttemptResult, [ReserveAttemptRequest]>('reserveAttempt');
/**
 * Carried the signal-with-start that created a ledger before its first reservation; reservations
 * now use Update-with-Start and send it no more. Its handler stays so that ledgers recorded with it
 * (running ones, test/histories/) still replay.
 */
export const openLedgerSignal = defineSignal('openLedger');
/**
 * An issuer answered "never retry" for this card (Visa category 1, Mastercard MAC 03/21,
 * `do_not_try_again`): no case may reattempt it, whichever invoice it was for.
 */
export const blockCardSignal = defineSignal<[{ reason: string }]>('blockCard');
/** The reattempts counted in the window, for operators and tests. */
export const ledgerQuery = defineQuery<LedgerState>('ledger');
