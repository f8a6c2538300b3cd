/**
 * How the card ledger (workflows/cardBudget.ts) answers what it is sent, as pure functions: the
 * workflow calls them, and the test that decides every recorded ledger history again
 * (test/workflows/ledger-decisions.test.ts) calls the same ones, so the answers are defined once.
 */
import {
  block,
  BLOCK_MS,
  BUDGET_WINDOW_MS,
  keepMsOf,
  prune,
  reserve,
  recordDecline,
  reserveUnderLimits,
  VISA_MAX_REATTEMPTS,
  wait,
  type LedgerState,
} from './cardBudgetLedger';
import type { BlockCardRequest, RecordDeclineRequest, ReserveAttemptRequest, ReserveAttemptResult } from './cardBudgetMessages';

export interface Decision {
  ledger: LedgerState;
  result: ReserveAttemptResult;
}

/**
 * One reservation at `at` (the workflow's clock). A request with the rules file's limits is decided
 * by them; one without (a caller that loads no rules file) by Visa's limit, counted per initiator.
 */
export function decideReservation(ledger: LedgerState, request: ReserveAttemptRequest, at: number): Decision {
  const { key, initiator = 'merchant' } = request;
  if (request.limits !== undefined) {
    const { amount, currency } = request;
    const r = reserveUnderLimits(ledger, { key, at, initiator, amount, currency }, request.limits);
    const result: ReserveAttemptResult = { granted: r.granted, duplicate: r.duplicate, used: r.used, limit: r.limit };
    if (r.retryAt !== undefined) result.retryAt = new Date(r.retryAt).toISOString();
    if (r.blockedReason !== undefined) result.blockedReason = r.blockedReason;
    if (r.rule !== undefined) result.rule = r.rule;
    return { ledger: r.state, result };
  }
  const r = reserve(prune(ledger, at), key, at, VISA_MAX_REATTEMPTS, BUDGET_WINDOW_MS, initiator);
  return {
    ledger: r.state,
    result: {
      granted: r.granted,
      duplicate: r.duplicate,
      retryAt: r.retryAt === undefined ? undefined : new Date(r.retryAt).toISOString(),
      used: r.state.entries.filter((e) => (e.initiator ?? 'merchant') === initiator).length,
      limit: VISA_MAX_REATTEMPTS,
      blockedReason: r.blockedReason,
    },
  };
}

/** The recordDecline signal: Stripe's own attempt on the card, counted at `at` (when the ledger heard it). */
export function declineOnSignal(ledger: LedgerState, signal: RecordDeclineRequest, at: number): LedgerState {
  return recordDecline(prune(ledger, at, keepMsOf(ledger)), {
    key: signal.key,
    at,
    ...(signal.amount === undefined ? {} : { amount: signal.amount }),
    ...(signal.currency === undefined ? {} : { currency: signal.currency }),
  });
}

/**
 * The blockCard signal: a block, or with `kind: 'wait'` a wait. A block without a window (a rule
 * that says "never") lasts BLOCK_MS; a wait always names its length.
 */
export function blockOnSignal(ledger: LedgerState, signal: BlockCardRequest, at: number): LedgerState {
  const ms = typeof signal.durationMs === 'number' && signal.durationMs > 0 ? signal.durationMs : undefined;
  if (signal.kind === 'wait') return ms === undefined ? ledger : wait(ledger, signal.reason, at, ms, signal.heardBy);
  return block(ledger, signal.reason, at, ms ?? BLOCK_MS);
}
