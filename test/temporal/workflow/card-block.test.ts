/**
 * "Never retry" binds the card, not the invoice: when an issuer answers do-not-try-again for a
 * card in one case, every other case charging the same physical card (same fingerprint) stops
 * too. Visa fines any reattempt after a "never approve" answer, whichever invoice it is for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelDunningSignal } from '../../../domain/messages';
import { DAY, HOUR, startHarness, until, type Case, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const started = async (c: Case) =>
  Date.parse(
    (
      await until(async () => {
        const s = await c.status();
        return s.emails.length >= 1 ? s : undefined;
      }, 'the first email')
    ).startedAt,
  );

describe('a blocked card', () => {
  it('a do-not-try-again answer in one case stops the retries of another case on the same card', async () => {
    // Two invoices of one customer's card (the same test card: the same fingerprint), a day apart.
    const a = await h.startCase({ decline: 'pm_card_chargeDeclinedProcessingError' });
    const startA = await started(a);
    await h.advanceBy(DAY);
    const b = await h.startCase({ decline: 'pm_card_chargeDeclinedProcessingError', record: 'card-blocked-by-other-case' });
    const startB = await started(b);
    const fingerprintOf = async (pm: string) => (await h.stripe.paymentMethods.retrieve(pm)).card?.fingerprint;
    expect(await fingerprintOf(a.scenario.paymentMethodId)).toBe(await fingerprintOf(b.scenario.paymentMethodId));

    // The issuer now says never to try this card again.
    h.sandbox.setPaymentMethodBehaviour(a.scenario.paymentMethodId, {
      outcome: 'decline',
      declineCode: 'do_not_honor',
      adviceCode: 'do_not_try_again',
    });
    await h.advanceTo(startA + 3 * DAY + 12 * HOUR);
    const sa = await a.status();
    expect(sa.attempts.map((x) => [x.outcome, x.declineCode])).toEqual([['declined', 'do_not_honor']]);
    expect(sa.declineCategory).toBe('never_retry');

    // Case B's day-3 retry would charge the same card: the ledger refuses it, and B stops retrying.
    await h.advanceTo(startB + 3 * DAY + 12 * HOUR);
    const sb = await b.status();
    expect(sb.attempts.map((x) => x.outcome)).toEqual(['skipped_never_retry']);
    expect(sb.declineCategory).toBe('never_retry');
    expect(sb.nextAction?.kind).not.toBe('retry');
    expect(await b.charges()).toEqual([]);
    expect((await a.charges()).map((x) => x.outcome)).toEqual(['failed']);

    // Nothing charges the card for the rest of either case.
    await h.advanceTo(startA + 13 * DAY);
    expect((await b.status()).attempts.map((x) => x.outcome)).toEqual(['skipped_never_retry']);
    expect(await b.charges()).toEqual([]);
    expect((await a.charges()).map((x) => x.outcome)).toEqual(['failed']);
    for (const c of [a, b]) await c.handle.signal(cancelDunningSignal, { reason: 'test_over', by: 'test' });
    for (const c of [a, b]) expect((await c.result()).state).toBe('cancelled');
  });
});
