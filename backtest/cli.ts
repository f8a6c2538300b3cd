/**
 * npm run backtest -- --policy A.json --policy B.json --cases N --seed S
 * npm run backtest -- --cohort backtest/cohorts/nsf-high.json --seeds 7,8,9 --cases N
 * npm run backtest -- --calibrate --cases N --seed S
 *
 * Runs the built-in policies (default, a fixed 8-in-14-days schedule, every day) and every policy
 * file given through the shipped workflow on the time-skipping server; prints the side-by-side
 * table and the calibration lines; writes JSON and an HTML page under DATA_DIR/backtest/.
 * Policy files and the network rules are validated first, like the service's policy file, and so
 * is the cohort file (--cohort, default backtest/cohorts/base.json). --seeds runs the same cohort
 * with each seed in turn and adds the table across seeds: means with 95% intervals, the policies
 * ranked by net recovered amount (backtest/acrossSeeds.ts).
 *
 * --calibrate runs ONLY the fixed schedule and prints ONLY the calibration lines (and the fixed
 * schedule's own recovery by cause and by day, to see which part of the model is off): the model is
 * calibrated on this before any comparison is looked at, then frozen (cohortModel.ts MODEL_VERSION).
 *
 * Time is driven explicitly (run.ts driveTime): the Java test server's own skipping jumps while
 * other workflows' tasks are queued, which expired them and wedged the server with concurrent cases.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { DunningPolicy } from '../domain/policy';
import { parsePolicy } from '../src/policyFile';
import { BUILTIN_POLICIES, CALIBRATION_POLICY, NAMED_ONLY_POLICIES } from './builtinPolicies';
import { OFFERS_MODEL } from './offers';
import { OTHER_CARDS_MODEL } from './otherCards';
import { acrossSeeds, acrossSeedsRows, type SeedRun } from './acrossSeeds';
import { BASE_COHORT_PATH, loadCohort, type Cohort } from './cohortFile';
import { DEFAULT_NETWORK_RULES_PATH, loadNetworkRules, type NetworkRules } from './networkRules';
import { writeAcrossSeeds, writeReports } from './output';
import { calibrationDetail, calibrationLines, offerCounterfactualLines, summarise, tableRows, terminalTable } from './report';
import { positiveWholeNumber } from './flags';
import { DEFAULT_SERVERS, runBacktest, type DriveStats } from './run';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      policy: { type: 'string', multiple: true, default: [] },
      cases: { type: 'string', default: '50' },
      seed: { type: 'string', default: '7' },
      /** Several seeds, comma-separated (7,8,9): one run each, then the table across seeds. */
      seeds: { type: 'string' },
      cohort: { type: 'string', default: BASE_COHORT_PATH },
      batch: { type: 'string', default: '100' },
      /** Test servers at once (BacktestOptions.servers). */
      servers: { type: 'string', default: String(DEFAULT_SERVERS) },
      'no-ledger': { type: 'boolean', default: false },
      rules: { type: 'string', default: DEFAULT_NETWORK_RULES_PATH },
      'no-builtins': { type: 'boolean', default: false },
      /** Only these built-ins (by name): one process per policy, merged with backtest/merge.ts. */
      builtin: { type: 'string', multiple: true, default: [] },
      calibrate: { type: 'boolean', default: false },
      /** Share of customers who take a last-chance offer (backtest/offers.ts); default the model's. */
      'offer-acceptance': { type: 'string' },
      'svg-dir': { type: 'string' },
    },
  });
  const cases = positiveWholeNumber('cases', values.cases);
  const seeds = seedList(values.seeds ?? values.seed!, values.seeds ? 'seeds' : 'seed');
  const servers = positiveWholeNumber('servers', values.servers);
  const rules = loadNetworkRules(values.rules);
  const cohort = loadCohort(values.cohort);
  const offerAcceptance = values['offer-acceptance'] === undefined ? undefined : shareOf(values['offer-acceptance']);
  if (values.calibrate) {
    if (seeds.length > 1) throw new Error('--calibrate takes one --seed');
    return calibrate(cohort, cases, seeds[0]!, Number(values.batch), servers, !values['no-ledger'], rules);
  }
  const only = values.builtin ?? [];
  const named = [...BUILTIN_POLICIES, ...NAMED_ONLY_POLICIES];
  for (const n of only) if (!named.some((p) => p.name === n)) throw new Error(`--builtin: no built-in policy '${n}'`);
  const policies = values['no-builtins'] ? [] : only.length ? named.filter((p) => only.includes(p.name)) : [...BUILTIN_POLICIES];
  for (const file of values.policy ?? []) {
    const parsed = parsePolicy(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.ok) throw new Error(`${file}:\n  ${parsed.errors.join('\n  ')}`);
    policies.push({ name: basename(file, '.json'), policy: parsed.policy });
  }
  if (!policies.length) throw new Error('no policy to run');

  const runs: SeedRun[] = [];
  for (const seed of seeds) {
    const result = await runBacktest({
      policies,
      cases,
      seed,
      cohort,
      batch: Number(values.batch),
      servers,
      ledger: !values['no-ledger'],
      rules,
      offerAcceptance,
      progress: (l) => console.error(`seed ${seed}: ${l}`),
    });
    const summaries = result.policies.map((p) => summarise(p.name, p.cases, rules, cohort.params));
    const calibration = calibrationLines(summaries, CALIBRATION_POLICY);
    if (seeds.length > 1) console.log(`seed ${seed}:`);
    console.log(terminalTable(tableRows(summaries)));
    console.log('');
    for (const l of calibration) console.log(l);
    console.log(`model: ${cohort.name} (${cohort.file})`);
    if (policies.some((p) => p.policy.otherCards)) console.log(OTHER_CARDS_MODEL);
    if (policies.some((p) => makesOffer(p.policy))) {
      console.log(
        offerAcceptance === undefined ? OFFERS_MODEL : `${OFFERS_MODEL} (overridden: --offer-acceptance ${offerAcceptance})`,
      );
      for (const l of offerCounterfactualLines(result.policies)) console.log(l);
    }
    console.log(
      `wall time: ${(result.wallMs / 1000).toFixed(1)} s for ${cases} cases × ${policies.length} policies; ${driveLine(result.drive)}`,
    );
    const files = writeReports(result, summaries, calibration, rules, { cases, svgDir: values['svg-dir'] });
    console.log(`written: ${files.json}, ${files.html}, ${files.svg}`);
    runs.push({ seed, summaries });
  }
  if (runs.length > 1) {
    const across = acrossSeeds(runs, CALIBRATION_POLICY);
    console.log('');
    console.log(`across seeds ${seeds.join(', ')} (mean [95% interval]), model ${cohort.name}, best net recovered first:`);
    console.log(terminalTable(acrossSeedsRows(across)));
    const files = writeAcrossSeeds(cohort.name, seeds, cases, across, { svgDir: values['svg-dir'] });
    console.log(`written: ${files.json}, ${files.svg}`);
  }
}

/** A policy with an offer step in any of its schedules. */
const makesOffer = (p: DunningPolicy): boolean =>
  [p.steps, ...Object.values(p.byCategory ?? {}).map((o) => o.steps), ...(p.overrides ?? []).map((o) => o.policy.steps)].some(
    (steps) => steps?.some((st) => st.action === 'offer'),
  );

/** A share between 0 and 1 (`0.1`). */
function shareOf(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new Error(`--offer-acceptance: '${value}' is not a share between 0 and 1 (0.05 is 5 %)`);
  return n;
}

/** `7` or `7,8,9`: whole numbers, each once. */
function seedList(value: string, flag: string): number[] {
  const seeds = value.split(',').map((s) => Number(s.trim()));
  if (!seeds.length || seeds.some((s) => !Number.isInteger(s)) || value.trim() === '')
    throw new Error(`--${flag}: '${value}' is not a whole number or a comma-separated list of them`);
  if (new Set(seeds).size !== seeds.length) throw new Error(`--${flag}: '${value}' names a seed twice`);
  return seeds;
}

const driveLine = (d: DriveStats) =>
  `clock: ${d.steps} steps, ${d.queries} queries; wall s waiting for idle workers ${(d.idleWaitMs / 1000).toFixed(1)}, querying ${(d.queryMs / 1000).toFixed(1)}, moving the clock ${(d.sleepMs / 1000).toFixed(1)}`;

/** The fixed schedule alone: the calibration lines and what they are made of, nothing else. */
async function calibrate(
  cohort: Cohort,
  cases: number,
  seed: number,
  batch: number,
  servers: number,
  ledger: boolean,
  rules: NetworkRules,
): Promise<void> {
  const fixed = BUILTIN_POLICIES.find((p) => p.name === CALIBRATION_POLICY)!;
  const result = await runBacktest({
    policies: [fixed],
    cases,
    seed,
    cohort,
    batch,
    servers,
    ledger,
    rules,
    progress: (l) => console.error(l),
  });
  const s = summarise(fixed.name, result.policies[0]!.cases, rules, cohort.params);
  for (const l of calibrationLines([s], CALIBRATION_POLICY)) console.log(l);
  for (const l of calibrationDetail(s)) console.log(l);
  console.log(
    `model: ${cohort.name}; ${cases} cases, seed ${seed}, ${(result.wallMs / 1000).toFixed(1)} s; ${driveLine(result.drive)}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`backtest: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
