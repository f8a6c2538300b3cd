/**
 * cardRetryBudgetWorkflow: one per card (Stripe fingerprint), the single writer of that card's
 * reattempt ledger. The card networks fine attempts beyond their limits (Visa: 20 reattempts in 30
 * days, customer- and merchant-initiated counted apart; Mastercard: 10 declines in 24 hours, 35 per
 * amount in 30 days), whatever the invoice, so every case that charges the card reserves an attempt
 * here first, through an Update (a reservation must be answered, and must be serialised with every
 * other case's). The limits are those of the rules file, sent with each reservation (see
 * ReserveAttemptRequest.limits): the ledger keeps no rules of its own that a deploy could change
 * under a running ledger.
 */
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  block,
  BLOCK_MS,
  BUDGET_WINDOW_MS,
  keepMsOf,
  LEDGER_IDLE_SUMMARY,
  ledgerWaitSummary,
  nextExpiry,
  prune,
  reserve,
  reserveUnderLimits,
  VISA_MAX_REATTEMPTS,
  VISA_MAX_REATTEMPTS_BEFORE_2025,
  type LedgerState,
} from '../domain/cardBudgetLedger';
import {
  blockCardSignal,
  ledgerQuery,
  openLedgerSignal,
  reserveAttemptUpdate,
  type ReserveAttemptRequest,
  type ReserveAttemptResult,
} from '../domain/cardBudgetMessages';
import { attemptLimitsProblem } from '../domain/networkRules';
import { VISA_2025_LIMIT_PATCH } from './patches';

export async function cardRetryBudgetWorkflow(initial?: LedgerState): Promise<void> {
  let ledger: LedgerState = initial ?? { entries: [] };
  let changes = 0;
  setHandler(openLedgerSignal, () => undefined);
  setHandler(blockCardSignal, ({ reason, durationMs }) => {
    // Signals recorded before the rules file named a window carry none: the month they had.
    const ms = typeof durationMs === 'number' && durationMs > 0 ? durationMs : BLOCK_MS;
    ledger = block(ledger, reason, Date.now(), ms);
    changes += 1;
  });
  setHandler(ledgerQuery, () => ledger);
  const reserveUnderRules = (request: ReserveAttemptRequest & { limits: NonNullable<ReserveAttemptRequest['limits']> }) => {
    const { key, initiator = 'merchant', limits, amount, currency } = request;
    const r = reserveUnderLimits(ledger, { key, at: Date.now(), initiator, amount, currency }, limits);
    ledger = r.state;
    changes += 1;
    const result: ReserveAttemptResult = { granted: r.granted, duplicate: r.duplicate, used: r.used, limit: r.limit };
    if (r.retryAt !== undefined) result.retryAt = new Date(r.retryAt).toISOString();
    if (r.blockedReason !== undefined) result.blockedReason = r.blockedReason;
    if (r.rule !== undefined) result.rule = r.rule;
    return result;
  };
  setHandler(
    reserveAttemptUpdate,
    (request) => {
      // The branch is chosen by the recorded request, not by the code's version: a request with the
      // rules file's limits is decided by them; one recorded without (an older worker's) exactly as
      // it was decided then. So no patch: no recorded history takes a different path.
      if (request.limits !== undefined) return reserveUnderRules({ ...request, limits: request.limits });
      const { key, initiator = 'merchant' } = request;
      const now = Date.now();
      // Ledgers recorded under the old limit keep it (a different answer changes their timers).
      const limit = patched(VISA_2025_LIMIT_PATCH) ? VISA_MAX_REATTEMPTS : VISA_MAX_REATTEMPTS_BEFORE_2025;
      const r = reserve(prune(ledger, now), key, now, limit, BUDGET_WINDOW_MS, initiator);
      ledger = r.state;
      changes += 1;
      return {
        granted: r.granted,
        duplicate: r.duplicate,
        retryAt: r.retryAt === undefined ? undefined : new Date(r.retryAt).toISOString(),
        used: ledger.entries.filter((e) => (e.initiator ?? 'merchant') === initiator).length,
        limit,
        blockedReason: r.blockedReason,
      };
    },
    {
      // Runs when the Update arrives, never on replay: a malformed request is refused before it is recorded.
      validator: (request) => {
        const problem = attemptLimitsProblem(request.limits);
        if (problem) throw new Error(problem);
      },
    },
  );

  // Live while any reattempt is inside the window or the card is blocked; with neither, the
  // ledger has nothing to say, and the next reservation starts a fresh run.
  for (;;) {
    // keepMsOf: 30 days unless a limit of the rules file counts over a longer window.
    ledger = prune(ledger, Date.now(), keepMsOf(ledger));
    const next = nextExpiry(ledger, keepMsOf(ledger));
    if (next === undefined) {
      const seen = changes;
      const more = await condition(() => changes !== seen, '1 hour', { summary: LEDGER_IDLE_SUMMARY });
      if (!more && allHandlersFinished()) return;
      continue;
    }
    const seen = changes;
    await condition(() => changes !== seen || workflowInfo().continueAsNewSuggested, Math.max(1, next - Date.now()), {
      summary: ledgerWaitSummary(ledger, next),
    });
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof cardRetryBudgetWorkflow>(prune(ledger, Date.now(), keepMsOf(ledger)));
    }
  }
}
