/**
 * The card ledger's names and messages (workflows/cardBudget.ts runs it; the charge activity asks
 * it for room through an Update-with-Start). Defined once, shared by the workflow and its callers.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Initiator, LedgerState } from './cardBudgetLedger';
import type { AttemptLimit } from './networkRules';

export const CARD_BUDGET_WORKFLOW_TYPE = 'cardRetryBudgetWorkflow';
/**
 * The ledger workflow's signature (workflows/cardBudget.ts), so that callers below workflows/ (the
 * charge activity's Update-with-Start) are typed without importing workflow code.
 */
export type CardBudgetWorkflow = (initial?: LedgerState) => Promise<void>;
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
  /**
   * The limits of the rules file that bind this card (domain/networkRules.ts `attemptLimitsFor`),
   * as the worker that sent the request had loaded them: carried in the Update's arguments, so
   * recorded in the ledger's history, so a rules change applies to reservations made after it and
   * never alters a replay. Absent (a caller that loads no rules file): decided by Visa's constant
   * limit (domain/cardBudgetLedger.ts `reserve`).
   */
  limits?: AttemptLimit[];
  /** The charge's amount (minor units) and currency, for limits counted per amount or currency. */
  amount?: number;
  currency?: string;
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
  /** The rules file's limit `used` and `limit` are about (the one that refused, or the tightest). */
  rule?: string;
}

export const reserveAttemptUpdate = defineUpdate<ReserveAttemptResult, [ReserveAttemptRequest]>('reserveAttempt');
/**
 * An issuer answered "never retry" for this card (Visa category 1, Mastercard MAC 03/21,
 * `do_not_try_again`): no case may reattempt it, whichever invoice it was for. `durationMs`: the
 * rules file's window for that answer; absent (a rule that says "never"): BLOCK_MS. With `kind: 'wait'`, the issuer named a wait
 * instead (Mastercard MAC 24-30): no case may reattempt the card before `durationMs` has passed,
 * and after it the card is free again.
 */
export const blockCardSignal = defineSignal<[BlockCardRequest]>('blockCard');
export interface BlockCardRequest {
  reason: string;
  durationMs?: number;
  /** Absent: a block. */
  kind?: 'wait';
  /** With a wait: the case that heard it (see LedgerState.waiting). */
  heardBy?: string;
}
/**
 * A decline the card got outside the service's charges: Stripe's own retry schedule charged it
 * (Smart Retries still on). Counted in the ledger like a reattempt of ours (merchant-initiated);
 * `key` names Stripe's attempt (`stripe:<invoice>/attempt_<attempt_count>`), so it counts once.
 */
export const recordDeclineSignal = defineSignal<[RecordDeclineRequest]>('recordDecline');
export interface RecordDeclineRequest {
  key: string;
  amount?: number;
  currency?: string;
}
/** The reattempts counted in the window, for operators and tests. */
export const ledgerQuery = defineQuery<LedgerState>('ledger');
