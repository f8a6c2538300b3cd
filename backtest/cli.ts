/**
 * npm run backtest -- --policy A.json --policy B.json --cases N --seed S
 *
 * Runs the built-in policies (default, a fixed 8-in-14-days schedule, every day) and every policy
 * file given through the shipped workflow on the time-skipping server; prints the side-by-side
 * table and the calibration lines; writes JSON and an HTML page under DATA_DIR/backtest/.
 * Policy files and the network rules are validated first, like the service's policy file.
 *
 * Time is driven explicitly (run.ts driveTime): the Java test server's own skipping jumps while
 * other workflows' tasks are queued, which expired them and wedged the server with concurrent cases.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePolicy } from '../src/policyFile';
import { BUILTIN_POLICIES } from './builtinPolicies';
import { DEFAULT_NETWORK_RULES_PATH, loadNetworkRules } from './networkRules';
import { calibrationLines, htmlReport, summarise, tableRows, terminalTable } from './report';
import { runBacktest } from './run';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      policy: { type: 'string', multiple: true, default: [] },
      cases: { type: 'string', default: '50' },
      seed: { type: 'string', default: '7' },
      batch: { type: 'string', default: '100' },
      'no-ledger': { type: 'boolean', default: false },
      rules: { type: 'string', default: DEFAULT_NETWORK_RULES_PATH },
      'no-builtins': { type: 'boolean', default: false },
    },
  });
  const cases = Number(values.cases);
  const seed = Number(values.seed);
  if (!Number.isInteger(cases) || cases < 1) throw new Error(`--cases: '${values.cases}' is not a positive whole number`);
  if (!Number.isInteger(seed)) throw new Error(`--seed: '${values.seed}' is not a whole number`);
  const rules = loadNetworkRules(values.rules);
  const policies = values['no-builtins'] ? [] : [...BUILTIN_POLICIES];
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
    ledger: !values['no-ledger'],
    progress: (l) => console.error(l),
  });
  const summaries = result.policies.map((p) => summarise(p.name, p.cases, rules));
  const calibration = calibrationLines(summaries, 'fixed-8-in-14d');
  console.log(terminalTable(tableRows(summaries)));
  console.log('');
  for (const l of calibration) console.log(l);
  console.log(`wall time: ${(result.wallMs / 1000).toFixed(1)} s for ${cases} cases × ${policies.length} policies`);

  const dir = resolve(process.env.DATA_DIR || '.data', 'backtest');
  mkdirSync(dir, { recursive: true });
  const stem = `backtest-seed${seed}-n${cases}`;
  writeFileSync(
    join(dir, `${stem}.json`),
    JSON.stringify(
      {
        seed,
        cases,
        startedAt: new Date(result.startedAt).toISOString(),
        wallMs: result.wallMs,
        rulesVersion: rules.checkedOn,
        calibration,
        policies: summaries,
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, `${stem}.html`), htmlReport(result, summaries, calibration));
  console.log(`written: ${join(dir, `${stem}.json`)}, ${join(dir, `${stem}.html`)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`backtest: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
