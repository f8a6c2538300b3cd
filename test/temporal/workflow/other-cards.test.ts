/**
 * Another saved card (issue #23, part 4), with time skipped, the real activities and the Stripe
 * sandbox: after the default card's declines, a policy with `otherCards` charges another of the
 * customer's saved cards, only with the customer's consent (`dunning_other_cards_consent`), under
 * that card's own ledger, never a card an issuer blocked, never the declining card again (same
 * fingerprint), never an expired one; the receipt names the card that paid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockCardVia } from '../../../activities/cardBudget';
import { cardBudgetWorkflowId, ledgerQuery } from '../../../domain/cardBudgetMessages';
import { cancelDunningSignal } from '../../../domain/messages';
import { OTHER_CARDS_CONSENT_KEY } from '../../../domain/otherCards';
import { POLICY_1_0, type DunningPolicy } from '../../../domain/policy';
import { DAY, HOUR, startHarness, until, type Case, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const withOtherCards = (afterDeclines: number): DunningPolicy => ({ ...POLICY_1_0, otherCards: { afterDeclines } });

/** The case's first email is out: its start time. */
const started = async (c: Case): Promise<number> =>
  Date.parse(
    (
      await until(async () => {
        const s = await c.status();
        return s.emails.length >= 1 ? s : undefined;
      }, 'the first email')
    ).startedAt,
  );

const consent = (c: Case, value = '2026-11-30') =>
  h.stripe.customers.update(c.scenario.customerId, { metadata: { [OTHER_CARDS_CONSENT_KEY]: value } });

/** A second saved card, not the default (each customer's cards have fingerprints of their own: `ownCards`). */
const secondCard = async (c: Case, testCard = 'pm_card_mastercard', opts: { expired?: boolean } = {}) => {
  const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, testCard, {
    makeDefault: false,
    ...opts,
  });
  const pm = await h.stripe.paymentMethods.retrieve(paymentMethodId);
  return { paymentMethodId, fingerprint: pm.card!.fingerprint! };
};

const cancel = async (c: Case) => {
  await c.handle.signal(cancelDunningSignal, { reason: 'test_done', by: 'test' });
  await c.result();
};

describe('another saved card', () => {
  it("the default card declines twice, the customer's other card pays, and the receipt names it", async () => {
    // The 10th, noon UTC: the first retry (insufficient funds) waits for payday, the 15th.
    await h.advanceToDayOfMonth(10, 12);
    const policy = withOtherCards(2);
    const c = await h.startCase({ policy, ownCards: true, record: 'other-card-recovered' });
    const t0 = await started(c);
    await consent(c);
    const second = await secondCard(c);

    // Only the renewal's decline so far: not yet.
    await h.advanceTo(t0 + 2 * DAY);
    expect((await c.status()).otherCards).toBeUndefined();
    expect(await c.charges()).toEqual([]);

    // The first scheduled retry declines on the default card; the other card is charged at once.
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'other_card' });
    const end = await c.status();
    expect(end.attempts.map((a) => [a.trigger, a.outcome, a.card])).toEqual([
      ['schedule', 'declined', undefined],
      ['other_card', 'succeeded', { brand: 'mastercard', last4: '4444' }],
    ]);
    expect(end.otherCards).toMatchObject({ outcome: 'charged', tried: 1 });
    expect(Date.parse(end.attempts[1]!.at) - Date.parse(end.attempts[0]!.at)).toBeLessThan(60_000);
    const charges = await c.charges();
    expect(charges.map((x) => [x.paymentMethodId, x.outcome])).toEqual([
      [c.scenario.paymentMethodId, 'failed'],
      [second.paymentMethodId, 'succeeded'],
    ]);
    expect(charges[1]!.idempotencyKey).toBe(`${c.workflowId}/other-card:${second.fingerprint}`);

    // The other card went through its own ledger (keyed by its fingerprint), not the default card's.
    const ledger = await h.env.client.workflow
      .getHandle(cardBudgetWorkflowId(h.taskQueue, second.fingerprint))
      .query(ledgerQuery);
    expect(ledger.entries.map((e) => e.key)).toEqual([`${c.workflowId}/other-card:${second.fingerprint}`]);

    // The receipt says which card was charged, and why.
    expect(c.sentTemplates()).toEqual(['payment_failed_insufficient_funds', 'reminder', 'payment_recovered']);
    const receipt = c.sent().at(-1)!;
    expect(receipt.text).toContain('Payment method: Mastercard •••• 4444');
    expect(receipt.text).toContain('we charged your Mastercard ending in 4444, another card saved on your account');
    // Stripe's defaults are left as they were: the customer chose their usual card.
    const customer = await h.stripe.customers.retrieve(c.scenario.customerId);
    expect(!customer.deleted && customer.invoice_settings.default_payment_method).toBe(c.scenario.paymentMethodId);
  });

  it('without consent, the other card is never charged', async () => {
    const c = await h.startCase({ policy: withOtherCards(1), ownCards: true });
    await started(c);
    await secondCard(c);
    const looked = await until(async () => (await c.status()).otherCards, 'the case to look');
    expect(looked).toMatchObject({ outcome: 'no_consent', tried: 0 });
    await h.advanceBy(4 * DAY);
    expect((await c.charges()).map((x) => x.paymentMethodId)).toEqual([c.scenario.paymentMethodId]);
    expect((await c.status()).attempts.some((a) => a.trigger === 'other_card')).toBe(false);
    await cancel(c);
  });

  it('an unreadable consent value is no consent, and the case says so', async () => {
    const c = await h.startCase({ policy: withOtherCards(1), ownCards: true });
    await consent(c, 'maybe');
    await started(c);
    await secondCard(c);
    expect(await until(async () => (await c.status()).otherCards, 'the case to look')).toMatchObject({
      outcome: 'consent_unreadable',
    });
    expect(await c.charges()).toEqual([]);
    await cancel(c);
  });

  it('with the policy off, consent and a second card change nothing', async () => {
    // A temporary decline: its retries keep their days (3, 5, 8), no payday moves them.
    const c = await h.startCase({ ownCards: true, decline: 'pm_card_chargeDeclinedProcessingError' });
    const t0 = await started(c);
    await consent(c);
    await secondCard(c);
    await h.advanceTo(t0 + 9 * DAY);
    const s = await c.status();
    expect(s.otherCards).toBeUndefined();
    expect(s.attempts.length).toBeGreaterThanOrEqual(2);
    expect(s.attempts.every((a) => a.trigger === 'schedule')).toBe(true);
    expect(new Set((await c.charges()).map((x) => x.paymentMethodId))).toEqual(new Set([c.scenario.paymentMethodId]));
    await cancel(c);
  });

  it('a second card an issuer said never to retry is refused by its ledger, not charged', async () => {
    const c = await h.startCase({ policy: withOtherCards(1), ownCards: true });
    await consent(c);
    const second = await secondCard(c);
    // Another case heard "do not try again" for this card: its ledger is blocked.
    await blockCardVia(h.env.client, h.taskQueue)({ fingerprint: second.fingerprint }, 'do_not_try_again');
    await started(c);
    const s = await until(async () => {
      const st = await c.status();
      return st.attempts.some((a) => a.trigger === 'other_card') ? st : undefined;
    }, 'the other card to be refused');
    expect(s.attempts.filter((a) => a.trigger === 'other_card').map((a) => a.outcome)).toEqual(['skipped_never_retry']);
    expect(s.declineCategory).toBe('insufficient_funds');
    expect(await c.charges()).toEqual([]);
    await cancel(c);
  });

  it('a second card that declines hard is tried once, then never again; the case goes on', async () => {
    const c = await h.startCase({ policy: withOtherCards(1), ownCards: true, record: 'other-card-declined-hard' });
    await consent(c);
    const second = await secondCard(c, 'pm_card_chargeDeclinedLostCard');
    const t0 = await started(c);
    await h.advanceTo(t0 + 13 * DAY);
    const s = await c.status();
    expect(s.attempts.filter((a) => a.trigger === 'other_card').map((a) => [a.outcome, a.declineCode])).toEqual([
      ['declined', 'lost_card'],
    ]);
    // The case's own decline and schedule are the default card's: its retries went on.
    expect(s.declineCategory).toBe('insufficient_funds');
    expect(s.attempts.filter((a) => a.trigger === 'schedule').length).toBeGreaterThanOrEqual(3);
    const onSecond = (await c.charges()).filter((x) => x.paymentMethodId === second.paymentMethodId);
    expect(onSecond).toHaveLength(1);
    // Its ledger is blocked now: no case charges it again.
    const ledger = await h.env.client.workflow
      .getHandle(cardBudgetWorkflowId(h.taskQueue, second.fingerprint))
      .query(ledgerQuery);
    expect(ledger.blocked?.reason).toBeTruthy();
    await cancel(c);
  });

  it('the same physical card saved twice, or an expired card, is not "another card"', async () => {
    const c = await h.startCase({ policy: withOtherCards(1), ownCards: true });
    await consent(c);
    // The declining card again under a new id (the same number: the same fingerprint), and an expired card.
    const again = await secondCard(c, 'pm_card_chargeDeclinedInsufficientFunds');
    const declining = await h.stripe.paymentMethods.retrieve(c.scenario.paymentMethodId);
    expect(again.fingerprint).toBe(declining.card!.fingerprint);
    await secondCard(c, 'pm_card_visa', { expired: true });
    await started(c);
    expect(await until(async () => (await c.status()).otherCards, 'the case to look')).toMatchObject({
      outcome: 'none_eligible',
      tried: 0,
    });
    await h.advanceBy(HOUR);
    expect(await c.charges()).toEqual([]);
    await cancel(c);
  });
});
