/**
 * What the attempts a policy makes cost the merchant (pure): per charge that reaches the network,
 * the processor's fee (on an approved charge its percentage and fixed fee, on a decline its
 * per-decline fee) and the network's per-authorization fee; per Mastercard decline with a MAC
 * 24-30 wait, the Authorization Optimizer fee. The numbers are the cohort file's (each with its
 * source); the networks' excess-retry fees are the rules file's, counted per violation
 * (backtest/violations.ts). The renewal charge that opened the case is not counted: every policy
 * made it.
 */
import type { CohortParams, Funding } from './cohortParams';
import type { NetworkTransaction } from './violations';

export type CostParams = Pick<
  CohortParams,
  'processorFeeApproved' | 'processorFeePerDeclineCents' | 'networkFeePerAttemptCents' | 'mastercardAdviceDeclineFeeCents'
>;

export interface AttemptCosts {
  /** Processor fees: approved charges' percentage and fixed fee, declines' per-decline fee. */
  processorCents: number;
  /** The networks' per-authorization fees (Visa APF, Mastercard NABU). */
  networkCents: number;
  /** Mastercard's fee on each decline that came with a MAC 24-30 wait. */
  adviceFeeCents: number;
}

const MAC_WAIT = /^(2[4-9]|30)$/;

/** The cost of one charge (cents, fractional: summed before rounding). */
export function attemptCost(p: CostParams, tx: NetworkTransaction, funding: Funding): AttemptCosts {
  const brand = tx.brand === 'visa' || tx.brand === 'mastercard' ? tx.brand : undefined;
  const networkCents = brand ? p.networkFeePerAttemptCents[brand][funding] : 0;
  const processorCents = tx.approved
    ? (tx.amount * p.processorFeeApproved.percent) / 100 + p.processorFeeApproved.fixedCents
    : p.processorFeePerDeclineCents;
  const adviceFeeCents =
    !tx.approved && tx.brand === 'mastercard' && tx.networkDeclineCode === '51' && MAC_WAIT.test(tx.networkAdviceCode ?? '')
      ? p.mastercardAdviceDeclineFeeCents
      : 0;
  return { processorCents, networkCents, adviceFeeCents };
}

/** The summed cost of a case's charges (the renewal's own decline left out). */
export function caseCosts(p: CostParams, txs: readonly NetworkTransaction[], funding: Funding): AttemptCosts {
  const sum: AttemptCosts = { processorCents: 0, networkCents: 0, adviceFeeCents: 0 };
  for (const tx of txs) {
    if (tx.initial) continue;
    const c = attemptCost(p, tx, funding);
    sum.processorCents += c.processorCents;
    sum.networkCents += c.networkCents;
    sum.adviceFeeCents += c.adviceFeeCents;
  }
  return sum;
}

export const totalCents = (c: AttemptCosts): number => c.processorCents + c.networkCents + c.adviceFeeCents;
