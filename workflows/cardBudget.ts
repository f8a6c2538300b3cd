/**
 * cardRetryBudgetWorkflow: one per card (Stripe fingerprint), the single writer of that card's
 * reattempt ledger. Visa fines more than 20 reattempts of a card in 30 days (customer- and
 * merchant-initiated counted apart), whatever the invoice,
 * so every case that charges the card reserves an attempt here first, through an Update (a
 * reservation must be answered, and must be serialised with every other case's).
 */
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  block,
  BUDGET_WINDOW_MS,
  LEDGER_IDLE_SUMMARY,
  ledgerWaitSummary,
  nextExpiry,
  prune,
  reserve,
  VISA_MAX_REATTEMPTS,
  VISA_MAX_REATTEMPTS_BEFORE_2025,
  type LedgerState,
} from '../domain/cardBudgetLedger';
import { blockCardSignal, ledgerQuery, openLedgerSignal, reserveAttemptUpdate } from '../domain/cardBudgetMessages';
import { VISA_2025_LIMIT_PATCH } from './patches';

export async function cardRetryBudgetWorkflow(initial?: LedgerState): Promise<void> {
  let ledger: LedgerState = initial ?? { entries: [] };
  let changes = 0;
  setHandler(openLedgerSignal, () => undefined);
  setHandler(blockCardSignal, ({ reason }) => {
    ledger = block(ledger, reason, Date.now());
    changes += 1;
  });
  setHandler(ledgerQuery, () => ledger);
  setHandler(reserveAttemptUpdate, ({ key, initiator = 'merchant' }) => {
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
  });

  // Live while any reattempt is inside the window or the card is blocked; with neither, the
  // ledger has nothing to say, and the next reservation starts a fresh run.
  for (;;) {
    ledger = prune(ledger, Date.now());
    const next = nextExpiry(ledger);
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
      await continueAsNew<typeof cardRetryBudgetWorkflow>(prune(ledger, Date.now()));
    }
  }
}
