/**
 * The cohort model draws what it says it draws: seeded shares within tolerance of the stated ones,
 * the same cohort for the same seed, and the behaviour functions at their documented values.
 */
import { describe, expect, it } from 'vitest';
import { loadCohort } from '../../backtest/cohortFile';
import {
  BATCH_OFFSET_MAX_MS,
  BATCH_PERIOD_MS,
  batchFailsAt,
  cardUpdateAfterEmail,
  cohortEpoch,
  causeSharesFor,
  emailUpdateChance,
  generateCohort,
  macForWait,
  nsfShare,
  nsfSuccessAfter,
  paydaysBetween,
  retrySuccessChance,
  type Cause,
} from '../../backtest/cohortModel';

/** The base cohort's numbers (backtest/cohorts/base.json). */
const M = loadCohort().params;
const { fundingShares: FUNDING_SHARES, brandShares: BRAND_SHARES, causeShares: CAUSE_SHARES, clearing: CLEARING } = M;
const PAY_FREQUENCY_SHARES = M.payFrequencyShares;
const PAID_ELSEWHERE_SHARE = M.paidElsewhere.share;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 26, 15, 0); // Thu 26 Nov 2026, 15:00 UTC
const N = 20_000;
const cohort = generateCohort(M, 7, N, T0);
const share = (pred: (c: (typeof cohort)[number]) => boolean, of = cohort) => of.filter(pred).length / of.length;
/** About 3.5 standard errors of a share from N draws. */
const tol = (p: number, n = N) => 3.5 * Math.sqrt((p * (1 - p)) / n);

describe('the cohort: seeded draws match the stated shares', () => {
  it('is the same for the same seed, different for another', () => {
    expect(generateCohort(M, 7, 50, T0)).toEqual(cohort.slice(0, 50));
    expect(generateCohort(M, 8, 50, T0)).not.toEqual(cohort.slice(0, 50));
  });

  it('funding, brand, pay frequency', () => {
    for (const [k, p] of Object.entries(FUNDING_SHARES)) expect(Math.abs(share((c) => c.funding === k) - p)).toBeLessThan(tol(p));
    for (const [k, p] of Object.entries(BRAND_SHARES)) expect(Math.abs(share((c) => c.brand === k) - p)).toBeLessThan(tol(p));
    for (const [k, p] of Object.entries(PAY_FREQUENCY_SHARES))
      expect(Math.abs(share((c) => c.payFrequency === k) - p)).toBeLessThan(tol(p));
  });

  it('decline causes overall, and insufficient funds by funding type (Recurly debit 28.99% vs credit 6.94%)', () => {
    for (const [k, p] of Object.entries(CAUSE_SHARES)) expect(Math.abs(share((c) => c.cause === k) - p)).toBeLessThan(tol(p));
    const debit = cohort.filter((c) => c.funding === 'debit');
    const credit = cohort.filter((c) => c.funding === 'credit');
    expect(nsfShare(M, 'debit') / nsfShare(M, 'credit')).toBeCloseTo(28.99 / 6.94, 6);
    expect(Math.abs(share((c) => c.cause === 'insufficient_funds', debit) - nsfShare(M, 'debit'))).toBeLessThan(
      tol(nsfShare(M, 'debit'), debit.length),
    );
    expect(Math.abs(share((c) => c.cause === 'insufficient_funds', credit) - nsfShare(M, 'credit'))).toBeLessThan(
      tol(nsfShare(M, 'credit'), credit.length),
    );
    for (const f of ['credit', 'debit'] as const)
      expect(Object.values(causeSharesFor(M, f)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('causes clear with their stated chance; generic and do-not-honor after their stated median and p90', () => {
    for (const cause of Object.keys(CLEARING) as Cause[]) {
      const of = cohort.filter((c) => c.cause === cause);
      const p = CLEARING[cause].clears;
      expect(Math.abs(share((c) => c.clearsAt !== undefined, of) - p)).toBeLessThanOrEqual(tol(p, of.length) + 1e-9);
    }
    for (const cause of ['generic_decline', 'do_not_honor'] as const) {
      const waits = cohort
        .filter((c) => c.cause === cause && c.clearsAt !== undefined)
        .map((c) => c.clearsAt! - c.failedAt)
        .sort((a, b) => a - b);
      // The share of waits under the stated median and p90: 50% and 90%, within sampling error.
      const under = (ms: number) => waits.filter((w) => w <= ms).length / waits.length;
      expect(Math.abs(under(M.clearWait[cause].medianDays * DAY) - 0.5)).toBeLessThan(tol(0.5, waits.length));
      expect(Math.abs(under(M.clearWait[cause].p90Days * DAY) - 0.9)).toBeLessThan(tol(0.9, waits.length));
    }
    // Do-not-honor ("temporary hold") clears later than generic declines (Recurly 2018: up to 15 days).
    expect(M.clearWait.do_not_honor.p90Days).toBe(15);
  });

  it('batches fail at moments spread evenly over a week, from a Monday the 1st, a period apart', () => {
    const epoch = cohortEpoch(T0);
    expect(new Date(epoch).toISOString()).toBe('2027-02-01T00:00:00.000Z');
    expect(new Date(cohortEpoch(epoch)).getUTCDay()).toBe(1);
    const offsets = Array.from({ length: 5000 }, (_, b) => batchFailsAt(epoch, 7, b) - epoch - b * BATCH_PERIOD_MS);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(BATCH_OFFSET_MAX_MS);
    // The weekday of each failure moment (the epoch is a Monday; the period is not whole weeks).
    for (let wd = 0; wd < 7; wd++) {
      const s = offsets.filter((o, b) => Math.floor((o + b * BATCH_PERIOD_MS) / DAY) % 7 === wd).length / offsets.length;
      expect(Math.abs(s - 1 / 7)).toBeLessThan(tol(1 / 7, offsets.length));
    }
    expect(batchFailsAt(epoch, 7, 3)).toBe(batchFailsAt(epoch, 7, 3));
  });

  it('insufficient funds clear on a payday after the failure (plus at most a day of posting)', () => {
    for (const c of cohort.filter((x) => x.cause === 'insufficient_funds' && x.clearsAt !== undefined).slice(0, 500)) {
      const payday = paydaysBetween(
        c.payFrequency,
        c.payPhase,
        M.timeZones.find((z) => z.zone === c.timeZone)!.offsetHours,
        c.failedAt,
        c.failedAt + 40 * DAY,
      )[0]!;
      expect(c.clearsAt! - payday).toBeGreaterThanOrEqual(0);
      expect(c.clearsAt! - payday).toBeLessThanOrEqual(DAY);
    }
  });

  it('Mastercard insufficient funds carry a MAC 24-30 wait, Visa none; paid elsewhere at 3%', () => {
    const nsf = cohort.filter((c) => c.cause === 'insufficient_funds');
    expect(nsf.filter((c) => c.brand === 'mastercard').every((c) => /^(2[4-9]|30)$/.test(c.decline.networkAdviceCode!))).toBe(
      true,
    );
    expect(nsf.filter((c) => c.brand === 'visa').every((c) => c.decline.networkAdviceCode === undefined)).toBe(true);
    expect(Math.abs(share((c) => c.paidElsewhereAt !== undefined) - PAID_ELSEWHERE_SHARE)).toBeLessThan(
      tol(PAID_ELSEWHERE_SHARE),
    );
    expect(macForWait(3 * DAY)).toBe('26');
    expect(macForWait(undefined)).toBe('30');
  });
});

describe('behaviour at simulated time', () => {
  it('paydays: semimonthly on the 1st and 15th, monthly on the last business day, weekly on Fridays', () => {
    const days = (ms: number[]) => ms.map((m) => new Date(m + -5 * HOUR).toISOString().slice(0, 10));
    expect(days(paydaysBetween('semimonthly', 0, -5, T0, T0 + 30 * DAY))).toEqual(['2026-12-01', '2026-12-15']);
    expect(days(paydaysBetween('monthly', 0, -5, T0, T0 + 40 * DAY))).toEqual(['2026-11-30', '2026-12-31']);
    expect(days(paydaysBetween('weekly', 0, -5, T0, T0 + 8 * DAY))).toEqual(['2026-11-27', '2026-12-04']);
    expect(paydaysBetween('biweekly', 0, -5, T0, T0 + 28 * DAY)).toHaveLength(2);
  });

  it('NSF: 0.85 just after payday, 0.5 a week later; before the clear time only the small chance', () => {
    expect(nsfSuccessAfter(M, DAY)).toBe(0.85);
    expect(nsfSuccessAfter(M, 7 * DAY)).toBe(0.5);
    const c = cohort.find((x) => x.cause === 'insufficient_funds' && x.clearsAt !== undefined)!;
    expect(retrySuccessChance(M, c, c.clearsAt! - 1)).toBe(CLEARING.insufficient_funds.before);
    expect(retrySuccessChance(M, c, c.clearsAt! + HOUR)).toBe(0.85);
    const hard = cohort.find((x) => x.cause === 'lost_stolen')!;
    expect(retrySuccessChance(M, hard, T0 + 10 * DAY)).toBe(0);
  });

  it('card updates after emails: Baremetrics shape × 0.5, by cause; only emails that ask for payment', () => {
    expect(emailUpdateChance(M, 0, 'generic_decline')).toBeCloseTo(0.06625, 6);
    expect(emailUpdateChance(M, 15, 'generic_decline')).toBeCloseTo(0.0211, 6);
    expect(emailUpdateChance(M, 0, 'insufficient_funds')).toBeCloseTo(0.06625 * 0.6, 6);
    const c = cohort.find((x) => x.cause === 'generic_decline')!;
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (cardUpdateAfterEmail(M, 7, { ...c, index: i }, 'payment_failed', 0, c.failedAt)) hits++;
    expect(Math.abs(hits / 20_000 - 0.06625)).toBeLessThan(tol(0.06625));
    expect(cardUpdateAfterEmail(M, 7, c, 'payment_recovered', 0, c.failedAt)).toBeUndefined();
  });
});
