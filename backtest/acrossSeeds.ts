/**
 * One cohort over several seeds (`npm run backtest -- --seeds 7,8,9`): each seed is an independent
 * draw of the cohort, run through the same policies; per policy, each figure's mean over the seeds
 * with its 95% interval (backtest/intervals.ts), and the policies ranked by net recovered amount per
 * case (recovered minus the attempts' costs and the networks' excess-retry fees). Pure.
 *
 * Levels vary from seed to seed with the customers drawn, so their intervals are wide; the same
 * customers meet every policy of a seed, so the paired difference to a reference policy (the fixed
 * schedule) per seed is what says whether one policy beats another: its interval is given too.
 */
import { formatInterval, meanInterval, type Interval } from './intervals';
import { totalCents } from './costs';
import type { PolicySummary } from './report';

export interface SeedRun {
  seed: number;
  summaries: PolicySummary[];
}

export interface PolicyAcrossSeeds {
  name: string;
  seeds: number;
  casesPerSeed: number;
  rank: number;
  /** Cents per failed case. */
  netPerCase: Interval;
  recoveredShare: Interval;
  amountShare: Interval;
  chargesPerCase: Interval;
  emailsPerCase: Interval;
  daysP50: Interval;
  daysP90: Interval;
  /** Cents per failed case: the attempts' costs plus excess-retry fees. */
  costPerCase: Interval;
  violations: Interval;
  /** Mean over the seeds of the cumulative share recovered by day (0..30), for the chart. */
  cumulativeByDay: number[];
  /** This policy minus the reference policy, seed by seed (absent for the reference itself). */
  vsReference?: { name: string; recoveredShare: Interval; netPerCase: Interval; chargesPerCase: Interval };
}

export function acrossSeeds(runs: readonly SeedRun[], reference?: string): PolicyAcrossSeeds[] {
  if (!runs.length) throw new Error('no runs');
  const names = runs[0]!.summaries.map((s) => s.name);
  for (const r of runs)
    if (r.summaries.map((s) => s.name).join() !== names.join())
      throw new Error(`seed ${r.seed} ran ${r.summaries.map((s) => s.name).join(', ')}, not ${names.join(', ')}`);
  const of = (name: string) => runs.map((r) => r.summaries.find((s) => s.name === name)!);
  const ref = reference !== undefined && names.includes(reference) ? of(reference) : undefined;
  const out = names.map((name): PolicyAcrossSeeds => {
    const ss = of(name);
    const over = (f: (s: PolicySummary) => number) => meanInterval(ss.map(f));
    const diff = (f: (s: PolicySummary) => number) => meanInterval(ss.map((s, i) => f(s) - f(ref![i]!)));
    return {
      ...(ref && name !== reference
        ? {
            vsReference: {
              name: reference!,
              recoveredShare: diff((s) => s.recoveryRate),
              netPerCase: diff((s) => s.netRecoveredCents / s.cases),
              chargesPerCase: diff((s) => s.chargesPerCase),
            },
          }
        : {}),
      name,
      seeds: ss.length,
      casesPerSeed: ss[0]!.cases,
      rank: 0,
      netPerCase: over((s) => s.netRecoveredCents / s.cases),
      recoveredShare: over((s) => s.recoveryRate),
      amountShare: over((s) => s.amountRecoveryRate),
      chargesPerCase: over((s) => s.chargesPerCase),
      emailsPerCase: over((s) => s.emailsPerCase),
      daysP50: over((s) => s.daysToRecovery.p50 ?? NaN),
      daysP90: over((s) => s.daysToRecovery.p90 ?? NaN),
      costPerCase: over((s) => (totalCents(s.attemptCosts) + s.feesCents) / s.cases),
      violations: over((s) => s.violations.reduce((a, v) => a + v.violations, 0)),
      cumulativeByDay: ss[0]!.cumulativeByDay.map((_, d) => ss.reduce((a, s) => a + (s.cumulativeByDay[d] ?? 0), 0) / ss.length),
    };
  });
  for (const p of out) p.rank = 1 + out.filter((q) => q.netPerCase.mean > p.netPerCase.mean).length;
  return out.sort((a, b) => a.rank - b.rank);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const usd = (cents: number) => `$${(cents / 100).toFixed(2)}`;
const signedUsd = (cents: number) => `${cents >= 0 ? '+' : '-'}$${(Math.abs(cents) / 100).toFixed(2)}`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
const signed = (d: number) => (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;
const n = (d: number) => (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(d));

/** Rows of the table across seeds, best net first: [label, one cell per policy]. */
export function acrossSeedsRows(ps: readonly PolicyAcrossSeeds[]): string[][] {
  const ref = ps.find((p) => p.vsReference)?.vsReference?.name;
  const row = (label: string, f: (p: PolicyAcrossSeeds) => string) => [label, ...ps.map(f)];
  return [
    row('policy', (p) => p.name),
    row('seeds × cases', (p) => `${p.seeds} × ${p.casesPerSeed}`),
    row('rank by net recovered', (p) => String(p.rank)),
    row('net recovered per case', (p) => formatInterval(p.netPerCase, usd)),
    row('recovered (count)', (p) => formatInterval(p.recoveredShare, pct)),
    row('recovered (amount)', (p) => formatInterval(p.amountShare, pct)),
    row('charges per case', (p) => formatInterval(p.chargesPerCase, n(2))),
    row('emails per case', (p) => formatInterval(p.emailsPerCase, n(2))),
    row('days to recovery p50', (p) => formatInterval(p.daysP50, n(1))),
    row('days to recovery p90', (p) => formatInterval(p.daysP90, n(1))),
    row('costs per case (attempts + fees)', (p) => formatInterval(p.costPerCase, usd)),
    row('network-rule violations', (p) => formatInterval(p.violations, n(1))),
    ...(ref
      ? [
          row(`vs ${ref}: recovered (pts)`, (p) => (p.vsReference ? formatInterval(p.vsReference.recoveredShare, pts) : '–')),
          row(`vs ${ref}: net per case`, (p) => (p.vsReference ? formatInterval(p.vsReference.netPerCase, signedUsd) : '–')),
          row(`vs ${ref}: charges per case`, (p) =>
            p.vsReference ? formatInterval(p.vsReference.chargesPerCase, signed(2)) : '–',
          ),
        ]
      : []),
  ];
}
