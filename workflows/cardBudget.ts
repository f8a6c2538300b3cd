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
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { blockOnSignal, decideReservation, declineOnSignal } from '../domain/cardBudgetDecisions';
import {
  keepMsOf,
  LEDGER_IDLE_SUMMARY,
  ledgerWaitSummary,
  nextExpiry,
  prune,
  type LedgerState,
} from '../domain/cardBudgetLedger';
import { blockCardSignal, ledgerQuery, recordDeclineSignal, reserveAttemptUpdate } from '../domain/cardBudgetMessages';
import { attemptLimitsProblem } from '../domain/networkRules';

export async function cardRetryBudgetWorkflow(initial?: LedgerState): Promise<void> {
  let ledger: LedgerState = initial ?? { entries: [] };
  let changes = 0;
  setHandler(blockCardSignal, (signal) => {
    ledger = blockOnSignal(ledger, signal, Date.now());
    changes += 1;
  });
  // Stripe's own retry charged the card: it counts as ours do.
  setHandler(recordDeclineSignal, (signal) => {
    ledger = declineOnSignal(ledger, signal, Date.now());
    changes += 1;
  });
  setHandler(ledgerQuery, () => ledger);
  setHandler(
    reserveAttemptUpdate,
    (request) => {
      const d = decideReservation(ledger, request, Date.now());
      ledger = d.ledger;
      changes += 1;
      return d.result;
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
