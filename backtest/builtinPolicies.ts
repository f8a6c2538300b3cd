/**
 * The policies every back-test compares: the shipped default, a fixed schedule like Stripe's
 * default (8 tries in 2 weeks, evenly spaced, whatever the decline), and "retry every day". The two
 * comparisons send the default policy's emails, so only the retries differ. The shipped workflow
 * never retries a hard decline on the same card, whatever the policy says (domain/policy.ts
 * resolvePolicy), so "whatever the decline" means every retryable one.
 */
import type { Offer } from '../domain/offers';
import {
  DEFAULT_POLICY,
  POLICY_1_0,
  durationMs,
  type DunningPolicy,
  type PolicyOverride,
  type PolicyStep,
} from '../domain/policy';

const EMAILS: PolicyStep[] = DEFAULT_POLICY.steps.filter((s) => s.action !== 'retry');

/** Stripe's default Smart Retries setting: up to 8 tries within 2 weeks (docs.stripe.com, notes §5) [P]. */
export const FIXED_8_IN_2_WEEKS: DunningPolicy = {
  ...DEFAULT_POLICY,
  // Every 40 hours: 8 tries, the last at 13d8h, before the end at 14d.
  steps: [...EMAILS, ...Array.from({ length: 8 }, (_, i) => ({ at: `${(i + 1) * 40}h`, action: 'retry' as const }))],
  // Evenly spaced: no retry hour, no payday.
  retryHour: null,
  byCategory: undefined,
};

export const RETRY_EVERY_DAY: DunningPolicy = {
  ...DEFAULT_POLICY,
  steps: [...EMAILS, ...Array.from({ length: 13 }, (_, i) => ({ at: `${i + 1}d`, action: 'retry' as const }))],
  retryHour: null,
  byCategory: undefined,
};

/** The policy the model is calibrated on (the published targets are about fixed-schedule retries). */
export const CALIBRATION_POLICY = 'fixed-8-in-14d';

export const BUILTIN_POLICIES: ReadonlyArray<{ name: string; policy: DunningPolicy }> = [
  { name: 'default', policy: DEFAULT_POLICY },
  { name: 'fixed-8-in-14d', policy: FIXED_8_IN_2_WEEKS },
  { name: 'every-day', policy: RETRY_EVERY_DAY },
];

/** The offer of policies/last-chance-offer.json: a 30-day pause (invoices of the pause voided), the failed invoice written off. */
export const LAST_CHANCE_PAUSE: Offer = { kind: 'pause', for: '30d', behavior: 'void' };

const HOUR = 3_600_000;

/**
 * `policy` with a last-chance offer two days before each schedule's final notice (or, without
 * one, four days before its end): day 10 of the default, as in policies/last-chance-offer.json.
 * Derived, not a file, so that it follows the default wherever the default goes: its comparison
 * with `default` differs by the offer step alone.
 */
export function withLastChanceOffer(policy: DunningPolicy, offer: Offer = LAST_CHANCE_PAUSE): DunningPolicy {
  const add = (steps: PolicyStep[], endAfter: string): PolicyStep[] => {
    const final = steps.find((st) => st.action === 'final_notice');
    const atMs = final ? durationMs(final.at)! - 48 * HOUR : durationMs(endAfter)! - 96 * HOUR;
    const step: PolicyStep = { at: `${Math.max(1, Math.round(atMs / HOUR))}h`, action: 'offer', offer };
    return [...steps, step].sort((a, b) => durationMs(a.at)! - durationMs(b.at)!);
  };
  const override = (o: PolicyOverride): PolicyOverride =>
    o.steps ? { ...o, steps: add(o.steps, o.endAfter ?? policy.endAfter) } : o;
  return {
    ...policy,
    steps: add(policy.steps, policy.endAfter),
    ...(policy.byCategory && {
      byCategory: Object.fromEntries(Object.entries(policy.byCategory).map(([k, o]) => [k, override(o)])),
    }),
    ...(policy.overrides && { overrides: policy.overrides.map((o) => ({ ...o, policy: override(o.policy) })) }),
  };
}

/** Built-ins run only when named (`--builtin NAME`): comparisons of one lever, not the standard table. */
export const NAMED_ONLY_POLICIES: ReadonlyArray<{ name: string; policy: DunningPolicy }> = [
  { name: 'default-with-offer', policy: withLastChanceOffer(DEFAULT_POLICY) },
  // The default until 1.1 (#23), to compare with the new one on any cohort.
  { name: 'default-1.0', policy: POLICY_1_0 },
];
