/**
 * The statistics of an experiment's results, plain functions on counts: the Wilson interval of a
 * recovery rate, the two-proportion z-test of an arm against the holdout, and the sample size that
 * can show a given difference (the power calculation behind the "too small" warning). Pure.
 *
 * One fixed-size test per arm against the holdout: looking at the p-value every day and stopping
 * at the first p < alpha finds a difference more often than alpha when there is none. Decide the
 * size first (`sampleSizePerArm`), then read the result once it is reached (docs/policy.md).
 */

/** Φ(x), the standard normal CDF (erfc by Abramowitz and Stegun 7.1.26, absolute error < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = poly * Math.exp(-z * z);
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Φ⁻¹(p), the standard normal quantile (P. J. Acklam's algorithm, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: ${p} is not in (0, 1)`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

export interface Interval {
  low: number;
  high: number;
}

/**
 * The Wilson score interval of `successes` out of `n` at confidence `1 - alpha` (95 % by default):
 * unlike the normal approximation it stays inside [0, 1] and is honest at 0 or n successes and
 * at small n. Undefined for n = 0: nothing is known.
 */
export function wilsonInterval(successes: number, n: number, alpha = 0.05): Interval | undefined {
  if (n <= 0) return undefined;
  const z = normalQuantile(1 - alpha / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

export interface ZTest {
  /** Rate of the arm minus rate of the baseline (absolute; 0.05 = 5 points more). */
  difference: number;
  z: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * The two-proportion z-test of `k1/n1` (an arm) against `k0/n0` (the holdout), pooled variance
 * under the null hypothesis of equal rates; two-sided. Undefined when either arm is empty. When
 * both rates are 0 or both 1 the test has nothing to say: z 0, p 1.
 */
export function twoProportionZTest(k1: number, n1: number, k0: number, n0: number): ZTest | undefined {
  if (n1 <= 0 || n0 <= 0) return undefined;
  const p1 = k1 / n1;
  const p0 = k0 / n0;
  const pooled = (k1 + k0) / (n1 + n0);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0));
  if (se === 0) return { difference: p1 - p0, z: 0, pValue: 1 };
  const z = (p1 - p0) / se;
  return { difference: p1 - p0, z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}

/**
 * Cases needed in EACH of two equal arms for the two-sided test at `alpha` to show a difference of
 * `minimumEffect` from `baselineRate` with probability `power` (the standard formula for two
 * proportions, e.g. Fleiss, Statistical Methods for Rates and Proportions, 3rd ed., 4.14). The
 * difference is taken upwards, or downwards when the baseline is too near 1 for it.
 */
export function sampleSizePerArm(baselineRate: number, minimumEffect: number, alpha = 0.05, power = 0.8): number {
  if (!(minimumEffect > 0 && minimumEffect < 1)) throw new RangeError(`minimumEffect ${minimumEffect} is not in (0, 1)`);
  const p0 = Math.min(Math.max(baselineRate, 0), 1);
  const p1 = p0 + minimumEffect <= 1 ? p0 + minimumEffect : p0 - minimumEffect;
  const mean = (p0 + p1) / 2;
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const n = (za * Math.sqrt(2 * mean * (1 - mean)) + zb * Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))) ** 2 / minimumEffect ** 2;
  return Math.ceil(n);
}
