/**
 * npm run backtest -- --policy A.json --policy B.json --cases N --seed S
 * npm run backtest -- --calibrate --cases N --seed S
 *
 * Runs the built-in policies (default, a fixed 8-in-14-days schedule, every day) and every policy
 * file given through the shipped workflow on the time-skipping server; prints the side-by-side
 * table and the calibration lines; writes JSON and an HTML page under DATA_DIR/backtest/.
 * Policy files and the network rules are validated first, like the service's policy file.
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
import { parsePolicy } from '../src/policyFile';
import { BUILTIN_POLICIES, CALIBRATION_POLICY } from './builtinPolicies';
import { MODEL_VERSION } from './cohortModel';
import { OTHER_CARDS_MODEL } from './otherCards';
import { DEFAULT_NETWORK_RULES_PATH, loadNetworkRules, type NetworkRules } from './networkRules';
import { writeReports } from './output';
import { calibrationDetail, calibrationLines, summarise, tableRows, terminalTable } from './report';
import { positiveWholeNumber } from './flags';
import { DEFAULT_SERVERS, runBacktest, type DriveStats } from './run';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      policy: { type: 'string', multiple: true, default: [] },
      cases: { type: 'string', default: '50' },
      seed: { type: 'string', default: '7' },
      batch: { type: 'string', default: '100' },
      /** Test servers at once (BacktestOptions.servers). */
      servers: { type: 'string', default: String(DEFAULT_SERVERS) },
      'no-ledger': { type: 'boolean', default: false },
      rules: { type: 'string', default: DEFAULT_NETWORK_RULES_PATH },
      'no-builtins': { type: 'boolean', default: false },
      /** Only these built-ins (by name): one process per policy, merged with backtest/merge.ts. */
      builtin: { type: 'string', multiple: true, default: [] },
      calibrate: { type: 'boolean', default: false },
      'svg-dir': { type: 'string' },
    },
  });
  const cases = positiveWholeNumber('cases', values.cases);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed: '${values.seed}' is not a whole number`);
  const servers = positiveWholeNumber('servers', values.servers);
  const rules = loadNetworkRules(values.rules);
  if (values.calibrate) return calibrate(cases, seed, Number(values.batch), servers, !values['no-ledger'], rules);
  const only = values.builtin ?? [];
  for (const n of only) if (!BUILTIN_POLICIES.some((p) => p.name === n)) throw new Error(`--builtin: no built-in policy '${n}'`);
  const policies = values['no-builtins'] ? [] : BUILTIN_POLICIES.filter((p) => !only.length || only.includes(p.name));
  for (const file of values.policy ?? []) {
    const parsed = parsePolicy(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.ok) throw new Error(`${file}:\n  ${parsed.errors.join('\n  ')}`);
    policies.push({ name: basename(file, '.json'), policy: parsed.policy });
  }
  if (!policies.length) throw new Error('no policy to run');

  const result = await runBacktest({
    policies,
    cases,
    seed,
    batch: Number(values.batch),
    servers,
    ledger: !values['no-ledger'],
    rules,
    progress: (l) => console.error(l),
  });
  const summaries = result.policies.map((p) => summarise(p.name, p.cases, rules));
  const calibration = calibrationLines(summaries, CALIBRATION_POLICY);
  console.log(terminalTable(tableRows(summaries)));
  console.log('');
  for (const l of calibration) console.log(l);
  console.log(`model: ${MODEL_VERSION}`);
  if (policies.some((p) => p.policy.otherCards)) console.log(OTHER_CARDS_MODEL);
  console.log(
    `wall time: ${(result.wallMs / 1000).toFixed(1)} s for ${cases} cases × ${policies.length} policies; ${driveLine(result.drive)}`,
  );

  const files = writeReports(result, summaries, calibration, rules, { cases, svgDir: values['svg-dir'] });
  console.log(`written: ${files.json}, ${files.html}, ${files.svg}`);
}

const driveLine = (d: DriveStats) =>
  `clock: ${d.steps} steps, ${d.queries} queries; wall s waiting for idle workers ${(d.idleWaitMs / 1000).toFixed(1)}, querying ${(d.queryMs / 1000).toFixed(1)}, moving the clock ${(d.sleepMs / 1000).toFixed(1)}`;

/** The fixed schedule alone: the calibration lines and what they are made of, nothing else. */
async function calibrate(
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
    batch,
    servers,
    ledger,
    rules,
    progress: (l) => console.error(l),
  });
  const s = summarise(fixed.name, result.policies[0]!.cases, rules);
  for (const l of calibrationLines([s], CALIBRATION_POLICY)) console.log(l);
  for (const l of calibrationDetail(s)) console.log(l);
  console.log(
    `model: ${MODEL_VERSION}; ${cases} cases, seed ${seed}, ${(result.wallMs / 1000).toFixed(1)} s; ${driveLine(result.drive)}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`backtest: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
