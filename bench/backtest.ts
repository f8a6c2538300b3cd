/**
 * `npm run bench:backtest -- --cases 2000`: the run time of the back-test (backtest/) at a given
 * size, with the three built-in policies on the same cohort, and what bounds it. Prints the wall
 * time, cases × policies per second, simulated days per wall second, CPU seconds of the Java
 * time-skipping server against this process (the workers running the shipped workflow, the
 * simulated Stripe/Resend/customers and the clock driver), and where the driver's wall time went
 * (waiting for idle workers, asking cases for their next step, the server moving its clock).
 * Writes the back-test's own report files too (backtest/output.ts), so a measured run is also the
 * run whose table docs/backtest.md shows; and bench/results/backtest-<cases>x<policies>.json.
 *
 * A measurement: run it under `flock /tmp/dunning-bench.lock` (no other benchmark at the same time)
 * and `nice -n 10` on the shared machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILTIN_POLICIES, CALIBRATION_POLICY } from '../backtest/builtinPolicies';
import { loadCohort } from '../backtest/cohortFile';
import { loadNetworkRules } from '../backtest/networkRules';
import { writeReports } from '../backtest/output';
import { calibrationLines, summarise, tableRows, terminalTable } from '../backtest/report';
import { positiveWholeNumber } from '../backtest/flags';
import { DEFAULT_BATCHES_PER_SERVER, DEFAULT_SERVERS, runBacktest } from '../backtest/run';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createTimeSkippingEnv } from '../tools/temporal/timeSkipping';
import { cpuSnapshot, cpuSpent, type CpuSnapshot } from './cpu';

const DAY = 86_400_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '200' },
      seed: { type: 'string', default: '7' },
      batch: { type: 'string', default: '100' },
      'batches-per-server': { type: 'string', default: String(DEFAULT_BATCHES_PER_SERVER) },
      servers: { type: 'string', default: String(DEFAULT_SERVERS) },
      'svg-dir': { type: 'string' },
    },
  });
  const cases = positiveWholeNumber('cases', values.cases);
  const seed = Number(values.seed);
  const batch = Number(values.batch);
  const batchesPerServer = positiveWholeNumber('batches-per-server', values['batches-per-server']);
  const lanes = positiveWholeNumber('servers', values.servers);
  const rules = loadNetworkRules();
  const cohort = loadCohort();
  const policies = [...BUILTIN_POLICIES];
  const load0 = loadavg()[0]!;

  // The servers are made here, not by runBacktest, so that each Java server's CPU time can be read
  // before it exits (runBacktest replaces its server every few batches); the SDK's runtime first,
  // quiet (runBacktest's own install comes too late).
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const before = cpuSnapshot();
  const seen: CpuSnapshot = new Map();
  const remember = () => {
    for (const [pid, v] of cpuSnapshot()) seen.set(pid, v);
  };
  let servers = 0;
  const newEnv = async () => {
    const env = await createTimeSkippingEnv();
    servers += 1;
    const teardown = env.teardown.bind(env);
    env.teardown = async () => {
      remember();
      await teardown();
    };
    return env;
  };
  const result = await runBacktest({
    policies,
    cases,
    seed,
    cohort,
    batch,
    batchesPerServer,
    servers: lanes,
    newEnv,
    rules,
    progress: (l) => console.error(l),
  });
  remember();
  const cpu = cpuSpent(before, seen);
  const load1 = loadavg()[0]!;

  const summaries = result.policies.map((p) => summarise(p.name, p.cases, rules, cohort.params));
  const calibration = calibrationLines(summaries, CALIBRATION_POLICY);
  const files = writeReports(result, summaries, calibration, rules, { cases, svgDir: values['svg-dir'] });

  const wallS = result.wallMs / 1000;
  const runs = cases * policies.length;
  const cpuTotal = cpu.reduce((s, [, v]) => s + v, 0);
  const cores = cpus().length;
  const d = result.drive;
  const figures = {
    cases,
    policies: policies.map((p) => p.name),
    seed,
    batch,
    batchesPerServer,
    serversAtOnce: lanes,
    serversStarted: servers,
    modelVersion: result.cohort,
    wallSeconds: round(wallS),
    casePoliciesPerSecond: round(runs / wallS, 2),
    simulatedDays: round(result.simulatedMs / DAY),
    simulatedDaysPerWallSecond: round(result.simulatedMs / DAY / wallS, 2),
    cpuSecondsByProcess: Object.fromEntries(cpu.map(([k, v]) => [k, round(v)])),
    cpuShareOfMachine: round(cpuTotal / (wallS * cores), 2),
    cores,
    loadAverage1m: { start: round(load0, 2), end: round(load1, 2) },
    drive: {
      steps: d.steps,
      queries: d.queries,
      idleWaitSeconds: round(d.idleWaitMs / 1000),
      querySeconds: round(d.queryMs / 1000),
      clockMoveSeconds: round(d.sleepMs / 1000),
      // Each server's driver steps its own clock: with several at once, the seconds below add up
      // across them (more than the wall time), and a step takes this long on its server.
      wallSecondsPerStep: round((wallS * lanes) / Math.max(1, d.steps), 3),
    },
  };

  console.log(terminalTable(tableRows(summaries)));
  console.log('');
  for (const l of calibration) console.log(l);
  console.log('');
  console.log(
    `back-test run time: ${cases} cases × ${policies.length} policies (seed ${seed}, batch ${batch}, model ${cohort.name}; ${lanes} test servers at once, ${servers} started, ${batchesPerServer} batches each)`,
  );
  console.log(`  wall time                 ${wallS.toFixed(1)} s (${(wallS / 60).toFixed(1)} min)`);
  console.log(`  cases × policies / s      ${figures.casePoliciesPerSecond}`);
  console.log(`  simulated days / wall s   ${figures.simulatedDaysPerWallSecond} (${figures.simulatedDays} simulated days)`);
  console.log(`  CPU s by process          ${cpu.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  console.log(
    `  CPU used                  ${(100 * figures.cpuShareOfMachine).toFixed(0)}% of ${cores} cores; 1-min load ${load0.toFixed(1)} → ${load1.toFixed(1)} (shared machine)`,
  );
  console.log(
    `  clock driver              ${d.steps} steps (${figures.drive.wallSecondsPerStep} wall s each on its server; seconds summed over the servers): waiting for idle workers ${figures.drive.idleWaitSeconds} s, asking ${d.queries} cases their next step ${figures.drive.querySeconds} s, server moving the clock ${figures.drive.clockMoveSeconds} s`,
  );
  const out = join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `backtest-${cases}x${policies.length}.json`);
  writeFileSync(file, JSON.stringify(figures, null, 2));
  console.log(`written: ${file}, ${files.json}, ${files.html}, ${files.svg}`);
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:backtest: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
