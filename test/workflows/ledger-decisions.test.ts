/**
 * Replay checks commands (timers), not the answers an Update gave. This test checks the answers:
 * every card ledger history in test/histories/ is walked event by event, each reservation decided
 * again from its recorded arguments at its recorded time by the functions the ledger workflow
 * calls (domain/cardBudgetDecisions.ts), and compared with the answer the history recorded. Histories recorded before the
 * rules file reached the ledger (no `limits` in the arguments) must get exactly the old answers
 * (`reserve`, 15 or 20 by the patch marker); newer ones the answers of `reserveUnderLimits` with
 * the limits they carry, whatever policies/network-rules.json says today.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockOnSignal, decideReservation } from '../../domain/cardBudgetDecisions';
import {
  keepMsOf,
  prune,
  VISA_MAX_REATTEMPTS,
  VISA_MAX_REATTEMPTS_BEFORE_2025,
  type LedgerState,
} from '../../domain/cardBudgetLedger';
import type { ReserveAttemptRequest, ReserveAttemptResult } from '../../domain/cardBudgetMessages';
import { VISA_2025_LIMIT_PATCH } from '../../workflows/patches';

const DIR = join(__dirname, '..', 'histories');
const files = readdirSync(DIR)
  .filter((f) => f.startsWith('card-budget-ledger') && f.endsWith('.json'))
  .sort();

interface Payloads {
  payloads?: Array<{ data?: string }>;
}
interface HistoryEvent {
  eventType: string;
  eventTime: string;
  workflowExecutionStartedEventAttributes?: { input?: Payloads };
  workflowExecutionSignaledEventAttributes?: { signalName: string; input?: Payloads };
  workflowExecutionUpdateAcceptedEventAttributes?: {
    acceptedRequest: { meta: { updateId: string }; input: { name: string; args?: Payloads } };
  };
  workflowExecutionUpdateCompletedEventAttributes?: { meta: { updateId: string }; outcome: { success?: Payloads } };
  markerRecordedEventAttributes?: { details?: Record<string, Payloads> };
}

const decode = (p: Payloads | undefined): unknown[] =>
  (p?.payloads ?? []).map((x) => JSON.parse(Buffer.from(x.data ?? '', 'base64').toString('utf8')));

/** Every reservation of one ledger history: recorded answer and the answer decided again. */
function decideAgain(events: HistoryEvent[]) {
  const patched = events.some((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((p) =>
      decode(p).some((d) => (d as { id?: string }).id === VISA_2025_LIMIT_PATCH),
    ),
  );
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
  let pendingSignals: Array<{ reason: string; durationMs?: number }> = [];
  for (const e of events) {
    if (e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_STARTED') {
      // The workflow's clock is its task's start; signals received before it are handled in it.
      taskTime = Date.parse(e.eventTime);
      for (const s of pendingSignals) ledger = blockOnSignal(ledger, s, taskTime);
      pendingSignals = [];
    }
    const sig = e.workflowExecutionSignaledEventAttributes;
    if (sig?.signalName === 'blockCard') pendingSignals.push(decode(sig.input)[0] as { reason: string; durationMs?: number });
    const acc = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (!acc || acc.acceptedRequest.input.name !== 'reserveAttempt') continue;
    const request = decode(acc.acceptedRequest.input.args)[0] as ReserveAttemptRequest;
    const d = decideReservation(ledger, request, taskTime, () =>
      patched ? VISA_MAX_REATTEMPTS : VISA_MAX_REATTEMPTS_BEFORE_2025,
    );
    ledger = d.ledger;
    // As the Update's answer is recorded: JSON, so keys whose value is undefined are absent.
    const decided = JSON.parse(JSON.stringify(d.result)) as ReserveAttemptResult;
    ledger = prune(ledger, taskTime, keepMsOf(ledger));
    out.push({ request, recorded: recorded.get(acc.acceptedRequest.meta.updateId), decided });
  }
  return out;
}

describe('card ledger answers, decided again from recorded histories', () => {
  it('covers ledgers recorded without limits (before the rules file) and with them', () => {
    const withLimits = files.filter((f) => decideAgain(load(f)).some((d) => d.request.limits !== undefined));
    expect(withLimits).toEqual([
      'card-budget-ledger-mastercard.v10.json',
      'card-budget-ledger-mastercard.v11.json',
      'card-budget-ledger-wait.v11.json',
      'card-budget-ledger.v10.json',
    ]);
    expect(files.length).toBeGreaterThan(withLimits.length);
  });

  it.each(files)('%s: every reservation gets the answer it got', (file) => {
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
