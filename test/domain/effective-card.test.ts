import { describe, expect, it } from 'vitest';
import {
  cardForUpdate,
  effectiveCard,
  isOwnSubscriptionCardUpdate,
  needsCustomerDefaults,
  subscriptionCardKey,
  subscriptionCardToReplace,
  type InvoiceCardDefaults,
} from '../../domain/effectiveCard';

const all: InvoiceCardDefaults = {
  invoice: { defaultPaymentMethod: 'pm_inv', defaultSource: 'card_inv' },
  subscription: { defaultPaymentMethod: 'pm_sub', defaultSource: 'card_sub' },
  customer: { defaultPaymentMethod: 'pm_cus', defaultSource: 'card_cus' },
};

describe("effectiveCard: Stripe's order", () => {
  it.each([
    ['invoice payment method', all, { id: 'pm_inv', from: 'invoice' }],
    ['invoice source', { ...all, invoice: { defaultSource: 'card_inv' } }, { id: 'card_inv', from: 'invoice' }],
    ['subscription payment method', { ...all, invoice: {} }, { id: 'pm_sub', from: 'subscription' }],
    [
      'subscription source',
      { ...all, invoice: {}, subscription: { defaultSource: 'card_sub' } },
      { id: 'card_sub', from: 'subscription' },
    ],
    ["customer's invoice default", { ...all, invoice: {}, subscription: {} }, { id: 'pm_cus', from: 'customer' }],
    ["customer's default source", { invoice: {}, customer: { defaultSource: 'card_cus' } }, { id: 'card_cus', from: 'customer' }],
    ['nothing', { invoice: {}, subscription: {}, customer: {} }, undefined],
  ] as const)('%s', (_what, d, expected) => {
    expect(effectiveCard(d)).toEqual(expected);
  });

  it('a subscription with its own card outranks the customer default (the failed card stays the one Stripe charges)', () => {
    expect(
      effectiveCard({
        invoice: {},
        subscription: { defaultPaymentMethod: 'pm_failed' },
        customer: { defaultPaymentMethod: 'pm_old' },
      }),
    ).toEqual({ id: 'pm_failed', from: 'subscription' });
  });

  it('the customer is read only when neither invoice nor subscription has a default', () => {
    expect(needsCustomerDefaults({ invoice: {}, subscription: {} })).toBe(true);
    expect(needsCustomerDefaults({ invoice: {} })).toBe(true);
    expect(needsCustomerDefaults({ invoice: {}, subscription: { defaultSource: 'src_1' } })).toBe(false);
    expect(needsCustomerDefaults({ invoice: { defaultPaymentMethod: 'pm_1' } })).toBe(false);
  });
});

describe('cardForUpdate', () => {
  it('a named card is charged', () => {
    expect(cardForUpdate('pm_named', all)).toBe('pm_named');
  });
  it("no card named: the customer's new default, not the subscription's own card", () => {
    const d = { invoice: {}, subscription: { defaultPaymentMethod: 'pm_failed' }, customer: { defaultPaymentMethod: 'pm_new' } };
    expect(cardForUpdate(undefined, d)).toBe('pm_new');
    expect(cardForUpdate(undefined, { ...d, customer: { defaultSource: 'card_new' } })).toBe('card_new');
  });
  it('no card named and no customer default: the card Stripe charges', () => {
    expect(cardForUpdate(undefined, { invoice: {}, subscription: { defaultPaymentMethod: 'pm_sub' }, customer: {} })).toBe(
      'pm_sub',
    );
    expect(cardForUpdate(undefined, { invoice: {} })).toBeUndefined();
  });
});

describe('subscriptionCardToReplace', () => {
  it("replaces a subscription's own card by another", () => {
    expect(subscriptionCardToReplace('pm_new', { invoice: {}, subscription: { defaultPaymentMethod: 'pm_old' } })).toBe(true);
    expect(subscriptionCardToReplace('pm_new', { invoice: {}, subscription: { defaultSource: 'card_old' } })).toBe(true);
  });
  it('leaves the same card, and a subscription that follows the customer default', () => {
    expect(subscriptionCardToReplace('pm_new', { invoice: {}, subscription: { defaultPaymentMethod: 'pm_new' } })).toBe(false);
    expect(subscriptionCardToReplace('pm_new', { invoice: {}, subscription: {} })).toBe(false);
    expect(subscriptionCardToReplace('pm_new', { invoice: {} })).toBe(false);
  });
});

it("the subscription update's idempotency key is told apart from others", () => {
  expect(isOwnSubscriptionCardUpdate(subscriptionCardKey('dunning-in_1/retry:card_update_1'))).toBe(true);
  expect(isOwnSubscriptionCardUpdate('dunning-in_1/retry:card_update_1')).toBe(false);
  expect(isOwnSubscriptionCardUpdate(null)).toBe(false);
  expect(isOwnSubscriptionCardUpdate(undefined)).toBe(false);
});
