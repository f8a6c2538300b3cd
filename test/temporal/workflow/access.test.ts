/**
 * Grace period and access: the SaaS app hears, through signed outgoing events, when to warn, when
 * to restrict and when to restore service. The customer keeps service until the policy says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentMethodUpdatedSignal } from '../../../domain/messages';
import { POLICY_1_0 } from '../../../domain/policy';
import { parsePolicy } from '../../../src/policyFile';
import { DAY, HOUR, iso, startHarness, until, type Case, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const eventsOf = (c: Case) => h.appEvents().filter((e) => e.data.invoiceId === c.scenario.invoiceId);
const typesOf = (c: Case) => eventsOf(c).map((e) => e.type);

describe('grace period and access events', () => {
  it('default policy: started, warned with the final notice, restricted and exhausted at the end', async () => {
    const c = await h.startCase({ decline: 'pm_card_chargeDeclinedExpiredCard' });
    const first = await until(async () => ((await c.status()).emails.length ? c.status() : undefined), 'the first email');
    const start = Date.parse(first.startedAt);
    await until(async () => (typesOf(c).includes('dunning.started') ? true : undefined), 'dunning.started');
    expect(eventsOf(c)[0]!.data).toMatchObject({
      customerId: c.scenario.customerId,
      subscriptionId: c.scenario.subscriptionId,
      amountDue: 2900,
      currency: 'usd',
      declineCategory: 'payment_method',
    });

    // Day 11: service continues, nothing said to the app yet but the start.
    await h.advanceTo(start + 11 * DAY);
    expect(typesOf(c)).toEqual(['dunning.started']);

    // Day 12, the final notice: the app is warned of the restriction to come, and when.
    await h.advanceTo(start + 12 * DAY + HOUR);
    await until(async () => (typesOf(c).includes('access.warning') ? true : undefined), 'access.warning');
    expect(eventsOf(c).find((e) => e.type === 'access.warning')!.data.restrictsAt).toBe(iso(start + 14 * DAY));
    expect((await c.status()).state).toBe('active');

    expect(await c.result()).toEqual({ state: 'exhausted', outcome: 'cancel_subscription' });
    await until(async () => (typesOf(c).includes('dunning.exhausted') ? true : undefined), 'dunning.exhausted');
    // Events emitted at the same moment are delivered concurrently: order within the end is free.
    expect(typesOf(c).slice(0, 2)).toEqual(['dunning.started', 'access.warning']);
    expect(typesOf(c).slice(2).sort()).toEqual(['access.restricted', 'dunning.exhausted']);
  });

  it('a grace shorter than the case: restricted on day 10, restored when a new card pays on day 11', async () => {
    const parsed = parsePolicy({ ...POLICY_1_0, grace: '10d' });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const c = await h.startCase({
      record: 'access-restricted-then-restored',
      decline: 'pm_card_chargeDeclinedExpiredCard',
      policy: parsed.policy,
    });
    const first = await until(async () => ((await c.status()).emails.length ? c.status() : undefined), 'the first email');
    const start = Date.parse(first.startedAt);

    await h.advanceTo(start + 10 * DAY + HOUR);
    await until(async () => (typesOf(c).includes('access.restricted') ? true : undefined), 'access.restricted');
    const day10 = await c.status();
    expect(day10.state).toBe('active'); // restricted, but the case goes on: the money can still come

    await h.advanceTo(start + 11 * DAY);
    const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_visa');
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'api', paymentMethodId, occurredAt: iso(start + 11 * DAY) });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    // Each event has a delivery workflow of its own: they land in either order.
    await until(
      async () => (['access.restored', 'dunning.recovered'].every((t) => typesOf(c).includes(t)) ? true : undefined),
      'access.restored and dunning.recovered',
    );
    expect(typesOf(c).slice(0, 2)).toEqual(['dunning.started', 'access.restricted']);
    expect(typesOf(c).slice(2).sort()).toEqual(['access.restored', 'dunning.recovered']);
  });

  it('recovered before any restriction: no access.restored, since nothing was restricted', async () => {
    const c = await h.startCase({ decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    await until(async () => ((await c.status()).emails.length ? true : undefined), 'the first email');
    h.sandbox.setPaymentMethodBehaviour(c.scenario.paymentMethodId, { outcome: 'succeed' });
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'api', occurredAt: iso(await h.now()) });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    await until(async () => (typesOf(c).includes('dunning.recovered') ? true : undefined), 'dunning.recovered');
    expect(typesOf(c)).toEqual(['dunning.started', 'dunning.recovered']);
  });
});
