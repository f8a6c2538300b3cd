/**
 * cardRetryBudgetWorkflow: one per card (Stripe fingerprint), the single writer of that card's
 * reattempt ledger. Visa fines more than 15 reattempts of a card in 30 days, whatever the invoice,
 * so every case that charges the card reserves an attempt here first, through an Update (a
 * reservation must be answered, and must be serialised with every other case's).
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  block,
  BUDGET_WINDOW_MS,
  nextExpiry,
  prune,
  reserve,
  VISA_MAX_REATTEMPTS,
  type LedgerState,
} from '../domain/cardBudgetLedger';
import { blockCardSignal, ledgerQuery, openLedgerSignal, reserveAttemptUpdate } from '../domain/cardBudgetMessages';

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
