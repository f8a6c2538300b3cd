/**
 * domain/caseSnapshot.ts: a case carried to a new run (continue-as-new) as plain data. The
 * property: for records and inboxes driven through random sequences of what the workflow does to
 * them, the snapshot survives JSON (what Temporal's payload converter does), the restored pair
 * equals the original, and both go on to answer the same to the same news.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseInbox } from '../../domain/caseInbox';
import { CaseRecord } from '../../domain/caseRecord';
import { CASE_SNAPSHOT_VERSION, CaseSnapshotError, fromSnapshot, toSnapshot, type CaseSnapshot } from '../../domain/caseSnapshot';
import { POLICY_1_0 } from '../../domain/policy';
import type { CaseFacts, RetryChargeResult } from '../../domain/providerTypes';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 12);

const facts = (): CaseFacts => ({
  invoice: {
    id: 'in_1',
    status: 'open',
    customerId: 'cus_1',
    amountDue: 2900,
    amountRemaining: 2900,
    currency: 'usd',
    subscriptionId: 'sub_1',
  },
  customer: {
    id: 'cus_1',
    email: 'a@example.com',
    name: 'Ada',
    preferredLocales: ['en'],
    defaultPaymentMethodId: 'pm_old',
    timeZone: 'Europe/Paris',
  },
  lastDecline: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    card: { paymentMethodId: 'pm_old', brand: 'visa', last4: '4242' },
  },
  subscription: { id: 'sub_1', status: 'past_due' },
});

/** A small seeded generator (mulberry32): each failing seed can be run again. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const declined = (pm: string, declineCode: string): RetryChargeResult => ({
  outcome: 'declined',
  decline: { code: 'card_declined', declineCode, card: { paymentMethodId: pm, brand: 'visa', last4: '0002' } },
});

/** One thing the workflow does to a case, chosen by `r`; `now` moves on. */
type Step = (record: CaseRecord, inbox: CaseInbox, now: number) => void;
const STEPS: Step[] = [
  (c) => {
    const s = c.nextStep();
    if (s) c.markDone(s);
  },
  (c, _i, now) => c.applyChargeResult('schedule', declined(`pm_${now % 7}`, 'generic_decline'), now, undefined),
  (c, _i, now) => c.applyChargeResult('payment_method_updated', declined('pm_new', 'insufficient_funds'), now, 'pm_new'),
  (c, _i, now) => c.recordEmail(now, { template: 'reminder', messageId: `msg_${now}` }),
  (c, _i, now) => c.recordEmail(now, { template: 'reminder', error: 'quota' }),
  (c, _i, now) => c.startCustomerRetry(now),
  (c, _i, now) =>
    c.cardReported({ source: 'stripe', paymentMethodId: `pm_${now % 4}`, occurredAt: new Date(now).toISOString() }, now),
  (c, _i, now) => c.recordDispute({ disputeId: `dp_${now}`, occurredAt: new Date(now).toISOString() }),
  (c) => c.recordCardDetached({ paymentMethodId: 'pm_old', occurredAt: new Date(T0).toISOString() } as never),
  (c, _i, now) =>
    c.markEmailUndeliverable({ address: 'A@example.com', event: 'bounced', occurredAt: new Date(now).toISOString() } as never),
  (_c, i, now) =>
    i.paymentFailed({
      invoiceId: 'in_1',
      customerId: 'cus_1',
      amountDue: 3100,
      currency: 'usd',
      eventId: `evt_${now % 5}`,
      occurredAt: new Date(now).toISOString(),
    } as never),
  (c, i, now) => {
    const f = i.takeLatestFailure();
    if (f) c.applyFailure(f, now);
  },
  (_c, i, now) =>
    i.paymentMethodUpdated({ source: 'stripe', paymentMethodId: `pm_${now % 3}`, occurredAt: new Date(now).toISOString() }),
  (c, i) => {
    const u = i.takeCardUpdate();
    if (u) c.isDeclinedCardReportedAgain(u);
  },
  (c, _i, now) =>
    c.applyChargeResult('schedule', { outcome: 'processing', paymentIntentId: `pi_${now}` } as never, now, undefined),
  (c, _i, now) => {
    if (c.isProcessing()) c.debitFailed(now, { code: 'card_declined', declineCode: 'insufficient_funds' });
  },
  (c, _i, now) => c.stillSettling(now),
];

function driven(seed: number, steps: number): { record: CaseRecord; inbox: CaseInbox; next: () => number } {
  const r = random(seed);
  const record = new CaseRecord('in_1', 'cus_1', T0, POLICY_1_0);
  const inbox = new CaseInbox();
  record.learnFacts(facts());
  record.classifyFirst(undefined, T0);
  record.replan(T0);
  let now = T0;
  for (let n = 0; n < steps; n++) {
    now += Math.floor(r() * 2 * DAY);
    STEPS[Math.floor(r() * STEPS.length)]!(record, inbox, now);
  }
  return { record, inbox, next: () => Math.floor(r() * STEPS.length) };
}

/** Through JSON, as the next run's input. */
const carried = (s: CaseSnapshot): CaseSnapshot => JSON.parse(JSON.stringify(s)) as CaseSnapshot;

describe('toSnapshot / fromSnapshot', () => {
  it.each(Array.from({ length: 60 }, (_, seed) => [seed]))('round-trips a case driven at random (seed %i)', (seed) => {
    const { record, inbox, next } = driven(seed, seed % 25);
    const snapshot = toSnapshot(record, inbox);
    const back = fromSnapshot(carried(snapshot));
    // The same data (fields and Sets), the same classes, and the same snapshot again.
    expect(back.record).toEqual(record);
    expect(back.inbox).toEqual(inbox);
    expect(back.record).toBeInstanceOf(CaseRecord);
    expect(back.inbox).toBeInstanceOf(CaseInbox);
    expect(toSnapshot(back.record, back.inbox)).toStrictEqual(snapshot);
    // What the case shows and plans, the same.
    const now = T0 + 40 * DAY;
    expect(back.record.status(now)).toEqual(record.status(now));
    expect(back.record.nextStep()).toEqual(record.nextStep());
    expect(back.record.searchAttributes()).toEqual(record.searchAttributes());
    // And it goes on the same: the same news to both, the same answers.
    for (let n = 0; n < 10; n++) {
      const step = STEPS[next()]!;
      step(record, inbox, now + n * DAY);
      step(back.record, back.inbox, now + n * DAY);
    }
    expect(back.record.status(now + 20 * DAY)).toEqual(record.status(now + 20 * DAY));
    expect(toSnapshot(back.record, back.inbox)).toStrictEqual(toSnapshot(record, inbox));
  });

  it('carries what the next run must not do again: steps done, declined cards, events seen', () => {
    const { record, inbox } = driven(1, 0);
    record.markDone(record.nextStep()!);
    inbox.paymentFailed({
      invoiceId: 'in_1',
      customerId: 'cus_1',
      amountDue: 2900,
      currency: 'usd',
      eventId: 'evt_seen',
      occurredAt: new Date(T0).toISOString(),
    } as never);
    inbox.takeLatestFailure();
    const back = fromSnapshot(carried(toSnapshot(record, inbox)));
    expect(back.record.nextStep()).toEqual(record.nextStep());
    expect(back.record.status().nextAction).toEqual({ kind: 'email', at: new Date(T0 + 3 * DAY).toISOString() });
    // The card that declined, reported again without new data: still not charged again.
    expect(back.record.isDeclinedCardReportedAgain({ source: 'stripe', paymentMethodId: 'pm_old', occurredAt: '' })).toBe(true);
    // A duplicate delivery of a Stripe event the last run saw: still a duplicate.
    back.inbox.paymentFailed({ eventId: 'evt_seen' } as never);
    expect(back.inbox.hasNews()).toBe(false);
  });

  it('gives a field an older snapshot lacks its initial value (a later build added it), never undefined', () => {
    const { record, inbox } = driven(3, 5);
    const older = carried(toSnapshot(record, inbox));
    // As if the build that wrote it had none of these yet.
    delete older.record.sets.done;
    delete older.record.fields.pausedMs;
    delete older.inbox.fields.links;
    const back = fromSnapshot(older);
    expect(back.record).toBeInstanceOf(CaseRecord);
    expect(() => back.record.markDone(back.record.nextStep()!)).not.toThrow();
    expect(() => back.inbox.hasNews()).not.toThrow();
    expect(back.inbox.linkPending()).toBe(false);
    expect(back.record.status(T0 + 40 * DAY).state).toBe(record.status(T0 + 40 * DAY).state);
  });

  it('keeps a field that was unset unset, not its initial value', () => {
    const { record, inbox } = driven(4, 0);
    (record as unknown as { _currency: string | undefined })._currency = undefined;
    const back = fromSnapshot(carried(toSnapshot(record, inbox)));
    expect((back.record as unknown as { _currency: string | undefined })._currency).toBeUndefined();
  });

  it('fails loudly, naming the field, on what it cannot carry', () => {
    const { record, inbox } = driven(2, 3);
    (record as unknown as { extra: Map<string, number> }).extra = new Map();
    expect(() => toSnapshot(record, inbox)).toThrow(
      new CaseSnapshotError('record.extra: a Map cannot be carried to the next run; make it plain data'),
    );
    const other = driven(2, 3);
    (other.record as unknown as { at: Date }).at = new Date();
    expect(() => toSnapshot(other.record, other.inbox)).toThrow(/record\.at: a Date/);
    (other.record as unknown as { at: number }).at = Infinity;
    expect(() => toSnapshot(other.record, other.inbox)).toThrow(/record\.at: Infinity/);
  });

  it('refuses a snapshot of another form', () => {
    const s = toSnapshot(new CaseRecord('in_1', 'cus_1', T0), new CaseInbox());
    expect(s.version).toBe(CASE_SNAPSHOT_VERSION);
    expect(() => fromSnapshot({ ...s, version: 2 } as never)).toThrow(/version 2 is not 1/);
    expect(() => fromSnapshot({ ...s, record: undefined } as never)).toThrow(/record is not a snapshot/);
  });

  it('sees every field: the classes keep no #private fields, which it could not read', () => {
    for (const file of ['caseRecord.ts', 'caseInbox.ts']) {
      const source = readFileSync(join(__dirname, '..', '..', 'domain', file), 'utf8');
      expect(source, file).not.toMatch(/^\s+(?:readonly\s+)?#\w+/m);
    }
  });
});
