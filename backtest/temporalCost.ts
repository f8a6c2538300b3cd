/**
 * What a case's Temporal actions cost on Temporal Cloud (pure): the billable actions of the case's
 * own workflow history (bench/historyShape.ts counts them as Temporal Cloud does) at the list price
 * per million. What is not in that history is not counted: the card ledger's updates and signals,
 * the app-event delivery workflows (docs/backtest.md, "What a case costs in Temporal actions").
 */

/** Temporal Cloud's published price per million actions, with where and when it was read. */
export const TEMPORAL_ACTION_PRICE = {
  usdPerMillion: 50,
  source:
    'https://docs.temporal.io/cloud/pricing, "Action pricing": $50 per million actions, the Developer plan at every volume, ' +
    'Business and above for the first 5M of a month (then $45 down to $25 per million by volume); ' +
    'the plan itself adds the greater of its minimum or 10 % of usage, not counted here',
  checkedOn: '2026-12-08',
} as const;

/** `actions` at `usdPerMillion`, in cents (fractional: summed before rounding). */
export function actionsCents(actions: number, usdPerMillion: number = TEMPORAL_ACTION_PRICE.usdPerMillion): number {
  return (actions * usdPerMillion) / 10_000;
}

/** Cost over amount recovered, both in cents: dollars spent per dollar won back; null when nothing was recovered. */
export function costPerRecoveredDollar(costCents: number, recoveredCents: number): number | null {
  return recoveredCents > 0 ? costCents / recoveredCents : null;
}
