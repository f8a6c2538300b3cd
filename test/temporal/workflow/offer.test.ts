/**
 * The last-chance offer (issue #23, part 5) on a real (time-skipping) Temporal server, the real
 * activities, the Stripe sandbox and the outbox: the offer's email with its signed page, the
 * customer's acceptance (Update `offerAccepted`) applied at Stripe, the case ending
 * `saved_by_offer`; an offer not taken (the case ends as before); the link after the end; a coupon
 * Stripe does not know (recorded, the case goes on).
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_1_0, type DunningPolicy } from '../../../domain/policy';
import type { Offer } from '../../../domain/offers';
import { DunningClient } from '../../../src/dunningClient';
import { mapStripeEvent } from '../../../src/http/stripeEvents';
import { parsePolicy } from '../../../src/policyFile';
import { DAY, HOUR, startHarness, until, type Case, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** The default policy with the offer on day 10, before the final notice of day 12. */
function offering(offer: Offer): DunningPolicy {
  const parsed = parsePolicy({ ...POLICY_1_0, steps: [...POLICY_1_0.steps, { at: '10d', action: 'offer', offer }] });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}

const typesOf = (c: Case) =>
  h
    .appEvents()
    .filter((e) => e.data.invoiceId === c.scenario.invoiceId)
    .map((e) => e.type);

/** Starts a case of `policy` and skips to just after its day-10 offer email. */
async function offered(policy: DunningPolicy, record?: string): Promise<{ c: Case; cases: DunningClient; start: number }> {
  const c = await h.startCase({ decline: 'pm_card_chargeDeclinedInsufficientFunds', policy, ...(record ? { record } : {}) });
  const first = await until(async () => ((await c.status()).emails.length ? c.status() : undefined), 'the first email');
  const start = Date.parse(first.startedAt);
  await h.advanceTo(start + 10 * DAY + HOUR);
  await until(async () => (c.sentTemplates().includes('last_chance_offer') ? true : undefined), 'the offer email');
  return { c, cases: new DunningClient(h.env.client, h.taskQueue, policy), start };
}

describe('the last-chance offer', () => {
  it('accepted: the pause is applied at Stripe, the invoice written off, the case ends saved_by_offer', async () => {
    const policy = offering({ kind: 'pause', for: '30d' });
    const { c, cases } = await offered(policy, 'offer-accepted-pause');

    const mail = c.sent().find((m) => m.tags.some((t) => t.value === 'last_chance_offer'))!;
    expect(mail.text).toMatch(/a 30-day pause of your payments/);
    expect(mail.text).toMatch(/\/billing\/offer\/[\w-]+\.[\w-]+/);
    const before = await c.status();
    expect(before.state).toBe('active');
    expect(before.offer).toMatchObject({ offer: { kind: 'pause', for: '30d' }, offeredAt: expect.any(String) });
    expect(before.offer!.appliedAt).toBeUndefined();

    const answer = await cases.acceptOffer(c.scenario.invoiceId, 'offer-request-1');
    expect(answer).toMatchObject({
      kind: 'outcome',
      outcome: { outcome: 'applied', offer: { kind: 'pause' }, resumesAt: expect.any(String) },
    });
    expect(await c.result()).toEqual({ state: 'saved_by_offer', outcome: 'offer_pause' });

    const sub = await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId);
    expect(sub.pause_collection).toMatchObject({ behavior: 'void' });
    const resumesAt = answer.kind === 'outcome' && answer.outcome.outcome === 'applied' ? answer.outcome.resumesAt! : '';
    expect(sub.pause_collection!.resumes_at).toBe(Math.floor(Date.parse(resumesAt) / 1000));
    expect((await h.stripe.invoices.retrieve(c.scenario.invoiceId)).status).toBe('uncollectible');
    const after = await c.status();
    expect(after).toMatchObject({
      state: 'saved_by_offer',
      outcome: 'offer_pause',
      offer: { appliedAt: expect.any(String), resumesAt },
    });
    await until(async () => (typesOf(c).includes('dunning.saved_by_offer') ? true : undefined), 'dunning.saved_by_offer');
    expect(
      h.appEvents().find((e) => e.type === 'dunning.saved_by_offer' && e.data.invoiceId === c.scenario.invoiceId)!.data,
    ).toMatchObject({
      offer: 'pause',
      failedInvoice: 'mark_uncollectible',
      resumesAt,
    });
    expect(typesOf(c)).not.toContain('access.restricted');

    // Stripe's echo of the case's own pause: the webhook's mapping leaves it alone (not collection_paused).
    const echo = h.sandbox
      .events()
      .filter((e) => e.event.type === 'customer.subscription.updated' && (e.event.data.object as { id: string }).id === sub.id)
      .at(-1)!;
    expect(mapStripeEvent(echo.event as unknown as Stripe.Event)).toMatchObject({ kind: 'ignore' });

    // The same POST again (the same nonce, the Update's id): Temporal answers with the first
    // request's outcome, and nothing is applied twice.
    const events = h.sandbox.events().length;
    expect(await cases.acceptOffer(c.scenario.invoiceId, 'offer-request-1')).toEqual(answer);
    // A new request (a new page view) after the end: the case is over, the page says how.
    expect(await cases.acceptOffer(c.scenario.invoiceId, 'offer-request-2')).toMatchObject({
      kind: 'ended',
      status: { state: 'saved_by_offer' },
    });
    expect(h.sandbox.events().length).toBe(events);
  });

  it('not taken: the case ends as before (the end action), and the link afterwards finds it over', async () => {
    const policy = offering({ kind: 'coupon', coupon: 'NEVERUSED', percentOff: 20 });
    const { c, cases } = await offered(policy, 'offer-not-taken');
    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
    expect(c.sentTemplates()).toEqual(expect.arrayContaining(['last_chance_offer', 'final_notice', 'subscription_ended']));
    expect(await cases.acceptOffer(c.scenario.invoiceId, 'late-request')).toMatchObject({
      kind: 'ended',
      status: { state: 'exhausted' },
    });
    const sub = await h.stripe.subscriptions.retrieve(c.scenario.subscriptionId);
    expect(sub.discounts).toEqual([]);
  });

  it('before the offer: refused at once (not_offered); a coupon Stripe does not know: recorded, the case goes on', async () => {
    const policy = offering({ kind: 'coupon', coupon: 'GHOST' });
    const c0 = await h.startCase({ decline: 'pm_card_chargeDeclinedInsufficientFunds', policy });
    await until(async () => ((await c0.status()).emails.length ? true : undefined), 'the first email');
    const early = new DunningClient(h.env.client, h.taskQueue, policy);
    expect(await early.acceptOffer(c0.scenario.invoiceId, 'too-early')).toEqual({
      kind: 'refused',
      refusal: { allowed: false, reason: 'not_offered' },
    });

    const { c, cases, start } = await offered(policy);
    const answer = await cases.acceptOffer(c.scenario.invoiceId, 'ghost-1');
    expect(answer).toMatchObject({ kind: 'outcome', outcome: { outcome: 'failed', error: expect.stringContaining('GHOST') } });
    const status = await c.status();
    expect(status.state).toBe('active');
    expect(status.offer!.error).toMatch(/GHOST/);
    expect((await h.stripe.invoices.retrieve(c.scenario.invoiceId)).status).toBe('open');
    expect(await cases.acceptOffer(c.scenario.invoiceId, 'ghost-2')).toEqual({
      kind: 'refused',
      refusal: { allowed: false, reason: 'failed' },
    });
    await h.advanceTo(start + 15 * DAY);
    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
  });
});
