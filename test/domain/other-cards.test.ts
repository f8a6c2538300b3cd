/**
 * Another saved card (domain/otherCards.ts) without Temporal: the consent value, which cards are
 * eligible, the policy field's rules, and the record's bookkeeping (when a case looks, what an
 * other card's answer does to the case).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaseRecord } from '../../domain/caseRecord';
import { recoveryStep } from '../../domain/recoveryStep';
import { eligibleOtherCards, isExpired, otherCardsProblems, readConsent, type SavedCard } from '../../domain/otherCards';
import { POLICY_1_0, policyProblems, type DunningPolicy } from '../../domain/policy';
import type { CaseFacts } from '../../domain/providerTypes';
import { parsePolicy } from '../../src/policyFile';

const T0 = Date.UTC(2026, 11, 7, 12);

describe('the consent metadata value', () => {
  it.each([
    ['true', true],
    [' TRUE ', true],
    ['2026-11-30', true],
    ['2026-11-30T10:00:00Z', true],
    [undefined, false],
    ['', false],
    ['false', false],
  ])('%j is consent: %s', (value, given) => {
    expect(readConsent(value).given).toBe(given);
  });

  it('an unreadable value is no consent, and says so', () => {
    expect(readConsent('yes please')).toEqual({ given: false, why: 'consent_unreadable', value: 'yes please' });
    expect(readConsent('2026-13-45')).toMatchObject({ given: false, why: 'consent_unreadable' });
    expect(readConsent('false')).toEqual({ given: false, why: 'no_consent' });
  });
});

describe('eligible other cards', () => {
  const visa: SavedCard = {
    paymentMethodId: 'pm_v',
    fingerprint: 'fp_v',
    brand: 'visa',
    last4: '4242',
    expMonth: 12,
    expYear: 2030,
  };
  const mc: SavedCard = {
    paymentMethodId: 'pm_m',
    fingerprint: 'fp_m',
    brand: 'mastercard',
    last4: '4444',
    expMonth: 1,
    expYear: 2027,
  };
  const mcAgain: SavedCard = { ...mc, paymentMethodId: 'pm_m2' };
  const expired: SavedCard = { paymentMethodId: 'pm_x', fingerprint: 'fp_x', expMonth: 11, expYear: 2026 };

  it('never the declining card (by id or by fingerprint), never an expired one, each physical card once', () => {
    const none = { paymentMethodIds: [], fingerprints: [] };
    expect(eligibleOtherCards([visa, mc, mcAgain, expired], none, T0).map((c) => c.paymentMethodId)).toEqual(['pm_v', 'pm_m']);
    expect(
      eligibleOtherCards([visa, mc], { paymentMethodIds: ['pm_v'], fingerprints: [] }, T0).map((c) => c.paymentMethodId),
    ).toEqual(['pm_m']);
    // The same card saved a second time (another id, same fingerprint) is the card that declined.
    expect(eligibleOtherCards([mcAgain], { paymentMethodIds: ['pm_m'], fingerprints: ['fp_m'] }, T0)).toEqual([]);
  });

  it('a card is valid through the end of its expiry month', () => {
    expect(isExpired({ paymentMethodId: 'p', expMonth: 12, expYear: 2026 }, T0)).toBe(false);
    expect(isExpired({ paymentMethodId: 'p', expMonth: 12, expYear: 2026 }, Date.UTC(2027, 0, 1))).toBe(true);
    expect(isExpired({ paymentMethodId: 'p', expMonth: 11, expYear: 2026 }, T0)).toBe(true);
    expect(isExpired({ paymentMethodId: 'p' }, T0)).toBe(false);
  });
});

describe('the policy field otherCards', () => {
  it('policies/other-cards.json, the documented example, is valid and switches it on', () => {
    const file = JSON.parse(readFileSync(new URL('../../policies/other-cards.json', import.meta.url), 'utf8')) as unknown;
    const parsed = parsePolicy(file);
    expect(parsed.ok && parsed.policy.otherCards).toEqual({ afterDeclines: 2, maxCards: 1 });
  });

  const base = { version: 1, steps: POLICY_1_0.steps, endAfter: '14d', endAction: 'cancel_subscription' };

  it('is off unless set, and validated like the other fields', () => {
    const off = parsePolicy(base);
    expect(off.ok && off.policy.otherCards).toBeUndefined();
    const on = parsePolicy({ ...base, otherCards: { afterDeclines: 2, maxCards: 2 } });
    expect(on.ok && on.policy.otherCards).toEqual({ afterDeclines: 2, maxCards: 2 });
    expect(parsePolicy({ ...base, otherCards: { afterDeclines: 0 } })).toEqual({
      ok: false,
      errors: ["otherCards.afterDeclines: must be a whole number 1..21 (the renewal's decline is 1)"],
    });
    expect(parsePolicy({ ...base, otherCards: { afterDeclines: 1.5, maxCards: 9 } })).toEqual({
      ok: false,
      errors: [
        "otherCards.afterDeclines: must be a whole number 1..21 (the renewal's decline is 1)",
        'otherCards.maxCards: must be a whole number 1..3',
      ],
    });
    expect(parsePolicy({ ...base, otherCards: { afterDeclines: 1, consent: 'x' } })).toEqual({
      ok: false,
      errors: ['otherCards.consent: unknown key'],
    });
    expect(otherCardsProblems(undefined)).toEqual([]);
    expect(policyProblems({ ...POLICY_1_0, otherCards: { afterDeclines: 2 } })).toEqual([]);
  });
});

const facts = (declineCode: string): CaseFacts => ({
  invoice: { id: 'in_1', status: 'open', customerId: 'cus_1', amountDue: 2900, amountRemaining: 2900, currency: 'usd' },
  customer: { id: 'cus_1', email: 'a@example.com', preferredLocales: [], defaultPaymentMethodId: 'pm_old' },
  lastDecline: {
    code: declineCode === 'expired_card' ? 'expired_card' : 'card_declined',
    declineCode,
    card: { paymentMethodId: 'pm_old', fingerprint: 'fp_old', brand: 'visa', last4: '0341' },
  },
});

const started = (policy: DunningPolicy, declineCode = 'insufficient_funds'): CaseRecord => {
  const r = new CaseRecord('in_1', 'cus_1', T0, policy);
  r.learnFacts(facts(declineCode));
  r.classifyFirst(undefined, T0);
  r.replan(T0);
  return r;
};

describe('the record: when the case looks at other cards, and what their answers do', () => {
  const on = (afterDeclines: number): DunningPolicy => ({ ...POLICY_1_0, otherCards: { afterDeclines } });
  const second: SavedCard = { paymentMethodId: 'pm_new', fingerprint: 'fp_new', brand: 'mastercard', last4: '4444' };

  it('never without the policy field', () => {
    expect(started(POLICY_1_0).otherCardDue()).toBe(false);
    expect(started(POLICY_1_0, 'expired_card').otherCardDue()).toBe(false);
  });

  it('after the configured number of declines of the default card (the renewal is the first), once', () => {
    expect(started(on(1)).otherCardDue()).toBe(true);
    const r = started(on(2));
    expect(r.otherCardDue()).toBe(false);
    r.applyChargeResult(
      'schedule',
      { outcome: 'declined', decline: facts('insufficient_funds').lastDecline! },
      T0 + 1000,
      undefined,
    );
    expect(r.otherCardDue()).toBe(true);
    r.otherCardsLooked(T0 + 2000, 'no_consent');
    expect(r.otherCardDue()).toBe(false);
    expect(r.status(T0 + 3000).otherCards).toEqual({ at: new Date(T0 + 2000).toISOString(), outcome: 'no_consent', tried: 0 });
  });

  it('at once after a decline that forbids charging the default card again', () => {
    expect(started(on(5), 'expired_card').otherCardDue()).toBe(true);
  });

  it('excludes the declining card by id and fingerprint', () => {
    expect(started(on(1)).otherCardExclusions()).toEqual({
      paymentMethodIds: ['pm_old'],
      fingerprints: ['fp_old'],
    });
  });

  it("offers the customer's default card when the subscription's own card is the one that declined", () => {
    const r = new CaseRecord('in_1', 'cus_1', T0, on(1));
    const f = facts('insufficient_funds');
    r.learnFacts({
      ...f,
      customer: { ...f.customer, defaultPaymentMethodId: 'pm_customer_default' },
      lastDecline: { ...f.lastDecline!, card: { paymentMethodId: 'pm_sub', fingerprint: 'fp_sub' } },
      effectivePaymentMethodId: 'pm_sub',
    });
    r.classifyFirst(undefined, T0);
    r.replan(T0);
    expect(r.otherCardExclusions()).toEqual({ paymentMethodIds: ['pm_sub'], fingerprints: ['fp_sub'] });
  });

  it("another card's decline is recorded with the card, and leaves the case's decline and plan alone", () => {
    const r = started(on(1));
    const before = { category: r.classification.category, next: r.nextStep() };
    const verdict = r.applyOtherCardResult(
      second,
      { outcome: 'declined', decline: { code: 'card_declined', declineCode: 'lost_card' } },
      T0 + 1000,
    );
    expect(verdict).toEqual({ settled: false });
    expect(r.attempts.at(-1)).toEqual({
      at: new Date(T0 + 1000).toISOString(),
      trigger: 'other_card',
      outcome: 'declined',
      declineCode: 'lost_card',
      card: { brand: 'mastercard', last4: '4444' },
    });
    expect({ category: r.classification.category, next: r.nextStep() }).toEqual(before);
    expect(r.otherCardExclusions().fingerprints).toContain('fp_new');
  });

  it('a paid other card settles the case, and its receipt names that card', () => {
    const r = started(on(1));
    expect(r.applyOtherCardResult(second, { outcome: 'succeeded' }, T0 + 1000)).toEqual({ settled: true });
    expect(r.recoveredByOtherCard()).toBe(true);
    const email = r.emailInput('payment_recovered', 'k', T0 + 2000)!;
    expect(email).toMatchObject({ cardBrand: 'mastercard', cardLast4: '4444', chargedOtherCard: true });
    expect(recoveryStep('other_card', r.attempts, r.emails)).toEqual({ how: 'other_card', step: 'other_card_1' });
  });

  it("a card refused by its ledger (an issuer's never-retry) is skipped, the case's decline unchanged", () => {
    const r = started(on(1));
    r.applyOtherCardResult(second, { outcome: 'card_blocked', reason: 'do_not_try_again', card: second }, T0 + 1000);
    expect(r.attempts.at(-1)).toMatchObject({ trigger: 'other_card', outcome: 'skipped_never_retry' });
    expect(r.classification.category).toBe('insufficient_funds');
  });
});
