/**
 * The policies every back-test compares: the shipped default, a fixed schedule like Stripe's
 * default (8 tries in 2 weeks, evenly spaced, whatever the decline), and "retry every day". The two
 * comparisons send the default policy's emails, so only the retries differ. The shipped workflow
 * never retries a hard decline on the same card, whatever the policy says (domain/policy.ts
 * resolvePolicy), so "whatever the decline" means every retryable one.
 */
import { DEFAULT_POLICY, type DunningPolicy, type PolicyStep } from '../domain/policy';

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
