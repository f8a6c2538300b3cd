/**
 * An experiment's results per arm, from the end records its cases wrote (domain/caseEndRecord.ts)
 * and, when visibility can say it, how many are still open. Pure: the API, the dashboard, the CLI
 * and the metrics all show what this computes.
 *
 * Every ended case counts in its arm's rate (recovered ÷ ended), cancelled ones too: an arm may
 * change how many customers cancel, and leaving those out would hide it (intention to treat).
 */
import type { CaseEndRecord } from './caseEndRecord';
import { HOLDOUT_ARM, type ExperimentSettings } from './experiment';
import { sampleSizePerArm, twoProportionZTest, wilsonInterval, type Interval, type ZTest } from './experimentStats';

export interface ArmResult {
  arm: string;
  /** Ended cases (with an end record). */
  cases: number;
  /** Still open (visibility's count); undefined when not counted. */
  open?: number;
  recovered: number;
  /** Recovered amount by currency, minor units (never added across currencies). */
  recoveredAmount: Record<string, number>;
  /** recovered ÷ cases; undefined without cases. */
  rate?: number;
  /** Its Wilson interval at 1 - alpha (95 % by default). */
  interval?: Interval;
  /** Against the holdout (absent for the holdout itself, or while either is empty). */
  vsHoldout?: ZTest & { significant: boolean };
  chargesPerCase?: number;
  emailsPerCase?: number;
  /** Days from the first failure to the recovery, over the recovered cases. */
  daysToRecovery?: { median: number; mean: number };
}

export interface ExperimentResult {
  experimentId: string;
  settings: ExperimentSettings;
  /** The holdout first, then the arms in the experiment's order, then any others its records name. */
  arms: ArmResult[];
  /** Ended cases each arm needs (and the holdout too) to show `settings.minimumEffect` (power calculation). */
  neededPerArm: number;
  /** Too small a sample, no holdout: read the figures with these in mind. */
  warnings: string[];
}

/** One experiment as shown: its results, and whether it is the one new cases are assigned to (DUNNING_EXPERIMENT). */
export type ExperimentReport = ExperimentResult & { running: boolean };

/** Below this many ended holdout cases its rate is too rough to size the test: the worst case (0.5) is assumed. */
const BASELINE_MIN_CASES = 30;

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function armOf(arm: string, records: CaseEndRecord[], alpha: number, open: number | undefined): ArmResult {
  const recoveredRecords = records.filter((r) => r.state === 'recovered');
  const recoveredAmount: Record<string, number> = {};
  for (const r of recoveredRecords) recoveredAmount[r.currency] = (recoveredAmount[r.currency] ?? 0) + r.recoveredAmount;
  const n = records.length;
  const days = recoveredRecords.map((r) => r.daysToRecovery).filter((d): d is number => d !== undefined);
  return {
    arm,
    cases: n,
    ...(open === undefined ? {} : { open }),
    recovered: recoveredRecords.length,
    recoveredAmount,
    ...(n
      ? {
          rate: recoveredRecords.length / n,
          interval: wilsonInterval(recoveredRecords.length, n, alpha),
          chargesPerCase: records.reduce((s, r) => s + r.charges, 0) / n,
          emailsPerCase: records.reduce((s, r) => s + r.emails, 0) / n,
        }
      : {}),
    ...(days.length ? { daysToRecovery: { median: median(days), mean: mean(days) } } : {}),
  };
}

const points = (x: number): string => `${Math.round(x * 1000) / 10} points`;

export function experimentResult(input: {
  experimentId: string;
  settings: ExperimentSettings;
  /** The experiment's arms in its order (the holdout included); unset: those the records name. */
  arms?: readonly string[];
  records: readonly CaseEndRecord[];
  /** Open cases per arm (visibility); unset: not counted. */
  open?: Readonly<Record<string, number>>;
}): ExperimentResult {
  const { settings } = input;
  const byArm = new Map<string, CaseEndRecord[]>();
  for (const name of [HOLDOUT_ARM, ...(input.arms ?? [])]) byArm.set(name, []);
  for (const r of input.records) {
    if (r.experiment?.experimentId !== input.experimentId) continue;
    const list = byArm.get(r.experiment.arm) ?? [];
    list.push(r);
    byArm.set(r.experiment.arm, list);
  }
  const arms = [...byArm].map(([name, records]) => armOf(name, records, settings.alpha, input.open?.[name]));
  const holdout = arms.find((a) => a.arm === HOLDOUT_ARM)!;
  for (const a of arms) {
    if (a === holdout) continue;
    const test = twoProportionZTest(a.recovered, a.cases, holdout.recovered, holdout.cases);
    if (test) a.vsHoldout = { ...test, significant: test.pValue < settings.alpha };
  }

  const baseline = holdout.cases >= BASELINE_MIN_CASES && holdout.rate !== undefined ? holdout.rate : 0.5;
  const neededPerArm = sampleSizePerArm(baseline, settings.minimumEffect, settings.alpha, settings.power);
  const warnings: string[] = [];
  if (holdout.cases === 0) warnings.push('no ended case in the holdout yet: nothing to compare with');
  const short = arms.filter((a) => a.cases < neededPerArm);
  if (short.length) {
    warnings.push(
      `sample too small to show a difference of ${points(settings.minimumEffect)} ` +
        `(alpha ${settings.alpha}, power ${settings.power}): ${neededPerArm} ended cases needed per arm; ` +
        short.map((a) => `${a.arm} has ${a.cases}`).join(', ') +
        '. A difference found before then may be chance; none found proves nothing.',
    );
  }
  // Recovered cases end within days, unrecovered ones at the policy's end: while cases are open,
  // the ended ones over-represent recoveries, more so in an arm whose schedule ends later.
  const open = arms.reduce((sum, a) => sum + (a.open ?? 0), 0);
  if (open > 0) {
    warnings.push(
      `${open} case${open === 1 ? ' is' : 's are'} still open: the rates count ended cases only, and recoveries end ` +
        'sooner than the rest, so each rate leans high until the cases of the period have ended; ' +
        'compare the arms once they have (stop assigning, then wait for the longest schedule).',
    );
  }
  return { experimentId: input.experimentId, settings, arms, neededPerArm, warnings };
}

/** Days to recovery as people read them: `3.2 d`, hours under a day, minutes under an hour (compressed demo policies). */
export function daysLabel(days: number | undefined): string {
  if (days === undefined) return '–';
  if (days >= 1) return `${days.toFixed(1)} d`;
  return days * 24 >= 1 ? `${(days * 24).toFixed(1)} h` : `${(days * 1440).toFixed(1)} min`;
}
