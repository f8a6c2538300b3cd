/**
 * cardRetryBudgetWorkflow: one per card (Stripe fingerprint), the single writer of that card's
 * reattempt ledger. Visa fines more than 15 reattempts of a card in 30 days, whatever the invoice,
 * so every case that charges the card reserves an attempt here first, through an Update (a
 * reservation must be answered, and must be serialised with every other case's).
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  block,
  BUDGET_WINDOW_MS,
  nextExpiry,
  prune,
  reserve,
  VISA_MAX_REATTEMPTS,
  type LedgerState,
} from './cardBudgetLedger';

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

export async function cardRetryBudgetWorkflow(initial?: LedgerState): Promise<void> {
  let ledger: LedgerState = initial ?? { entries: [] };
  let changes = 0;
  setHandler(openLedgerSignal, () => undefined);
  setHandler(blockCardSignal, ({ reason }) => {
    ledger = block(ledger, reason, Date.now());
    changes += 1;
  });
  setHandler(ledgerQuery, () => ledger);
  setHandler(reserveAttemptUpdate, ({ key }) => {
    const now = Date.now();
    const r = reserve(prune(ledger, now), key, now, VISA_MAX_REATTEMPTS, BUDGET_WINDOW_MS);
    ledger = r.state;
    changes += 1;
    return {
      granted: r.granted,
      duplicate: r.duplicate,
      retryAt: r.retryAt === undefined ? undefined : new Date(r.retryAt).toISOString(),
      used: ledger.entries.length,
      limit: VISA_MAX_REATTEMPTS,
      blockedReason: r.blockedReason,
    };
  });

  // Live while any reattempt is inside the window or the card is blocked; with neither, the
  // ledger has nothing to say, and the next reservation starts a fresh run.
  for (;;) {
    ledger = prune(ledger, Date.now());
    const next = nextExpiry(ledger);
    if (next === undefined) {
      const seen = changes;
      const more = await condition(() => changes !== seen, '1 hour');
      if (!more && allHandlersFinished()) return;
      continue;
    }
    const seen = changes;
    await condition(() => changes !== seen || workflowInfo().continueAsNewSuggested, Math.max(1, next - Date.now()));
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof cardRetryBudgetWorkflow>(prune(ledger, Date.now()));
    }
  }
}
