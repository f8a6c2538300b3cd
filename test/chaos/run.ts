/**
 * `npm run chaos` (full) and `npm run chaos -- --short` (the run inside `npm test`, at most about
 * three minutes on two cores): the service as separate processes (tools/stack/localStack.ts)
 * with the compressed policy, against Stripe and Resend sandboxes that fail on demand and an app
 * endpoint that can be down, through every scenario of ./scenarios.ts. Prints one line per
 * scenario with its figures and a closing line `chaos: N passed, M failed`; exits 1 if any failed.
 * CHAOS_SEED repeats a run's random choices (the seed is printed).
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startLocalStack, type LocalStack } from '../../tools/stack/localStack';
import { parseEncryptionKeys } from '../../src/config';
import { encryptingDataConverter } from '../../src/temporal/dataConverter';
import { REPO_ROOT } from '../../tools/stack/processes';
import { OPEN_STATES } from '../../domain/types';
import { startAppEndpoint, type AppEndpoint } from './appEndpoint';
import {
  caseFigures,
  caseFiguresPass,
  describeCases,
  formatCaseFigures,
  isTerminalFate,
  keepSettling,
  logFigures,
  settlingEventIds,
  stillSettling,
} from '../../tools/chaos/checks';
import { ChaosDriver, mapLimit, sleep } from '../../tools/chaos/driver';
import { seededRandom } from '../support/fuzzEvents';
import * as scenario from './scenarios';
import type { ChaosSizes, ScenarioContext, ScenarioOutcome } from './scenarios';

export type ChaosMode = 'short' | 'full';

/** The scenario lines a run prints, in order, before the whole-namespace line and the closing line. */
export const SCENARIO_NAMES = [
  'worker SIGKILLs',
  'shuffled duplicated events',
  'fuzzed webhooks',
  'Stripe 5xx storm',
  'Resend 429 storm',
  'app endpoint down',
  'Stripe 429 storm',
  'Resend 5xx storm',
  'Stripe outage',
  'Temporal restart',
] as const;

interface ModeSettings extends ChaosSizes {
  /** Wait for the cases to settle until this many seconds after the start of the run, at the latest. */
  settleBySeconds: number;
  /**
   * How much longer to wait after settleBySeconds while cases are still closing (one closed in the
   * last SETTLE_STALL_MS): a loaded machine delays them; a stuck case fails all the same.
   */
  settleGraceSeconds: number;
  /** Every case must have ended (the compressed policy's end) before the checks. */
  allMustEnd: boolean;
}

/** After the planned settle deadline, keep waiting only while some case closed within this long. */
const SETTLE_STALL_MS = 20_000;
/** How long a case in the middle of ending (an open run whose state is final) may take to close. */
const ENDING_GRACE_MS = 30_000;

export const MODES: Record<ChaosMode, ModeSettings> = {
  short: {
    burstCases: 60,
    workerKills: 3,
    // Early enough that a kill in the middle of an activity (45 s to its timeout) is over before the checks.
    burstSeconds: 25,
    shuffledCases: 60,
    shuffledConcurrency: 4,
    fuzzEvents: 500,
    stormCases: 12,
    stormSeconds: 12,
    outageSeconds: 20,
    appDownSeconds: 15,
    restartCases: 12,
    temporalDownSeconds: 4,
    // Before the first cases reach the compressed policy's end (2m20s): checks see no case in the middle of ending.
    settleBySeconds: 135,
    // Past 2m20s, cases in the middle of their scheduled end are waited for too (stillSettling).
    settleGraceSeconds: 50,
    allMustEnd: false,
  },
  full: {
    burstCases: 500,
    workerKills: 20,
    burstSeconds: 240,
    shuffledCases: 1000,
    shuffledConcurrency: 10,
    fuzzEvents: 10_000,
    stormCases: 60,
    stormSeconds: 60,
    outageSeconds: 120,
    appDownSeconds: 120,
    restartCases: 60,
    temporalDownSeconds: 15,
    settleBySeconds: 1500,
    settleGraceSeconds: 300,
    allMustEnd: true,
  },
};

export interface ChaosReport {
  lines: string[];
  passed: number;
  failed: number;
  seed: number;
}

export async function runChaos(
  mode: ChaosMode,
  o: { seed?: number; out?: (line: string) => void; log?: (line: string) => void } = {},
): Promise<ChaosReport> {
  const started = Date.now();
  const settings = MODES[mode];
  const seed = o.seed ?? (Number(process.env.CHAOS_SEED) || Date.now() % 2 ** 31);
  const out = o.out ?? ((line: string) => console.log(line));
  const log = o.log ?? ((line: string) => console.error(`[chaos +${Math.round((Date.now() - started) / 1000)}s] ${line}`));
  // A directory per run: two runs at once (npm test beside npm run chaos) must not share a database.
  const runs = join(REPO_ROOT, '.data', 'chaos');
  pruneOldRuns(runs);
  const dataDir = join(runs, `${mode}-${new Date(started).toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });
  log(`${mode} run, seed ${seed}, data and logs in ${dataDir} (removed after a run that passes)`);
  let passedAll = false;

  let app: AppEndpoint | undefined;
  let stack: LocalStack | undefined;
  let connection: Connection | undefined;
  try {
    app = await startAppEndpoint();
    stack = await startLocalStack({
      dataDir,
      policyFile: join(REPO_ROOT, 'policies', 'compressed.json'),
      taskQueue: 'chaos',
      appWebhook: { url: app.url, secret: app.secret, ratePerSecond: 20 },
      emailRatePerSecond: 100,
      // Stripe redelivers for three days; these few minutes outlast a Temporal restart or an outage.
      webhookRetryDelaysMs: [1000, 2000, 4000, 8000, 15_000, 30_000, 60_000, 60_000, 60_000],
      webhookConcurrency: 4,
      log: (line) => log(`stack: ${line}`),
    });
    log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s: API ${stack.apiUrl}, Temporal ${stack.temporalAddress}`);
    connection = await Connection.connect({ address: stack.temporalAddress });
    // The workers encrypt: this client reads what they write with the same keys.
    const client = new Client({
      connection,
      namespace: stack.namespace,
      dataConverter: encryptingDataConverter(parseEncryptionKeys(stack.payloadEncryptionKeys)),
    });
    const ctx: ScenarioContext = {
      stack,
      driver: new ChaosDriver(stack),
      client,
      app,
      sizes: settings,
      rnd: seededRandom(seed),
      log,
    };

    const guarded = (name: string, run: () => Promise<ScenarioOutcome>) => async (): Promise<ScenarioOutcome> => {
      log(`${name}: start`);
      try {
        const outcome = await run();
        log(`${name}: done`);
        return outcome;
      } catch (err) {
        log(`${name}: crashed: ${err instanceof Error ? err.stack : String(err)}`);
        return { name, cases: [], figures: {}, problems: [`the scenario itself failed: ${(err as Error).message}`] };
      }
    };
    // Kills and shuffled deliveries run through the whole timeline; the fuzz goes first, alone with
    // them (no provider fault may excuse a 5xx); storms, the outage and the Temporal restart follow.
    const burst = guarded('worker SIGKILLs', () => scenario.workerKills(ctx))();
    const shuffled = guarded('shuffled duplicated events', () => scenario.shuffledEvents(ctx))();
    const outcomes: ScenarioOutcome[] = [];
    outcomes.push(await guarded('fuzzed webhooks', () => scenario.fuzz(ctx, seed))());
    outcomes.push(
      ...(await Promise.all([
        guarded('Stripe 5xx storm', () => scenario.stripe5xxStorm(ctx))(),
        guarded('Resend 429 storm', () => scenario.resend429Storm(ctx))(),
        guarded('app endpoint down', () => scenario.appEndpointDown(ctx))(),
      ])),
    );
    outcomes.push(
      ...(await Promise.all([
        guarded('Stripe 429 storm', () => scenario.stripe429Storm(ctx))(),
        guarded('Resend 5xx storm', () => scenario.resend5xxStorm(ctx))(),
      ])),
    );
    outcomes.push(await guarded('Stripe outage', () => scenario.stripeOutage(ctx))());
    outcomes.push(await guarded('Temporal restart', () => scenario.temporalRestart(ctx))());
    outcomes.unshift(...(await Promise.all([burst, shuffled])));

    // ---- settle: every case must exist (a webhook refused during an outage is delivered again),
    // and cases whose invoice was settled must close (all of them in a full run) ----------------
    const all = outcomes.flatMap((x) => x.cases);
    const mustClose = new Set(all.filter((c) => settings.allMustEnd || isTerminalFate(c.fate)).map((c) => c.invoiceId));
    const allIds = all.map((c) => c.invoiceId);
    const settleBy = started + settings.settleBySeconds * 1000;
    log(`settling: ${all.length} cases must exist, ${mustClose.size} of them close`);
    const settle = async (ids: readonly string[], closing: ReadonlySet<string>, by: number, hardStop: number) => {
      const clock = { settleBy: by, hardStop, lastProgressAt: Date.now(), stallMs: SETTLE_STALL_MS };
      let waiting = [...ids];
      while (waiting.length && keepSettling({ ...clock, now: Date.now() })) {
        try {
          const before = waiting.length;
          waiting = stillSettling(waiting, await describeCases(client, waiting), closing);
          if (waiting.length < before) clock.lastProgressAt = Date.now();
        } catch (err) {
          log(`settling: Temporal does not answer (${(err as Error).message}); waiting`);
        }
        if (waiting.length) await sleep(3000);
      }
      return waiting;
    };
    const waiting = await settle(allIds, mustClose, settleBy, settleBy + settings.settleGraceSeconds * 1000);
    const overtime = Math.max(0, Math.round((Date.now() - settleBy) / 1000));
    if (overtime) log(`settling took ${overtime} s longer than planned: cases were still closing (a slow machine)`);
    log(`settled (${waiting.length} not yet there or still open); checking`);
    // When the sandbox's deliveries settled each case (the suite's own deliveries noted it already).
    await mapLimit(
      all.filter((c) => isTerminalFate(c.fate) && c.settledAt === undefined),
      8,
      async (c) => {
        const records = await ctx.driver.eventsOf(c.customerId);
        const settling = settlingEventIds(
          records.map((r) => r.event),
          c,
        );
        const taken = records
          .filter((r) => settling.has(r.event.id))
          .flatMap((r) => r.delivery.attempts.filter((a) => a.status !== undefined && a.status >= 200 && a.status < 300))
          .map((a) => Date.parse(a.at) + a.durationMs);
        if (taken.length) c.settledAt = Math.min(...taken);
      },
    );
    // Cases that reached their scheduled end meanwhile may be in the middle of ending: wait for them.
    await settle(allIds, new Set(), Date.now(), Date.now() + ENDING_GRACE_MS);
    const [facts, messages, charges] = await Promise.all([
      describeCases(client, allIds),
      ctx.driver.messages(),
      ctx.driver.charges(),
    ]);

    const lines: string[] = [];
    let passed = 0;
    let failed = 0;
    for (const outcome of outcomes) {
      const f = outcome.cases.length ? caseFigures(outcome.cases, facts, messages, charges, settings.allMustEnd) : undefined;
      const ok = (!f || caseFiguresPass(f)) && outcome.problems.length === 0;
      if (ok) passed++;
      else failed++;
      const extra = Object.entries(outcome.figures).map(([k, v]) => `${k} ${v}`);
      lines.push(
        `chaos: ${outcome.name.padEnd(27)} ${ok ? 'PASS' : 'FAIL'}  ${[f && formatCaseFigures(f), ...extra].filter(Boolean).join(', ')}`,
      );
      for (const p of outcome.problems) log(`${outcome.name}: ${p}`);
      for (const e of f?.examples ?? []) log(`${outcome.name}: ${e}`);
    }

    // ---- the whole namespace: fuzzed cases and every other workflow too -------------------------
    await sleep(2000); // visibility is eventually consistent
    const count = async (query: string) => Number((await client.workflow.count(query)).count);
    const dunning = `WorkflowType = 'dunningWorkflow'`;
    const closedBadly = `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut')`;
    const open = OPEN_STATES.map((x) => `'${x}'`).join(', ');
    const runningEnded = `${dunning} AND ExecutionStatus = 'Running' AND DunningState NOT IN (${open})`;
    const closedOpen = `${dunning} AND ExecutionStatus != 'Running' AND DunningState IN (${open})`;
    // A run whose state is final but which is still open is in the middle of ending (fuzzed cases,
    // or cases that reached their scheduled end): a fault only if it does not close soon.
    const ending: string[] = [];
    for await (const w of client.workflow.list({ query: runningEnded })) ending.push(w.workflowId);
    const stuckEnding = await stillOpenAfter(client, ending, ENDING_GRACE_MS);
    const ns = {
      cases: await count(dunning),
      failed: await count(`${dunning} AND ${closedBadly}`),
      mismatch: stuckEnding.length + (await count(closedOpen)),
      otherFailed: await count(`WorkflowType != 'dunningWorkflow' AND ${closedBadly}`),
      open: await count(`${dunning} AND ExecutionStatus = 'Running'`),
    };
    const nsOk = ns.failed === 0 && ns.mismatch === 0 && ns.otherFailed === 0;
    for (const id of stuckEnding.slice(0, 3))
      log(`whole namespace: ${id} still open ${ENDING_GRACE_MS / 1000} s after its state became final`);
    for (const query of [`${dunning} AND ${closedBadly}`, closedOpen, `WorkflowType != 'dunningWorkflow' AND ${closedBadly}`]) {
      let shown = 0;
      for await (const w of client.workflow.list({ query })) {
        log(
          `whole namespace: ${w.workflowId} ${w.status.name} DunningState ${w.searchAttributes?.DunningState ?? '-'} (${query})`,
        );
        if (++shown >= 3) break;
      }
    }
    if (nsOk) passed++;
    else failed++;
    lines.push(
      `chaos: ${'whole namespace'.padEnd(27)} ${nsOk ? 'PASS' : 'FAIL'}  cases ${ns.cases} (open ${ns.open}), ended Failed ${ns.failed}, ` +
        `state≠run ${ns.mismatch}, other workflows ended Failed ${ns.otherFailed}, worker exits unasked ${stack.worker.unexpectedExits}, ` +
        `API exits unasked ${stack.api.unexpectedExits}, app events received ${app.events().length} (bad signatures ${app.badSignatures()}), ` +
        `emails ${messages.length}, charges ${charges.filter((c) => c.source === 'api').length}, seed ${seed}, ` +
        `${Math.round((Date.now() - started) / 1000)} s`,
    );

    // ---- the logs: every line the worker and API processes wrote is one JSON object ------------
    // Stopped first, so that their last lines (shutdown) are checked too.
    await stack.stop();
    const logs = logFigures(join(dataDir, 'logs'));
    const logsOk = logs.notJson === 0 && logs.lines > 0;
    if (logsOk) passed++;
    else failed++;
    for (const e of logs.examples) log(`JSON logs: not one JSON object: ${e}`);
    lines.push(
      `chaos: ${'JSON logs'.padEnd(27)} ${logsOk ? 'PASS' : 'FAIL'}  lines ${logs.lines} in ${logs.files} worker and API logs, ` +
        `not one JSON object ${logs.notJson}, last line cut by a SIGKILL ${logs.cutByKill}`,
    );
    lines.push(`chaos: ${passed} passed, ${failed} failed`);
    for (const line of lines) out(line);
    passedAll = failed === 0;
    return { lines, passed, failed, seed };
  } finally {
    await connection?.close().catch(() => undefined);
    await stack?.stop();
    await app?.close();
    if (passedAll) rmSync(dataDir, { recursive: true, force: true });
    log(`stopped everything after ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

/** The workflows of `ids` still running after up to `ms` of waiting for them to close. */
async function stillOpenAfter(client: Client, ids: readonly string[], ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  let open = [...ids];
  while (open.length) {
    const running = await mapLimit(
      open,
      8,
      async (id) => (await client.workflow.getHandle(id).describe()).status.name === 'RUNNING',
    );
    open = open.filter((_, i) => running[i]);
    if (!open.length || Date.now() >= until) break;
    await sleep(2000);
  }
  return open;
}

/** Runs kept for their logs go after a day. */
function pruneOldRuns(dir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (Date.now() - statSync(path).mtimeMs > 24 * 3600_000) rmSync(path, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const mode: ChaosMode = process.argv.includes('--short') || process.env.CHAOS_MODE === 'short' ? 'short' : 'full';
  // Interrupted: exit, so that the exit hooks kill every process the run started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  runChaos(mode).then(
    (report) => process.exit(report.failed ? 1 : 0),
    (err) => {
      console.error(err);
      console.log('chaos: 0 passed, 1 failed');
      process.exit(1);
    },
  );
}
