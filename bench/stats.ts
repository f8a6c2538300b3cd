/** Percentiles and rates over the bench's samples (milliseconds, epoch times). */

export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Events per second over the span of their times: (n − 1) intervals between the first and the last. */
export function ratePerSecond(times: readonly number[]): number {
  if (times.length < 2) return NaN;
  const first = Math.min(...times);
  const last = Math.max(...times);
  return last > first ? ((times.length - 1) * 1000) / (last - first) : NaN;
}

/**
 * The rate of the middle of a drain (10th to 90th percentile of the times): a warm-up (worker
 * start, first workflow tasks) and a ragged tail would otherwise say more about them than about
 * the steady pace.
 */
export function steadyRatePerSecond(times: readonly number[]): number {
  if (times.length < 10) return ratePerSecond(times);
  const sorted = [...times].sort((a, b) => a - b);
  const from = Math.floor(sorted.length * 0.1);
  const to = Math.ceil(sorted.length * 0.9) - 1;
  return ((to - from) * 1000) / (sorted[to]! - sorted[from]!);
}

export const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : NaN);
