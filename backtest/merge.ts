/**
 * npx tsx backtest/merge.ts a.json b.json c.json [--svg-dir docs]
 * npx tsx backtest/merge.ts seed7.json seed8.json seed9.json     (runs of several seeds)
 *
 * One table from runs made apart, e.g. one process per policy (`npm run backtest -- --builtin
 * default`, ...) so that the runs use both cores: every run with the same seed, case count and
 * batch size meets the same cohort at the same moments (cohortModel.ts batchFailsAt), so their
 * summaries sit side by side as if from one run. Refuses runs that differ in any of those, in the
 * model version or in the network rules file's version (a run file without its batch size, from
 * before it was recorded, is refused too). Runs of several seeds (otherwise alike) are put side
 * by side per seed, then across the seeds as `--seeds` does (backtest/acrossSeeds.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { acrossSeeds, acrossSeedsRows } from './acrossSeeds';
import { CALIBRATION_POLICY } from './builtinPolicies';
import { calibrationLines, recoveryChartSvg, tableRows, terminalTable, type PolicySummary } from './report';

interface RunFile {
  seed: number;
  cases: number;
  wallMs: number;
  modelVersion: string;
  batch?: number;
  rulesVersion?: string;
  policies: PolicySummary[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'svg-dir': { type: 'string' } } });
const runs = positionals.map((f) => JSON.parse(readFileSync(f, 'utf8')) as RunFile);
if (runs.length === 0) throw new Error('no run files');
const first = runs[0]!;
for (const [i, r] of runs.entries()) {
  if (r.batch === undefined)
    throw new Error(`${positionals[i]}: no batch size recorded (a run file from before it was): run it again`);
  const key = (x: RunFile) => `${x.cases} cases, batch ${x.batch}, model ${x.modelVersion}, rules ${x.rulesVersion ?? '?'}`;
  if (key(r) !== key(first)) throw new Error(`${positionals[i]}: ${key(r)}; not ${key(first)} as ${positionals[0]}`);
}
const seeds = [...new Set(runs.map((r) => r.seed))];
const summaries = runs.filter((r) => r.seed === first.seed).flatMap((r) => r.policies);
if (seeds.length > 1) {
  const bySeed = seeds.map((seed) => ({ seed, summaries: runs.filter((r) => r.seed === seed).flatMap((r) => r.policies) }));
  console.log(`across seeds ${seeds.join(', ')} (mean [95% interval]), model ${first.modelVersion}, best net recovered first:`);
  console.log(terminalTable(acrossSeedsRows(acrossSeeds(bySeed, CALIBRATION_POLICY))));
  console.log('');
  console.log(`seed ${first.seed}:`);
}
const calibration = calibrationLines(summaries, CALIBRATION_POLICY);
console.log(terminalTable(tableRows(summaries)));
console.log('');
for (const l of calibration) console.log(l);
console.log(
  `model: ${first.modelVersion}; wall time of each run: ${runs.map((r) => `${(r.wallMs / 1000).toFixed(0)} s`).join(', ')}`,
);
const dir = resolve(values['svg-dir'] ?? join(process.env.DATA_DIR || '.data', 'backtest'));
mkdirSync(dir, { recursive: true });
const svg = join(dir, `backtest-${first.cases}.svg`);
writeFileSync(
  svg,
  recoveryChartSvg(summaries, `${first.cases} cases per policy, seed ${first.seed}, model ${first.modelVersion}`),
);
console.log(`written: ${svg}`);
