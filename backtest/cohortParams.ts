/**
 * The numbers of a cohort, as read from a cohort file (backtest/cohortFile.ts validates them; each
 * one's source and grade is in the file, backtest/cohorts/base.json). The model's logic
 * (backtest/cohortModel.ts) takes them as an argument, so that any cohort runs through the same code.
 */

/** Key orders matter: a draw walks the shares in this order (backtest/prng.ts pick). */
export const FUNDINGS = ['credit', 'debit'] as const;
export type Funding = (typeof FUNDINGS)[number];
export const BRANDS = ['visa', 'mastercard'] as const;
export type Brand = (typeof BRANDS)[number];
export const CAUSES = [
  'generic_decline',
  'do_not_honor',
  'insufficient_funds',
  'expired_card',
  'lost_stolen',
  'invalid_number',
  'processing_error',
  'restricted',
] as const;
export type Cause = (typeof CAUSES)[number];
export const PAY_FREQUENCIES = ['weekly', 'biweekly', 'semimonthly', 'monthly'] as const;
export type PayFrequency = (typeof PAY_FREQUENCIES)[number];

export interface CohortParams {
  /** Credit/debit split of recurring transactions. */
  fundingShares: Record<Funding, number>;
  brandShares: Record<Brand, number>;
  /** Why the first renewal charge failed, overall. */
  causeShares: Record<Cause, number>;
  /** Insufficient funds' share of declines by funding type: only their ratio is used. */
  nsfByFunding: Record<Funding, number>;
  timeZones: Array<{ zone: string; share: number; offsetHours: number }>;
  amount: { medianCents: number; sigma: number };
  payFrequencyShares: Record<PayFrequency, number>;
  /** `clears` within 30 days; a retry's chance `before` and `after` it clears. */
  clearing: Record<Cause, { clears: number; before: number; after: number }>;
  clearWait: Record<'generic_decline' | 'do_not_honor', { medianDays: number; p90Days: number }>;
  processingClearMeanHours: number;
  paydayPostingLagMaxDays: number;
  /** After payday: `plateau` until `plateauDays`, falling linearly to `floor` at `floorDays`. */
  nsfAfterPayday: { plateau: number; plateauDays: number; floor: number; floorDays: number };
  accountUpdaterDays: number[];
  newCardSuccess: number;
  /** [days since the failure, per-email recovery share], piecewise linear. */
  emailRecoveryByDay: Array<[number, number]>;
  emailRecoveryScale: number;
  updateMultiplier: Record<Cause, number>;
  updateDelay: { medianHours: number; p80Hours: number };
  paidElsewhere: { share: number; withinDays: number };
  // The cost of an attempt (backtest/costs.ts).
  processorFeeApproved: { percent: number; fixedCents: number };
  processorFeePerDeclineCents: number;
  networkFeePerAttemptCents: Record<Brand, Record<Funding, number>>;
  mastercardAdviceDeclineFeeCents: number;
}
