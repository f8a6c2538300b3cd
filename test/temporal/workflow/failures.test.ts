/**
 * The failure model (docs/architecture.md, "What can go wrong"): what a provider answers never fails a case.
 * Each test reproduces one way the unhappy paths lost or damaged cases before (issue #7), with
 * real activities against the Stripe sandbox and the Resend outbox, time skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { DunningClient } from '../../../src/dunningClient';
import { appEventWorkflowId } from '../../../domain/appEventMessages';
import { paymentFailedSignal, paymentMethodUpdatedSignal, paymentSucceededSignal } from '../../../domain/messages';
import { POLICY_1_0 } from '../../../domain/policy';
import { DunningBlockedOn, DunningState } from '../../../domain/searchAttributes';
import { DAY, HOUR, iso, startHarness, until, type Case, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const firstEmail = (c: Case) => until(async () => ((await c.status()).emails.length ? c.status() : undefined), 'the first email');
const searchAttributes = async (c: Case) => (await c.handle.describe()).typedSearchAttributes;
const statusName = async (c: Pick<Case, 'handle'>): Promise<WorkflowExecutionDescription['status']['name']> =>
  (await c.handle.describe()).status.name;

describe('a provider answer never fails the case', () => {
  it('a charge Stripe refuses with a 400 is recorded, and the case goes on to recover', async () => {
    const c = await h.startCase({ record: 'refused-charge', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    await firstEmail(c);
    // A card of another customer: Stripe answers 400 "does not belong to the customer".
    const other = await h.startCase({ decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    const { paymentMethodId: foreign } = await h.sandbox.attachTestPaymentMethod(other.scenario.customerId, 'pm_card_visa', {
      makeDefault: false,
    });
    await c.handle.signal(paymentMethodUpdatedSignal, {
      source: 'api',
      paymentMethodId: foreign,
      occurredAt: iso(await h.now()),
    });
    const refused = await until(async () => {
      const s = await c.status();
      return s.attempts.length ? s : undefined;
    }, 'the refused attempt');
    expect(refused.state).toBe('active');
    expect(refused.attempts).toEqual([
      {
        at: expect.any(String),
        trigger: 'payment_method_updated',
        outcome: 'error',
        error: expect.stringMatching(/^StripeInvalidRequest: pay invoice: /),
      },
    ]);
    expect(await statusName(c)).toBe('RUNNING');

    // The case still listens: the customer's own new card recovers it.
    const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_visa');
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'api', paymentMethodId, occurredAt: iso(await h.now()) });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    await other.handle.signal(paymentSucceededSignal, { source: 'test', occurredAt: iso(await h.now()) });
    await other.result();
  });

  it('a failure for an invoice Stripe does not know ends the case as cancelled / invoice_not_found', async () => {
    const cases = new DunningClient(h.env.client, h.taskQueue, POLICY_1_0);
    const invoiceId = `in_unknown${Date.now()}`;
    const workflowId = await cases.paymentFailed({
      invoiceId,
      customerId: 'cus_unknown',
      subscriptionId: 'sub_unknown',
      amountDue: 2900,
      currency: 'usd',
      occurredAt: iso(await h.now()),
    });
    const handle = h.env.client.workflow.getHandle(workflowId);
    expect(await handle.result()).toEqual({ state: 'cancelled', outcome: 'invoice_not_found' });
    expect((await handle.describe()).typedSearchAttributes.get(DunningState)).toBe('cancelled');
    expect(h.outbox.messages().filter((m) => m.tags.some((t) => t.value === invoiceId))).toEqual([]);
  });

  it('a Stripe outage longer than an activity tries: the case waits, blocked on stripe, then goes on', async () => {
    h.sandbox.injectFault({ pathPattern: '^GET /v1/invoices/', status: 503, count: 10_000 });
    let c: Case | undefined;
    try {
      c = await h.startCase({ record: 'blocked-on-stripe', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
      const started = c;
      // The activity's own attempts (about 3 minutes of backoff) pass in skipped time.
      await h.advanceBy(10 * 60_000);
      const blocked = await until(async () => {
        const s = await started.status();
        return s.blockedOn ? s : undefined;
      }, 'blockedOn');
      expect(blocked.state).toBe('active');
      expect(blocked.blockedOn).toMatchObject({
        provider: 'stripe',
        reason: expect.stringMatching(/StripeTransient|Timeout|attempts/),
      });
      expect(Date.parse(blocked.blockedOn!.retryAt)).toBeGreaterThan(Date.parse(blocked.blockedOn!.since));
      expect((await searchAttributes(started)).get(DunningBlockedOn)).toBe('stripe');
      expect(blocked.emails).toEqual([]);
      // Hours of outage: still waiting, still running.
      await h.advanceBy(5 * HOUR);
      expect(await statusName(started)).toBe('RUNNING');
      expect((await started.status()).blockedOn?.provider).toBe('stripe');
    } finally {
      h.sandbox.clearFaults();
    }
    // Stripe is back: within the longest backoff (an hour) the case learns its facts and mails.
    await h.advanceBy(HOUR + 10 * 60_000);
    const after = await firstEmail(c!);
    expect(after.blockedOn).toBeUndefined();
    expect(after.emails[0]!.template).toBe('payment_failed.insufficient_funds');
    expect((await searchAttributes(c!)).get(DunningBlockedOn)).toBeUndefined();
    await c.handle.signal(paymentSucceededSignal, { source: 'test', occurredAt: iso(await h.now()) });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_test' });
  });

  it('a run started again after one that was terminated repeats no email (keys are per case, not per run)', async () => {
    const c = await h.startCase({ decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    await firstEmail(c);
    await c.handle.terminate('operator test');
    const cases = new DunningClient(h.env.client, h.taskQueue, POLICY_1_0);
    await cases.paymentFailed({ ...c.firstFailure, eventId: 'evt_redelivered' });
    const again = h.env.client.workflow.getHandle(c.workflowId);
    await until(async () => ((await again.query('status')) as { emails: unknown[] }).emails.length > 0, 'the new run mailed');
    // The outbox honours Resend's Idempotency-Key: the second run's send is the first one's replay.
    expect(c.sentTemplates()).toEqual(['payment_failed_insufficient_funds']);
    await again.signal(paymentSucceededSignal, { source: 'test', occurredAt: iso(await h.now()) });
    await again.result();
  });
});

describe('events to the app never hold a case', () => {
  it('with the app endpoint down, a recovered case ends at once; the event is delivered when the app is back', async () => {
    h.setAppDown(true);
    try {
      const c = await h.startCase({ decline: 'pm_card_chargeDeclinedInsufficientFunds' });
      await firstEmail(c);
      await c.handle.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: iso(await h.now()) });
      expect(await c.result()).toEqual({ state: 'recovered', outcome: 'paid_stripe' });
      expect((await searchAttributes(c)).get(DunningState)).toBe('recovered');
      await until(async () => h.appRefusals() > 0, 'a refused delivery');
      const delivery = h.env.client.workflow.getHandle(appEventWorkflowId(`${c.workflowId}/dunning.recovered`));
      expect((await delivery.describe()).status.name).toBe('RUNNING');
      h.record('app-event-delivered-late', delivery);
      h.setAppDown(false);
      // The delivery's backoff has at most a few minutes to run at this point.
      await h.advanceBy(30 * 60_000);
      expect(await delivery.result()).toEqual({ delivered: true });
      expect(
        h
          .appEvents()
          .filter((e) => e.data.invoiceId === c.scenario.invoiceId)
          .map((e) => e.type),
      ).toContain('dunning.recovered');
    } finally {
      h.setAppDown(false);
    }
  });

  it('an event the app never takes is given up after about three days, without hammering it', async () => {
    h.setAppDown(true);
    try {
      const c = await h.startCase({ decline: 'pm_card_chargeDeclinedInsufficientFunds' });
      await firstEmail(c);
      const before = h.appRefusals();
      await c.handle.signal(paymentSucceededSignal, { source: 'stripe', occurredAt: iso(await h.now()) });
      await c.result();
      const delivery = h.env.client.workflow.getHandle(appEventWorkflowId(`${c.workflowId}/dunning.recovered`));
      h.record('app-event-undelivered', delivery);
      // Skip the whole delivery window a day at a time.
      for (let day = 0; day < 4; day++) await h.advanceBy(DAY);
      const result = await until(async () => {
        const d = await delivery.describe();
        return d.status.name === 'RUNNING' ? undefined : delivery.result();
      }, 'the delivery to give up');
      expect(result).toMatchObject({ delivered: false, error: expect.stringMatching(/app webhook answered 500/) });
      // Backing off to hours: a few dozen tries in three days, not thousands (two events were pending).
      const tries = h.appRefusals() - before;
      expect(tries).toBeGreaterThan(5);
      expect(tries).toBeLessThan(2 * 30);
    } finally {
      h.setAppDown(false);
    }
  }, 120_000);
});

describe('one charge per reported card', () => {
  it('a declined new card reported again after its charge finished is not charged again', async () => {
    const c = await h.startCase({ record: 'declined-card-reported-again', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    await firstEmail(c);
    const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_chargeDeclined');
    // payment_method.attached …
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId, occurredAt: iso(await h.now()) });
    await until(async () => ((await c.status()).emails.length === 2 ? true : undefined), 'the new-card-declined email');
    // … then customer.updated as it becomes the default, seconds later, after the charge finished.
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'stripe', paymentMethodId, occurredAt: iso(await h.now()) });
    await h.advanceBy(HOUR);
    const s = await c.status();
    expect(s.attempts.map((a) => a.outcome)).toEqual(['declined']);
    expect(s.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds', 'new_card_declined']);
    expect((await h.charges()).filter((x) => x.paymentMethodId === paymentMethodId)).toHaveLength(1);

    // The card network updated the card (payment_method.automatically_updated): new data, tried again.
    h.sandbox.setPaymentMethodBehaviour(paymentMethodId, { outcome: 'succeed' });
    await c.handle.signal(paymentMethodUpdatedSignal, {
      source: 'stripe',
      paymentMethodId,
      cardDataChanged: true,
      occurredAt: iso(await h.now()),
    });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });
    expect((await h.charges()).filter((x) => x.paymentMethodId === paymentMethodId).map((x) => x.outcome)).toEqual([
      'failed',
      'succeeded',
    ]);
  });
});

describe('the order of events never decides the outcome', () => {
  it('a failure signaled while the facts load is acted upon, not dropped', async () => {
    let signaled = false;
    h.hooks.beforeLoadCaseFacts = async (invoiceId) => {
      if (signaled) return;
      signaled = true;
      // Stripe's own retry failed meanwhile with "never retry" (Mastercard MAC 03).
      await h.env.client.workflow.getHandle(`dunning-${invoiceId}`).signal(paymentFailedSignal, {
        eventId: 'evt_during_load',
        invoiceId,
        customerId: 'cus_ignored',
        amountDue: 2900,
        currency: 'usd',
        code: 'card_declined',
        declineCode: 'do_not_honor',
        networkAdviceCode: '03',
        cardBrand: 'mastercard',
        occurredAt: iso(await h.now()),
      });
    };
    try {
      const c = await h.startCase({ record: 'failure-during-load', decline: 'pm_card_chargeDeclinedInsufficientFunds' });
      await until(async () => ((await c.status()).declineCategory === 'never_retry' ? true : undefined), 'never_retry', 15_000);
      await h.advanceBy(13 * DAY);
      const s = await c.status();
      expect(s.attempts.filter((a) => a.outcome !== 'skipped_never_retry')).toEqual([]);
      await c.handle.signal(paymentSucceededSignal, { source: 'test', occurredAt: iso(await h.now()) });
      await c.result();
    } finally {
      h.hooks.beforeLoadCaseFacts = undefined;
    }
  });

  it('a subscription deleted before its failure reached us: the case ends cancelled, nothing sent', async () => {
    // The sandbox records this customer's events instead of delivering them.
    const scenario = await h.sandbox.createFailedInvoiceScenario({
      email: `deleted-${Date.now()}@example.com`,
      amount: 2900,
      currency: 'usd',
      webhooks: false,
    });
    await h.stripe.subscriptions.cancel(scenario.subscriptionId);
    const cases = new DunningClient(h.env.client, h.taskQueue, POLICY_1_0);
    const workflowId = await cases.paymentFailed({
      eventId: 'evt_late_failure',
      invoiceId: scenario.invoiceId,
      customerId: scenario.customerId,
      subscriptionId: scenario.subscriptionId,
      amountDue: 2900,
      currency: 'usd',
      occurredAt: iso(await h.now()),
    });
    const handle = h.env.client.workflow.getHandle(workflowId);
    expect(await handle.result()).toEqual({ state: 'cancelled', outcome: 'subscription_deleted' });
    expect(h.outbox.messages().filter((m) => m.tags.some((t) => t.value === scenario.invoiceId))).toEqual([]);
  });

  it('a subscription deleted mid-case, its event lost: the next retry finds it and ends the case', async () => {
    const c = await h.startCase({ decline: 'pm_card_chargeDeclinedProcessingError' });
    await firstEmail(c);
    await h.stripe.subscriptions.cancel(c.scenario.subscriptionId);
    expect(await c.result()).toEqual({ state: 'cancelled', outcome: 'subscription_deleted' });
    const s = await c.status();
    expect(s.attempts.map((a) => a.outcome)).toEqual(['skipped_subscription_ended']);
    expect(await c.charges()).toEqual([]);
  });
});
