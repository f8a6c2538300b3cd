/**
 * 95% intervals across seeds (pure): each seed is one independent cohort, so a figure's values over
 * the seeds are a small sample of what the model gives; the interval is Student's t on their mean
 * (few seeds: the t quantile is wide, as it should be). One seed gives no interval.
 */

/** Two-sided 95% quantiles of Student's t by degrees of freedom (1-30), then a few anchors. */
const T975: Record<number, number> = {
  1: 12.706,
  2: 4.303,
  3: 3.182,
  4: 2.776,
  5: 2.571,
  6: 2.447,
  7: 2.365,
  8: 2.306,
  9: 2.262,
  10: 2.228,
  11: 2.201,
  12: 2.179,
  13: 2.16,
  14: 2.145,
  15: 2.131,
  16: 2.12,
  17: 2.11,
  18: 2.101,
  19: 2.093,
  20: 2.086,
  21: 2.08,
  22: 2.074,
  23: 2.069,
  24: 2.064,
  25: 2.06,
  26: 2.056,
  27: 2.052,
  28: 2.048,
  29: 2.045,
  30: 2.042,
};

export function t975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`degrees of freedom must be a whole number from 1, not ${df}`);
  if (df <= 30) return T975[df]!;
  // Between the table's anchors, the lower anchor's value: t falls as df grows, so the interval is
  // never narrower than the exact one (t(35) = 2.030 gets 2.042, not 40's 2.021).
  if (df < 40) return T975[30]!;
  if (df < 60) return 2.021;
  if (df < 120) return 2.0;
  if (df < 1000) return 1.98;
  return 1.96;
}

export interface Interval {
  n: number;
  mean: number;
  /** Undefined with fewer than two values. */
  low?: number;
  high?: number;
}

/** The mean of `values` and its 95% t interval. */
export function meanInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) throw new Error('no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = (t975(n - 1) * sd) / Math.sqrt(n);
  return { n, mean, low: mean - half, high: mean + half };
}

/** "12.3 [10.1, 14.5]" with `fmt` for each number; a lone value without brackets. */
export function formatInterval(i: Interval, fmt: (x: number) => string): string {
  return i.low === undefined || i.high === undefined ? fmt(i.mean) : `${fmt(i.mean)} [${fmt(i.low)}, ${fmt(i.high)}]`;
}
