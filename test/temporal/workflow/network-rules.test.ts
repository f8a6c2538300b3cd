/**
 * The live card ledger enforces the rules file the worker was given, not constants: with an edited
 * file whose Mastercard limit is 3 declines in 24 hours (the shipped one says 10), two cases
 * retrying one Mastercard three times each in six hours get exactly 2 charges through (the limit
 * counts a renewal's own decline, which the ledger never sees: 2 + 1); the other 4 are refused by
 * the ledger and never reach the card. (Two renewals declined on that card: the ledger counts one.
 * docs/policy.md says so.) The limits travel in each reservation's
 * arguments, so the ledger's history (recorded as card-budget-ledger-mastercard.<label>.json)
 * replays under any file: test/workflows/replay.test.ts replays it while policies/ still says 10.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockCardVia } from '../../../activities/cardBudget';
import { cardBudgetWorkflowId, ledgerQuery, reserveAttemptUpdate } from '../../../domain/cardBudgetMessages';
import { attemptLimitsFor, type NetworkRules } from '../../../domain/networkRules';
import { loadNetworkRules, parseNetworkRules } from '../../../src/networkRulesFile';
import { parsePolicy } from '../../../src/policyFile';
import { DAY, HOUR, startHarness, until, type Case, type Harness } from './harness';

const shipped = loadNetworkRules();
const MC_DAILY = 'mastercard_10_declines_in_24h';
const VISA_NEVER = 'visa_category_1_never';
const parsed = parseNetworkRules({
  ...shipped,
  rules: shipped.rules.map((r) =>
    r.id === MC_DAILY
      ? { ...r, max: 3 }
      : // A network code the decline tables do not know, added to Visa's "never": the file alone blocks it.
        r.id === VISA_NEVER && r.kind === 'never_after_decline'
        ? { ...r, networkDeclineCodes: [...(r.networkDeclineCodes ?? []), '59'] }
        : r,
  ),
});
if (!parsed.ok) throw new Error(parsed.errors.join('; '));
const rules: NetworkRules = parsed.rules;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ networkRules: rules });
});
afterAll(async () => {
  await h?.close();
});

/** Retries 2, 4 and 6 hours after the failure, whatever the decline. */
function threeRetries() {
  const policy = parsePolicy({
    version: 1,
    steps: [
      { at: '0', action: 'email', template: 'payment_failed' },
      { at: '2h', action: 'retry' },
      { at: '4h', action: 'retry' },
      { at: '6h', action: 'retry' },
    ],
    endAfter: '2d',
    endAction: 'leave_past_due',
    retryHour: null,
    minRetryGap: '1h',
  });
  if (!policy.ok) throw new Error(policy.errors.join('; '));
  return policy.policy;
}

describe('the live ledger enforces the rules file', () => {
  it("an edited file with a lower Mastercard 24-hour limit: 3 declines on the card in a day, a renewal's included, the rest refused", async () => {
    expect(shipped.rules.find((r) => r.id === MC_DAILY)).toMatchObject({ max: 10 });

    const t0 = await h.now();
    const cases: Case[] = [];
    for (let i = 0; i < 2; i++) {
      cases.push(
        await h.startCase({
          decline: { brand: 'mastercard', code: 'processing_error' },
          policy: threeRetries(),
          record: i === 0 ? 'mastercard-24h-limit' : undefined,
        }),
      );
    }
    for (const c of cases) await until(async () => ((await c.status()).emails.length === 1 ? true : undefined), 'first emails');
    const pm = await h.stripe.paymentMethods.retrieve(cases[0]!.scenario.paymentMethodId);
    expect(pm.card?.brand).toBe('mastercard');
    const fingerprint = pm.card!.fingerprint!;
    expect((await h.stripe.paymentMethods.retrieve(cases[1]!.scenario.paymentMethodId)).card?.fingerprint).toBe(fingerprint);

    // Past the last retry (6 h), well inside the 24-hour window.
    await h.advanceTo(t0 + 8 * HOUR);
    const attempts = (await Promise.all(cases.map((c) => c.status()))).flatMap((s) => s.attempts);
    expect(attempts).toHaveLength(6);
    expect(attempts.filter((a) => a.outcome === 'declined')).toHaveLength(2);
    expect(attempts.filter((a) => a.outcome === 'skipped_budget')).toHaveLength(4);
    const charges = (await h.charges()).filter((c) => c.fingerprint === fingerprint);
    expect(charges).toHaveLength(2);

    // The ledger recorded the two with what its limits count by, and names the rule that refuses.
    const ledger = h.env.client.workflow.getHandle(cardBudgetWorkflowId(h.taskQueue, fingerprint));
    const state = await ledger.query(ledgerQuery);
    expect(state.entries).toHaveLength(2);
    for (const e of state.entries) expect(e).toMatchObject({ amount: 2900, currency: 'usd' });
    const limits = attemptLimitsFor(rules, 'mastercard');
    const probe = await ledger.executeUpdate(reserveAttemptUpdate, {
      args: [{ key: 'probe', limits, amount: 2900, currency: 'usd' }],
    });
    expect(probe).toMatchObject({ granted: false, rule: MC_DAILY, used: 3, limit: 3 });
    expect(Date.parse(probe.retryAt!)).toBe(state.entries[0]!.at + DAY);
    // A malformed request is refused by the Update's validator, before it is recorded.
    await expect(
      ledger.executeUpdate(reserveAttemptUpdate, { args: [{ key: 'bad', limits: [{ ...limits[0]!, max: -1 }] }] }),
    ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    h.record('card-ledger-mastercard-limit', ledger);

    for (const c of cases) expect((await c.result()).state).toBe('exhausted');
  });

  it("a wait an issuer named on another case's charge (MAC 24-30) holds this case off the card until it ends, then the card is free", async () => {
    const t0 = await h.now();
    const c = await h.startCase({
      decline: { brand: 'mastercard', code: 'processing_error' },
      policy: threeRetries(),
      ownCards: true,
    });
    await until(async () => ((await c.status()).emails.length === 1 ? true : undefined), 'the first email');
    const pm = await h.stripe.paymentMethods.retrieve(c.scenario.paymentMethodId);
    const card = { paymentMethodId: pm.id, fingerprint: pm.card!.fingerprint!, brand: 'mastercard' };
    // What the charge activity of another case on this card sends after a decline with a named
    // wait (activities/stripe/retryCharge.ts tellLedger), with 3 hours for the file's wait.
    await blockCardVia(h.env.client, h.taskQueue)(card, 'mastercard_mac_24_30_wait', 3 * HOUR, {
      heardBy: 'dunning-in_another',
    });
    await h.advanceTo(t0 + 8 * HOUR);
    // The 2-hour retry falls inside the wait; the 4- and 6-hour ones after it reach the card.
    expect((await c.status()).attempts.map((a) => a.outcome)).toEqual(['skipped_budget', 'declined', 'declined']);
    expect((await c.charges()).filter((ch) => ch.fingerprint === card.fingerprint)).toHaveLength(2);
    const ledger = h.env.client.workflow.getHandle(cardBudgetWorkflowId(h.taskQueue, card.fingerprint));
    const state = await ledger.query(ledgerQuery);
    expect(state.waiting).toBeUndefined();
    expect(state.blocked).toBeUndefined();
    expect(state.entries).toHaveLength(2);
    h.record('card-ledger-issuer-wait', ledger);
  });

  it("a never-retry code the file adds blocks the card: the case's next retry is refused", async () => {
    const t0 = await h.now();
    const c = await h.startCase({
      decline: { brand: 'visa', code: 'card_declined', declineCode: 'generic_decline', networkDeclineCode: '59' },
      policy: threeRetries(),
    });
    await until(async () => ((await c.status()).emails.length === 1 ? true : undefined), 'the first email');
    await h.advanceTo(t0 + 8 * HOUR);
    const s = await c.status();
    // generic_decline alone may be retried (declines.ts knows no code 59): the file's rule stops it.
    expect(s.attempts.map((a) => [a.outcome, a.declineCode])).toEqual([
      ['declined', 'generic_decline'],
      ['skipped_never_retry', undefined],
    ]);
    expect(await c.charges()).toHaveLength(1);
    const fingerprint = (await h.stripe.paymentMethods.retrieve(c.scenario.paymentMethodId)).card!.fingerprint!;
    const state = await h.env.client.workflow.getHandle(cardBudgetWorkflowId(h.taskQueue, fingerprint)).query(ledgerQuery);
    expect(state.blocked?.reason).toBe(VISA_NEVER);
  });
});
