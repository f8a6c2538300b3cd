/**
 * Replay checks commands (timers), not the answers an Update gave. This test checks the answers:
 * every card ledger history in test/histories/ is walked event by event, each reservation decided
 * again from its recorded arguments at its recorded time by the functions the ledger workflow
 * calls (domain/cardBudgetDecisions.ts), and compared with the answer the history recorded: the
 * answers of `reserveUnderLimits` with the limits each request carries, whatever
 * policies/network-rules.json says today.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockOnSignal, declineOnSignal, decideReservation } from '../../domain/cardBudgetDecisions';
import { keepMsOf, prune, type LedgerState } from '../../domain/cardBudgetLedger';
import {
  CARD_BUDGET_WORKFLOW_TYPE,
  type BlockCardRequest,
  type RecordDeclineRequest,
  type ReserveAttemptRequest,
  type ReserveAttemptResult,
} from '../../domain/cardBudgetMessages';

const DIR = join(__dirname, '..', 'histories');
/** The card ledgers' histories (by workflow type, whatever their names). */
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .filter((f) => load(f)[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name === CARD_BUDGET_WORKFLOW_TYPE)
  .sort();

interface Payloads {
  payloads?: Array<{ data?: string }>;
}
interface HistoryEvent {
  eventType: string;
  eventTime: string;
  workflowExecutionStartedEventAttributes?: { input?: Payloads; workflowType?: { name?: string } };
  workflowExecutionSignaledEventAttributes?: { signalName: string; input?: Payloads };
  workflowExecutionUpdateAcceptedEventAttributes?: {
    acceptedRequest: { meta: { updateId: string }; input: { name: string; args?: Payloads } };
  };
  workflowExecutionUpdateCompletedEventAttributes?: { meta: { updateId: string }; outcome: { success?: Payloads } };
}

const decode = (p: Payloads | undefined): unknown[] =>
  (p?.payloads ?? []).map((x) => JSON.parse(Buffer.from(x.data ?? '', 'base64').toString('utf8')));

/** Every reservation of one ledger history: recorded answer and the answer decided again. */
function decideAgain(events: HistoryEvent[]) {
  const recorded = new Map<string, unknown>();
  for (const e of events) {
    const c = e.workflowExecutionUpdateCompletedEventAttributes;
    if (c) recorded.set(c.meta.updateId, decode(c.outcome.success)[0]);
  }
  let ledger: LedgerState = (decode(events[0]?.workflowExecutionStartedEventAttributes?.input)[0] as LedgerState) ?? {
    entries: [],
  };
  const out: Array<{ request: ReserveAttemptRequest; recorded: unknown; decided: ReserveAttemptResult }> = [];
  let taskTime = 0;
  let pendingSignals: Array<(l: LedgerState, at: number) => LedgerState> = [];
  for (const e of events) {
    if (e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_STARTED') {
      // The workflow's clock is its task's start; signals received before it are handled in it.
      taskTime = Date.parse(e.eventTime);
      for (const apply of pendingSignals) ledger = apply(ledger, taskTime);
      pendingSignals = [];
    }
    const sig = e.workflowExecutionSignaledEventAttributes;
    if (sig?.signalName === 'blockCard') {
      const s = decode(sig.input)[0] as BlockCardRequest;
      pendingSignals.push((l, at) => blockOnSignal(l, s, at));
    }
    if (sig?.signalName === 'recordDecline') {
      const s = decode(sig.input)[0] as RecordDeclineRequest;
      pendingSignals.push((l, at) => declineOnSignal(l, s, at));
    }
    const acc = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (!acc || acc.acceptedRequest.input.name !== 'reserveAttempt') continue;
    const request = decode(acc.acceptedRequest.input.args)[0] as ReserveAttemptRequest;
    const d = decideReservation(ledger, request, taskTime);
    ledger = d.ledger;
    // As the Update's answer is recorded: JSON, so keys whose value is undefined are absent.
    const decided = JSON.parse(JSON.stringify(d.result)) as ReserveAttemptResult;
    ledger = prune(ledger, taskTime, keepMsOf(ledger));
    out.push({ request, recorded: recorded.get(acc.acceptedRequest.meta.updateId), decided });
  }
  return out;
}

/** Those with reservations to decide again (a ledger may have heard only Stripe's own attempts). */
const withReservations = files.filter((f) => decideAgain(load(f)).length > 0);

describe('card ledger answers, decided again from recorded histories', () => {
  it("covers every ledger history, each reservation with the rules file's limits", () => {
    expect(withReservations.length).toBeGreaterThanOrEqual(3);
    for (const f of files)
      expect(
        decideAgain(load(f)).every((d) => d.request.limits !== undefined),
        f,
      ).toBe(true);
  });

  it.each(withReservations)('%s: every reservation gets the answer it got', (file) => {
    const decisions = decideAgain(load(file));
    expect(decisions.length).toBeGreaterThan(0);
    // Some refusals in each history: the limits bite, not only grants.
    expect(decisions.some((d) => !(d.recorded as ReserveAttemptResult).granted)).toBe(true);
    for (const d of decisions) expect(d.decided, d.request.key).toEqual(d.recorded);
  });
});

function load(file: string): HistoryEvent[] {
  return (JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { events: HistoryEvent[] }).events;
}
