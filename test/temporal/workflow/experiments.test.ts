/**
 * A case in a policy experiment (docs/policy.md, "Experiments with a holdout"): it is started in
 * the arm its customer hashes to, runs that arm's policy, records the arm (status, search
 * attributes DunningExperiment and DunningArm), and writes its end record as it ends, once.
 * Real activities against the sandboxes, time skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelDunningSignal, paymentMethodUpdatedSignal } from '../../../domain/messages';
import { POLICY_1_0, type DunningPolicy } from '../../../domain/policy';
import { assignArm, HOLDOUT_ARM } from '../../../domain/experiment';
import { DunningArm, DunningExperiment } from '../../../domain/searchAttributes';
import type { RunningExperiment } from '../../../src/experimentFile';
import { DAY, HOUR, iso, startHarness, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** The treated arm: a first retry after one day, the end after two (the baseline retries on day 3, ends on 14). */
const treated: DunningPolicy = {
  ...POLICY_1_0,
  steps: [
    { at: '0', action: 'email', template: 'payment_failed' },
    { at: '1d', action: 'retry' },
  ],
  endAfter: '2d',
  grace: '2d',
};

/** Every customer in `arm`: the weights send them all there (a file needs positive weights; the plan does not). */
const experimentAll = (arm: string): RunningExperiment => ({
  plan: {
    id: 'exp-test',
    arms: [
      { name: HOLDOUT_ARM, weight: arm === HOLDOUT_ARM ? 1 : 0 },
      { name: 'early', weight: arm === 'early' ? 1 : 0 },
    ],
  },
  policies: { early: treated },
  settings: { minimumEffect: 0.05, alpha: 0.05, power: 0.8 },
});

describe('a case in an experiment', () => {
  it('runs its arm’s policy, records the arm and writes its end record once', async () => {
    const experiment = experimentAll('early');
    const c = await h.startCase({
      record: 'experiment-arm-recovered',
      decline: 'pm_card_chargeDeclinedInsufficientFunds',
      experiment,
    });
    expect(assignArm(experiment.plan, c.scenario.customerId)).toEqual({ experimentId: 'exp-test', arm: 'early' });
    const first = await until(async () => {
      const s = await c.status();
      return s.emails.length === 1 ? s : undefined;
    }, 'the first email');
    expect(first.experiment).toEqual({ experimentId: 'exp-test', arm: 'early' });
    // The arm's policy, not the baseline's: the end is two days after the start.
    expect(first.nextAction?.kind).toBe('retry');
    const sa = (await c.handle.describe()).typedSearchAttributes;
    expect(sa.get(DunningExperiment)).toBe('exp-test');
    expect(sa.get(DunningArm)).toBe('early');
    expect(h.caseEnds.all().filter((r) => r.caseId === c.workflowId)).toEqual([]);

    await h.advanceBy(DAY + HOUR); // the day-1 retry declines
    const { paymentMethodId } = await h.sandbox.attachTestPaymentMethod(c.scenario.customerId, 'pm_card_visa');
    await c.handle.signal(paymentMethodUpdatedSignal, { source: 'api', paymentMethodId, occurredAt: iso(await h.now()) });
    expect(await c.result()).toEqual({ state: 'recovered', outcome: 'card_updated' });

    const records = h.caseEnds.all().filter((r) => r.caseId === c.workflowId);
    expect(records).toEqual([
      {
        caseId: c.workflowId,
        invoiceId: c.scenario.invoiceId,
        customerId: c.scenario.customerId,
        experiment: { experimentId: 'exp-test', arm: 'early' },
        state: 'recovered',
        outcome: 'card_updated',
        amountDue: 2900,
        currency: 'usd',
        recoveredAmount: 2900,
        charges: 2, // the declined day-1 retry and the new card's charge
        emails: 2, // payment failed, payment recovered
        startedAt: first.startedAt,
        endedAt: (await c.status()).endedAt,
        daysToRecovery: expect.closeTo(1 + 1 / 24, 2),
      },
    ]);
    expect((await c.status()).experiment).toEqual({ experimentId: 'exp-test', arm: 'early' });
  });

  it('the holdout runs the baseline policy; a cancelled case writes its record too', async () => {
    const c = await h.startCase({
      record: 'experiment-holdout-cancelled',
      decline: 'pm_card_chargeDeclinedInsufficientFunds',
      experiment: experimentAll(HOLDOUT_ARM),
    });
    const first = await until(async () => {
      const s = await c.status();
      return s.emails.length === 1 ? s : undefined;
    }, 'the first email');
    expect(first.experiment).toEqual({ experimentId: 'exp-test', arm: HOLDOUT_ARM });
    // The baseline (the default policy): a reminder is next, no retry within the first day.
    expect(first.nextAction?.kind).toBe('email');
    expect((await c.handle.describe()).typedSearchAttributes.get(DunningArm)).toBe(HOLDOUT_ARM);
    await c.handle.signal(cancelDunningSignal, { reason: 'operator', by: 'test' });
    expect(await c.result()).toEqual({ state: 'cancelled', outcome: 'operator' });
    expect(h.caseEnds.all().filter((r) => r.caseId === c.workflowId)).toEqual([
      expect.objectContaining({
        experiment: { experimentId: 'exp-test', arm: HOLDOUT_ARM },
        state: 'cancelled',
        recoveredAmount: 0,
        charges: 0,
        emails: 1,
      }),
    ]);
  });

  it('a case outside any experiment has no arm, and keeps no end record (nothing to compare)', async () => {
    const c = await h.startCase({ decline: 'pm_card_chargeDeclinedInsufficientFunds' });
    await until(async () => ((await c.status()).emails.length === 1 ? true : undefined), 'the first email');
    expect((await c.status()).experiment).toBeUndefined();
    expect((await c.handle.describe()).typedSearchAttributes.get(DunningArm)).toBeUndefined();
    await c.handle.signal(cancelDunningSignal, { reason: 'operator', by: 'test' });
    await c.result();
    expect(h.caseEnds.all().filter((r) => r.caseId === c.workflowId)).toEqual([]);
  });
});
