/**
 * The chaos suite's invariants, computed from what the providers saw (emails at the outbox, charges
 * at the Stripe sandbox) and what Temporal says about each case, never from the service's own
 * account of itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { mapLimit, type SentEmail } from './driver';
import type { ChargeRecord } from '../../sandbox/stripe';
import { isOpenState, type CaseState } from '../../domain/types';
import { DunningState } from '../../domain/searchAttributes';

/** What happened to a case's invoice in Stripe, which decides how the case must end. */
export type Fate =
  | 'paid' // paid elsewhere (hosted page, out of band)
  | 'voided'
  | 'deleted' // the subscription was cancelled
  | 'card_fixed' // the customer added a working card
  | 'card_declined' // the customer added a card that declines too
  | 'none';

export interface ChaosCase {
  invoiceId: string;
  customerId: string;
  subscriptionId: string;
  fate: Fate;
  /**
   * When the service first took (2xx) an event that settles the fate (ms since the epoch);
   * undefined while none has been taken. See `settlingEventIds`.
   */
  settledAt?: number;
}

/** How long before its close a case may take a settling event and still end on its own schedule (an end action in flight). */
export const LATE_MARGIN_MS = 15_000;

const SETTLING_TYPES: Record<Fate, readonly string[]> = {
  paid: ['invoice.paid'],
  voided: ['invoice.voided'],
  deleted: ['customer.subscription.deleted'],
  card_fixed: ['payment_method.attached', 'customer.updated'],
  card_declined: [],
  none: [],
};

/**
 * The events (ids) of a customer that settle a case's fate: those of the fate's types created
 * after the invoice's failure (the card a customer signed up with is attached before it).
 */
export function settlingEventIds(
  events: ReadonlyArray<{ id: string; type: string; data: { object: object } }>,
  c: ChaosCase,
): Set<string> {
  const failed = events.findIndex(
    (e) => e.type === 'invoice.payment_failed' && (e.data.object as { id?: string }).id === c.invoiceId,
  );
  return new Set(
    events
      .slice(failed + 1)
      .filter((e) => SETTLING_TYPES[c.fate].includes(e.type))
      .map((e) => e.id),
  );
}

/**
 * The cases the settle phase still waits for: not there yet (a webhook refused during an outage is
 * delivered again), settled but still open, or in the middle of ending (an open run whose state is
 * already final: its last activities, the app event or the end action, are still running).
 */
export function stillSettling(
  invoiceIds: readonly string[],
  facts: ReadonlyMap<string, CaseFacts>,
  mustClose: ReadonlySet<string>,
): string[] {
  return invoiceIds.filter((id) => {
    const f = facts.get(id);
    if (!f?.found) return true;
    if (f.status !== 'RUNNING') return false;
    return mustClose.has(id) || (f.state !== undefined && !isOpenState(f.state));
  });
}

export interface SettleClock {
  now: number;
  /** The planned end of the settle phase. */
  settleBy: number;
  /** The latest end, however slowly cases still close. */
  hardStop: number;
  /** When the number of cases waited for last went down (or the phase began). */
  lastProgressAt: number;
  /** After settleBy, go on only if a case closed within this long. */
  stallMs: number;
}

/**
 * Whether to keep waiting for cases to settle. Until the planned deadline, always; after it, only
 * while cases keep closing: on a loaded machine a settled case may take a minute to reach a worker,
 * which is slowness, not a lost case; a case that never closes still fails at the hard stop.
 */
export function keepSettling(c: SettleClock): boolean {
  if (c.now < c.settleBy) return true;
  return c.now < c.hardStop && c.now - c.lastProgressAt < c.stallMs;
}

/** The states a case may be in at the end of a run, by fate; `active` only while its run is open. */
export function allowedEndStates(fate: Fate, mustHaveEnded: boolean): CaseState[] {
  switch (fate) {
    case 'paid':
    case 'card_fixed':
      return ['recovered'];
    case 'voided':
    case 'deleted':
      return ['cancelled'];
    default:
      return mustHaveEnded ? ['exhausted'] : ['active', 'exhausted'];
  }
}

export function isTerminalFate(fate: Fate): boolean {
  return fate !== 'none' && fate !== 'card_declined';
}

export interface CaseFacts {
  found: boolean;
  /** Temporal's execution status name: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  status?: string;
  state?: string;
  /** When the run closed (ms since the epoch). */
  closeTime?: number;
}

export async function describeCases(client: Client, invoiceIds: readonly string[]): Promise<Map<string, CaseFacts>> {
  const facts = await mapLimit(invoiceIds, 12, async (invoiceId): Promise<CaseFacts> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const d = await client.workflow.getHandle(`dunning-${invoiceId}`).describe();
        return {
          found: true,
          status: d.status.name,
          state: d.typedSearchAttributes.get(DunningState),
          closeTime: d.closeTime?.getTime(),
        };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { found: false };
        // Up to about a minute: a Temporal server restarted on its database takes a while to own its shards again.
        if (attempt >= 12) throw err;
        await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 8000)));
      }
    }
  });
  return new Map(invoiceIds.map((id, i) => [id, facts[i]!]));
}

/** The step of a case an idempotency key names, whatever run made it: `dunning-<invoice>[/<run>]/<step>`. */
export function stepOfKey(key: string, invoiceId: string): string {
  const prefix = `dunning-${invoiceId}/`;
  const rest = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  const [first, ...others] = rest.split('/');
  // A run id has no ':'; steps do (`email:reminder_1`, `retry:card_update_2`).
  return others.length && !first!.includes(':') ? others.join('/') : rest;
}

/** Templates a case sends at most once, whatever its keys say. */
const ONCE_PER_CASE = new Set(['payment_failed', 'payment_recovered', 'subscription_ended', 'final_notice']);

const tag = (m: SentEmail, name: string) => m.tags.find((t) => t.name === name)?.value;

/**
 * Emails beyond the first for one recipient and one case step (by the step the key names, so a
 * second run with new keys still counts), or for a once-per-case template.
 */
export function duplicateEmails(messages: readonly SentEmail[], invoiceIds: ReadonlySet<string>): SentEmail[] {
  const seen = new Set<string>();
  const dups = new Set<SentEmail>();
  for (const m of messages) {
    const invoiceId = tag(m, 'invoice_id');
    if (!invoiceId || !invoiceIds.has(invoiceId)) continue;
    const to = m.to.join(',').toLowerCase();
    const template = tag(m, 'template') ?? '?';
    const keys = [`step|${to}|${invoiceId}|${m.idempotency ? stepOfKey(m.idempotency.key, invoiceId) : `template:${template}`}`];
    if (ONCE_PER_CASE.has(template)) keys.push(`once|${to}|${invoiceId}|${template}`);
    if (keys.some((k) => seen.has(k))) dups.add(m);
    for (const k of keys) seen.add(k);
  }
  return [...dups];
}

/**
 * Charges the service made (`POST /v1/invoices/:id/pay` that reached the card) beyond one per case
 * step, one per reported card (card-update retries of the same card), and one success per invoice.
 */
export function doubleCharges(charges: readonly ChargeRecord[], invoiceIds: ReadonlySet<string>): ChargeRecord[] {
  const seen = new Set<string>();
  const dups = new Set<ChargeRecord>();
  for (const c of charges) {
    if (c.source !== 'api' || !invoiceIds.has(c.invoiceId)) continue;
    const step = c.idempotencyKey ? stepOfKey(c.idempotencyKey, c.invoiceId) : `no-key:${c.requestId}`;
    const keys = [`step|${c.invoiceId}|${step}`];
    if (step.startsWith('retry:card_update')) keys.push(`card|${c.invoiceId}|${c.fingerprint ?? c.paymentMethodId}`);
    if (c.outcome === 'succeeded') keys.push(`paid|${c.invoiceId}`);
    if (keys.some((k) => seen.has(k))) dups.add(c);
    for (const k of keys) seen.add(k);
  }
  return [...dups];
}

export interface CaseFigures {
  cases: number;
  lost: number;
  duplicateEmails: number;
  doubleCharges: number;
  failed: number;
  stateMismatch: number;
  wrongEnd: number;
  /**
   * Cases that ended on their own schedule because what settled them reached the service only
   * as (or after) they closed, or not yet: not wrong, but counted, as under load they grow.
   */
  settledLate: number;
  /** A few examples of what went wrong, for the report. */
  examples: string[];
}

export function caseFigures(
  cases: readonly ChaosCase[],
  facts: ReadonlyMap<string, CaseFacts>,
  messages: readonly SentEmail[],
  charges: readonly ChargeRecord[],
  mustHaveEnded: boolean,
  checkedAt = Date.now(),
): CaseFigures {
  const ids = new Set(cases.map((c) => c.invoiceId));
  const examples: string[] = [];
  const note = (s: string) => examples.length < 6 && examples.push(s);
  let lost = 0;
  let failed = 0;
  let stateMismatch = 0;
  let wrongEnd = 0;
  let settledLate = 0;
  for (const c of cases) {
    const f = facts.get(c.invoiceId);
    if (!f?.found) {
      lost++;
      note(`lost ${c.invoiceId} (${c.fate})`);
      continue;
    }
    const open = f.status === 'RUNNING';
    if (!open && f.status !== 'COMPLETED' && f.status !== 'CONTINUED_AS_NEW') {
      failed++;
      note(`${c.invoiceId} (${c.fate}) ended ${f.status} with DunningState ${f.state}`);
    }
    if (isOpenState(f.state) !== open) {
      stateMismatch++;
      note(`${c.invoiceId} (${c.fate}) is ${f.status} with DunningState ${f.state}`);
    }
    if (!allowedEndStates(c.fate, mustHaveEnded).includes(f.state as CaseState)) {
      const late =
        isTerminalFate(c.fate) &&
        allowedEndStates('none', mustHaveEnded).includes(f.state as CaseState) &&
        (c.settledAt === undefined || c.settledAt > (f.closeTime ?? checkedAt) - LATE_MARGIN_MS);
      if (late) settledLate++;
      else {
        wrongEnd++;
        const settled = c.settledAt ? `settled ${new Date(c.settledAt).toISOString()}` : 'never settled';
        note(
          `${c.invoiceId} (${c.fate}, ${settled}) ended ${f.state} (${f.status}), expected ${allowedEndStates(c.fate, mustHaveEnded).join('|')}`,
        );
      }
    }
  }
  const dupEmails = duplicateEmails(messages, ids);
  for (const m of dupEmails.slice(0, 2))
    note(`duplicate email ${tag(m, 'template')} for ${tag(m, 'invoice_id')} (key ${m.idempotency?.key})`);
  const dupCharges = doubleCharges(charges, ids);
  for (const c of dupCharges.slice(0, 2)) note(`double charge of ${c.invoiceId} (key ${c.idempotencyKey}, ${c.outcome})`);
  return {
    cases: cases.length,
    lost,
    duplicateEmails: dupEmails.length,
    doubleCharges: dupCharges.length,
    failed,
    stateMismatch,
    wrongEnd,
    settledLate,
    examples,
  };
}

export function caseFiguresPass(f: CaseFigures): boolean {
  return (
    f.lost === 0 &&
    f.duplicateEmails === 0 &&
    f.doubleCharges === 0 &&
    f.failed === 0 &&
    f.stateMismatch === 0 &&
    f.wrongEnd === 0
  );
}

export function formatCaseFigures(f: CaseFigures): string {
  return (
    `cases ${f.cases}, lost ${f.lost}, duplicate emails ${f.duplicateEmails}, double charges ${f.doubleCharges}, ` +
    `ended Failed ${f.failed}, state≠run ${f.stateMismatch}, wrong end ${f.wrongEnd} (settled too late to count ${f.settledLate})`
  );
}

/** The worker and API processes' logs (tools/stack writes `worker-<n>.log`, `api-<n>.log`). */
const SERVICE_LOG = /^(worker|api)-\d+\.log$/;

export interface LogFigures {
  files: number;
  lines: number;
  /** Lines that are not one JSON object: a multi-line SDK object, a pretty-printed error, a banner. */
  notJson: number;
  /** A last line without its newline: the process was SIGKILLed while writing it, not a format fault. */
  cutByKill: number;
  examples: string[];
}

/** Parses every line of every worker and API log under `dir`: each must be one JSON object. */
export function logFigures(dir: string): LogFigures {
  const f: LogFigures = { files: 0, lines: 0, notJson: 0, cutByKill: 0, examples: [] };
  for (const name of readdirSync(dir).filter((n) => SERVICE_LOG.test(n))) {
    f.files++;
    const text = readFileSync(join(dir, name), 'utf8');
    const lines = text.split('\n');
    const last = lines.pop();
    if (last) f.cutByKill++;
    lines.forEach((line, i) => {
      f.lines++;
      if (isJsonObject(line)) return;
      f.notJson++;
      if (f.examples.length < 4) f.examples.push(`${name}:${i + 1}: ${line.slice(0, 160)}`);
    });
  }
  return f;
}

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
