/**
 * `npm run cases -- experiments`: the answer of `GET /api/experiments` checked with zod and
 * printed as one table per experiment, with its warnings. Pure.
 */
import { z } from 'zod';
import { daysLabel } from '../../domain/experimentResults';
import { formatAmount } from '../../domain/presentation';

const interval = z.object({ low: z.number(), high: z.number() });
const arm = z
  .object({
    arm: z.string(),
    cases: z.number(),
    open: z.number().optional(),
    recovered: z.number(),
    recoveredAmount: z.record(z.number()),
    rate: z.number().optional(),
    interval: interval.optional(),
    vsHoldout: z.object({ difference: z.number(), z: z.number(), pValue: z.number(), significant: z.boolean() }).optional(),
    chargesPerCase: z.number().optional(),
    emailsPerCase: z.number().optional(),
    daysToRecovery: z.object({ median: z.number(), mean: z.number() }).optional(),
  })
  .passthrough();
const experiment = z
  .object({
    experimentId: z.string(),
    running: z.boolean(),
    settings: z.object({ minimumEffect: z.number(), alpha: z.number(), power: z.number() }),
    arms: z.array(arm),
    neededPerArm: z.number(),
    warnings: z.array(z.string()),
  })
  .passthrough();
const answer = z.object({ experiments: z.array(experiment) });

export type ExperimentsAnswer = z.infer<typeof answer>;

export function readExperiments(body: unknown): ExperimentsAnswer {
  const r = answer.safeParse(body);
  if (!r.success) throw new Error(`the API's answer is not the experiments' results: ${r.error.issues[0]?.message ?? ''}`);
  return r.data;
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const fixed = (x: number | undefined, d = 2) => (x === undefined ? '–' : x.toFixed(d));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatExperiments(a: ExperimentsAnswer): string {
  if (a.experiments.length === 0) return 'no experiment: set DUNNING_EXPERIMENT to start one (docs/policy.md)';
  return a.experiments
    .map((x) => {
      const head = `experiment ${x.experimentId} (${x.running ? 'running' : 'stopped'}): alpha ${x.settings.alpha}, power ${x.settings.power}, minimum effect ${(x.settings.minimumEffect * 100).toFixed(1)} points, ${x.neededPerArm} ended cases needed per arm`;
      const rows = [
        [
          'arm',
          'ended',
          'open',
          'recovered',
          'rate',
          '95% interval',
          'vs holdout',
          'p-value',
          'amount',
          'charges/case',
          'emails/case',
          'to recovery (median)',
        ],
        ...x.arms.map((r) => [
          r.arm,
          String(r.cases),
          r.open === undefined ? '–' : String(r.open),
          String(r.recovered),
          pct(r.rate),
          r.interval ? `${pct(r.interval.low)}–${pct(r.interval.high)}` : '–',
          r.vsHoldout
            ? `${r.vsHoldout.difference >= 0 ? '+' : ''}${(r.vsHoldout.difference * 100).toFixed(1)} pts`
            : r.arm === 'holdout'
              ? 'baseline'
              : '–',
          r.vsHoldout
            ? `${r.vsHoldout.pValue < 0.001 ? '<0.001' : r.vsHoldout.pValue.toFixed(3)}${r.vsHoldout.significant ? ' *' : ''}`
            : '',
          Object.entries(r.recoveredAmount)
            .sort(([c1], [c2]) => c1.localeCompare(c2))
            .map(([c, v]) => formatAmount(v, c, 'en'))
            .join(' ') || '–',
          fixed(r.chargesPerCase),
          fixed(r.emailsPerCase),
          daysLabel(r.daysToRecovery?.median),
        ]),
      ];
      const warnings = x.warnings.map((w) => `warning: ${w}`);
      return [head, table(rows), ...warnings, '* significant at alpha against the holdout'].join('\n');
    })
    .join('\n\n');
}
