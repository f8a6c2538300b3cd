import { describe, expect, it } from 'vitest';
import {
  cardChange,
  cardExpiresAt,
  cardExpiryReminderWorkflowId,
  dueReminders,
  expiryReminderDue,
  type SubscriptionCardFacts,
} from '../../domain/cardExpiry';
import { DEFAULT_POLICY } from '../../domain/policy';
import { parsePolicy } from '../../src/policyFile';

const D = 86_400_000;
const now = Date.UTC(2026, 11, 8, 2, 0); // 8 Dec 2026
const policy = { daysBefore: 30 };
const sub = (over: Partial<SubscriptionCardFacts> = {}): SubscriptionCardFacts => ({
  subscriptionId: 'sub_1',
  customerId: 'cus_1',
  status: 'active',
  renewsAt: Date.UTC(2027, 0, 5), // 5 Jan 2027
  endsBeforeRenewal: false,
  collectionPaused: false,
  card: { paymentMethodId: 'pm_1', expMonth: 12, expYear: 2026, brand: 'visa', last4: '4242' },
  ...over,
});

describe('which cards are due a reminder', () => {
  it('a card is valid through the end of its expiry month (UTC)', () => {
    expect(cardExpiresAt(12, 2026)).toBe(Date.UTC(2027, 0, 1));
    expect(cardExpiresAt(2, 2027)).toBe(Date.UTC(2027, 2, 1));
  });

  it('reminds of a card expiring this month when the renewal comes after it', () => {
    expect(expiryReminderDue(sub(), policy, now)).toEqual({
      due: true,
      expiresAt: Date.UTC(2027, 0, 1),
      renewsAt: Date.UTC(2027, 0, 5),
    });
  });

  it('a renewal on the card’s last valid day is charged on a valid card: no reminder', () => {
    expect(expiryReminderDue(sub({ renewsAt: Date.UTC(2026, 11, 31, 23) }), policy, now)).toEqual({
      due: false,
      why: 'renews_before_expiry',
    });
    // The first instant of the next month is already too late.
    expect(expiryReminderDue(sub({ renewsAt: Date.UTC(2027, 0, 1) }), policy, now).due).toBe(true);
  });

  it('waits until the expiry is within daysBefore days', () => {
    const later = sub({ card: { paymentMethodId: 'pm_1', expMonth: 2, expYear: 2027 }, renewsAt: Date.UTC(2027, 11, 1) });
    expect(expiryReminderDue(later, policy, now)).toEqual({ due: false, why: 'not_yet' });
    expect(expiryReminderDue(later, policy, cardExpiresAt(2, 2027) - 30 * D).due).toBe(true);
    expect(expiryReminderDue(later, { daysBefore: 60 }, Date.UTC(2027, 0, 1)).due).toBe(true);
  });

  it('leaves out an expired card, a subscription that does not renew, and one without a card', () => {
    expect(expiryReminderDue(sub({ card: { paymentMethodId: 'pm_1', expMonth: 11, expYear: 2026 } }), policy, now)).toMatchObject(
      {
        why: 'already_expired',
      },
    );
    for (const over of [
      { status: 'past_due' },
      { status: 'canceled' },
      { endsBeforeRenewal: true },
      { collectionPaused: true },
      { renewsAt: undefined },
    ]) {
      expect(expiryReminderDue(sub(over), policy, now), JSON.stringify(over)).toEqual({ due: false, why: 'not_renewing' });
    }
    expect(expiryReminderDue(sub({ status: 'trialing' }), policy, now).due).toBe(true);
    expect(expiryReminderDue(sub({ card: undefined }), policy, now)).toEqual({ due: false, why: 'no_card' });
  });

  it('one reminder per card and expiry, about the renewal that comes first', () => {
    const due = dueReminders(
      [
        sub({ subscriptionId: 'sub_a', renewsAt: Date.UTC(2027, 0, 20) }),
        sub({ subscriptionId: 'sub_b', renewsAt: Date.UTC(2027, 0, 3) }),
        sub({ subscriptionId: 'sub_c', card: { paymentMethodId: 'pm_2', expMonth: 12, expYear: 2026 } }),
        sub({ subscriptionId: 'sub_d', card: { paymentMethodId: 'pm_3', expMonth: 12, expYear: 2030 } }),
      ],
      policy,
      now,
    );
    expect(due.map((d) => [d.subscriptionId, d.card.paymentMethodId, d.recheckEvery])).toEqual([
      ['sub_b', 'pm_1', '1d'],
      ['sub_c', 'pm_2', '1d'],
    ]);
  });

  it('names the workflow for the card and its expiry: a refreshed card is another reminder', () => {
    expect(cardExpiryReminderWorkflowId({ paymentMethodId: 'pm_1', expMonth: 3, expYear: 2027 })).toBe(
      'card-expiry:pm_1:2027-03',
    );
    expect(cardExpiryReminderWorkflowId({ paymentMethodId: 'pm_1', expMonth: 3, expYear: 2030 })).not.toBe(
      cardExpiryReminderWorkflowId({ paymentMethodId: 'pm_1', expMonth: 3, expYear: 2027 }),
    );
  });
});

describe('what became of a reminded card', () => {
  const card = { paymentMethodId: 'pm_1', expMonth: 12, expYear: 2026 };
  it('tells the account updater’s refresh from a replaced card', () => {
    expect(cardChange(card, { paymentMethodId: 'pm_1', expMonth: 12, expYear: 2026, renews: true })).toBe('unchanged');
    expect(cardChange(card, { paymentMethodId: 'pm_1', expMonth: 12, expYear: 2029, renews: true })).toBe('refreshed');
    expect(cardChange(card, { paymentMethodId: 'pm_9', expMonth: 1, expYear: 2030, renews: true })).toBe('replaced');
    expect(cardChange(card, { renews: true })).toBe('replaced');
    expect(cardChange(card, { paymentMethodId: 'pm_1', expMonth: 12, expYear: 2026, renews: false })).toBe('not_renewing');
  });
});

describe('expiryReminders in a policy', () => {
  const base = { ...DEFAULT_POLICY };
  it('is off by default', () => {
    expect(DEFAULT_POLICY.expiryReminders).toBeUndefined();
  });
  it('is read from a policy file', () => {
    const r = parsePolicy({ ...base, expiryReminders: { daysBefore: 21, recheckEvery: '12h' } });
    expect(r.ok && r.policy.expiryReminders).toEqual({ daysBefore: 21, recheckEvery: '12h' });
  });
  it('refuses what makes no sense, naming the field', () => {
    const errors = (x: unknown) => {
      const r = parsePolicy({ ...base, expiryReminders: x });
      return r.ok ? [] : r.errors;
    };
    expect(errors({ daysBefore: 0 })).toEqual(['expiryReminders.daysBefore: must be a whole number of days, 1..60']);
    expect(errors({ daysBefore: 2.5 })).toEqual(['expiryReminders.daysBefore: must be a whole number of days, 1..60']);
    expect(errors({ daysBefore: 10, recheckEvery: 'daily' })[0]).toMatch(
      /^expiryReminders\.recheckEvery: 'daily' is not a duration/,
    );
    expect(errors({ daysBefore: 10, every: '1d' })).toEqual(['expiryReminders.every: unknown key']);
  });
});
