/**
 * `npm run bench`: the service's speed and scale on the chaos suite's multi-process stack
 * (tools/stack: Temporal dev server or an existing cluster, standalone Stripe sandbox and Resend
 * outbox, one or more workers and an API as separate processes) plus a floor worker (bench/floor). Prints one table, writes
 * bench/results/latest.json. Every ratio compares two figures measured in this run, under the
 * same load of the shared machine: compare ratios, not absolute figures, between runs.
 *
 * Flags (bench/flags.ts) size each phase; docs/benchmarks.md has the full-size command.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parseEncryptionKeys } from '../src/config';
import { encryptingDataConverter } from '../src/temporal/dataConverter';
import { startLocalStack, type LocalStack } from '../tools/stack/localStack';
import { REPO_ROOT, startChild, type Child } from '../tools/stack/processes';
import { workflowIdForInvoice } from '../domain/messages';
import { ChaosDriver, mapLimit, sleep } from '../tools/chaos/driver';
import { type Bench, firstEmailTimes, newFailedInvoices, rssMb } from './context';
import { burstDrain } from './drain';
import { floorShapeOf, floorToLastActivity, serviceToFirstEmail } from './firstEmail';
import { parseFlags } from './flags';
import { ingestPaced, ingestPeak } from './ingest';
import { memoryWith } from './memory';
import { clusterRoots, cpuSnapshot, cpuSpent } from './cpu';
import { describeShape } from './historyShape';
import { pacerDrain } from './pacerDrain';
import { pathCosts } from './pathCosts';
import { round } from './stats';
import { formatTable, type Row } from './table';

/** High enough that neither the task queue's limit nor the pacer is what phase 2 measures. */
const NO_EMAIL_LIMIT = '1000';
const FLOOR_TASK_QUEUE = 'bench-floor';

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const started = Date.now();
  const log = (line: string) => console.error(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${line}`);
  const dataDir = join(REPO_ROOT, '.data', 'bench', `${new Date(started).toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });

  let stack: LocalStack | undefined;
  let connection: Connection | undefined;
  let floor: Child | undefined;
  let ok = false;
  // Filled in once the stack is up; the stack reads workerEnv at every worker start.
  const b = { workerEnv: { EMAIL_RATE_LIMIT: NO_EMAIL_LIMIT } } as unknown as Bench;
  try {
    stack = await startLocalStack({
      dataDir,
      // On a shared cluster, a queue of its own: cases of earlier runs are neither run nor counted.
      taskQueue: flags.temporal ? `bench-${started}` : 'dunning',
      ...(flags.temporal ? { temporalAddress: flags.temporal } : {}),
      workers: flags.workers,
      workerEnv: () => b.workerEnv,
      log: (l) => log(`stack: ${l}`),
    });
    connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({
      connection,
      namespace: stack.namespace,
      dataConverter: encryptingDataConverter(parseEncryptionKeys(stack.payloadEncryptionKeys)),
    });
    Object.assign(b, { stack, driver: new ChaosDriver(stack), client, log });
    floor = startChild({
      name: 'floor-worker',
      file: 'bench/floor/worker.ts',
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: stack.temporalAddress,
        FLOOR_TASK_QUEUE,
        PAYLOAD_ENCRYPTION_KEYS: stack.payloadEncryptionKeys,
      },
      readyPattern: /^floor worker ready/,
      logFile: join(dataDir, 'logs', 'floor-worker.log'),
    });
    await floor.ready;
    log(`stack ready: Temporal ${stack.temporalAddress}, ${flags.workers} worker(s), API ${stack.apiUrl}`);
    // On `npm run cluster`'s cluster the server and PostgreSQL are not the bench's children: count them too.
    const serverRoots = flags.temporal ? clusterRoots() : [];
    const cpuNow = () => cpuSnapshot(serverRoots);
    const opened: string[] = [];

    // ---- 1. ingest at full speed -------------------------------------------------------------------
    const peakInvoices = await newFailedInvoices(b, flags.ingest * 2);
    const peak = await ingestPeak(b, peakInvoices, flags.concurrency);
    opened.push(...peakInvoices.map((i) => i.invoiceId));
    log(
      `ingest peak: webhook ${peak.webhookPerSecond.toFixed(1)}/s, raw ${peak.rawPerSecond.toFixed(1)}/s; waiting for the backlog`,
    );
    await waitForIdle(b, opened);

    // ---- 2. failure → first email vs the floor -------------------------------------------------------
    const caseInvoices = await newFailedInvoices(b, flags.cases);
    const cpuBefore = cpuNow();
    const service = await serviceToFirstEmail(b, caseInvoices, flags.concurrency);
    const serviceCpu = cpuSpent(cpuBefore, cpuNow());
    opened.push(...caseInvoices.map((i) => i.invoiceId));
    const shape = await floorShapeOf(b, caseInvoices[0]!.invoiceId);
    log(`first email: service ${service.casesPerSecond.toFixed(1)} cases/s; floor shape ${describeShape(shape)}`);
    const floorCpuBefore = cpuNow();
    const floorFigures = await floorToLastActivity(b, FLOOR_TASK_QUEUE, shape, flags.cases, flags.concurrency);
    const floorCpu = cpuSpent(floorCpuBefore, cpuNow());
    log(`first email: floor ${floorFigures.casesPerSecond.toFixed(1)} cases/s`);
    await waitForIdle(b, opened);

    // ---- 1b. acks paced at half of the sustained end-to-end rate ---------------------------------------
    const pacedRate = Math.max(1, service.casesPerSecond / 2);
    const pacedInvoices = await newFailedInvoices(b, Math.max(20, Math.round(pacedRate * 10)));
    const paced = await ingestPaced(b, pacedInvoices, pacedRate);
    opened.push(...pacedInvoices.map((i) => i.invoiceId));
    await waitForIdle(b, opened);

    // ---- 3. bursts drained at the default 2/s and at 50/s, then one with a worker SIGKILLed ---------------
    const drains = [];
    for (const [burst, rate, killOneAt] of [
      [flags.burstSlow, 2, undefined],
      [flags.burst, 50, undefined],
      [flags.workers >= 2 ? flags.killBurst : 0, 50, 0.3],
    ] as const) {
      if (!burst) continue;
      const drainCpuBefore = cpuNow();
      const d = await burstDrain(b, burst, rate, flags.concurrency, killOneAt === undefined ? {} : { killOneAt });
      const cpu = cpuSpent(drainCpuBefore, cpuNow());
      log(
        `drain at ${rate}/s: ${d.drainPerSecond.toFixed(2)}/s (${d.emailed} of ${d.burst} emailed, ${d.duplicateEmails} duplicates)`,
      );
      drains.push({ ...d, cpu });
    }
    b.workerEnv = { ...b.workerEnv, EMAIL_RATE_LIMIT: NO_EMAIL_LIMIT };
    const pacer = [await pacerDrain(2, 5), await pacerDrain(50, 5)];

    // ---- 4. memory with N open sleeping cases (--open 0: skipped) ----------------------------------------
    const ids = flags.open ? await openCasesIds(b, flags.open, flags.concurrency) : [];
    const rssAfterWork = await rssMb(b.stack.worker.pid());
    // The service's default cache against a cache that holds every open case (or --cache N).
    const memory = flags.open ? [await memoryWith(b, ids, 'default'), await memoryWith(b, ids, flags.cache || ids.length)] : [];

    // ---- 5. per path ------------------------------------------------------------------------------------
    const paths = pathCosts();

    const rows: Row[] = [
      [
        '1 ingest peak',
        'webhook / raw signalWithStart',
        `${round(peak.webhookPerSecond, 1)} / ${round(peak.rawPerSecond, 1)} per s`,
        round(peak.ratio),
        '≥ 0.9',
      ],
      [
        '1 ingest paced',
        `ack p50, p99 at ${round(paced.ratePerSecond, 1)}/s: webhook`,
        `${paced.webhook.p50}, ${paced.webhook.p99} ms`,
        '',
        '',
      ],
      ['', 'raw signalWithStart', `${paced.raw.p50}, ${paced.raw.p99} ms`, round(paced.p99Ratio), 'p99 ≤ 1.5×'],
      [
        '2 failure → first email',
        `service: cases/s, p50, p99 (${flags.cases} cases)`,
        `${round(service.casesPerSecond, 1)}, ${service.p50}, ${service.p99} ms`,
        '',
        '',
      ],
      [
        '',
        `floor (${describeShape(shape)})`,
        `${round(floorFigures.casesPerSecond, 1)}, ${floorFigures.p50}, ${floorFigures.p99} ms`,
        round(service.casesPerSecond / floorFigures.casesPerSecond),
        '≥ 0.8',
      ],
      ['2 CPU seconds by process', 'service phase', formatCpu(serviceCpu), '', ''],
      ['', 'floor phase', formatCpu(floorCpu), '', ''],
      ...drains.flatMap((d): Row[] =>
        d.killed
          ? [
              [
                `3 SIGKILL mid-burst at ${d.configuredPerSecond}/s`,
                `${d.burst} failures, ${d.workers} workers, one killed after ${d.killed.afterEmails} emails: acked, lost, duplicate emails; drain time`,
                `${d.acked}, ${d.burst - d.emailed}, ${d.duplicateEmails}; ${round(d.drainMs / 1000, 1)} s (killed at ${round(d.killed.atMs / 1000, 1)} s)`,
                '',
                'lost 0, duplicates 0',
              ],
              ['', 'CPU seconds by process', formatCpu(d.cpu), '', ''],
            ]
          : [
              [
                `3 burst drain at ${d.configuredPerSecond}/s`,
                `${d.burst} failures, ${d.workers} worker(s): acked, emailed; steady drain (overall)`,
                `${d.acked}, ${d.emailed}; ${round(d.drainPerSecond)} (${round(d.overallPerSecond)}) per s`,
                round(d.ratio),
                '≥ 0.9',
              ],
              ['', 'CPU seconds by process', formatCpu(d.cpu), '', ''],
            ],
      ),
      ...pacer.map((p, i): Row => [
        i ? '' : '3 the pacer alone',
        `${p.sends} sends at ${i ? 50 : 2}/s through activities/email/pacer.ts`,
        `${round(p.perSecond)} per s`,
        round(p.ratio),
        '≥ 0.9',
      ]),
      ...(flags.open
        ? [
            [
              '4 memory',
              `${flags.workers > 1 ? 'first ' : ''}worker RSS after the run, ${ids.length} open cases`,
              `${Math.round(rssAfterWork)} MB`,
              '',
              '',
            ] satisfies Row,
          ]
        : []),
      ...memory.map((m): Row => [
        '',
        `cache ${m.cache}: RSS with every case woken once; query p50 cached / first cases again`,
        `${Math.round(m.rssMb)} MB; ${m.warmP50} / ${m.secondAskFirstP50} ms`,
        '',
        '≤ 300 MB at 10,000',
      ]),
      ...paths.map((p): Row => [
        '5 per case',
        p.path,
        `${p.events} events, ${p.workflowTasks} workflow tasks, ${p.actions} actions`,
        '',
        '',
      ]),
    ];
    const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other work; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`;
    const temporal = flags.temporal ? `cluster at ${flags.temporal}` : 'dev server';
    console.log(formatTable(rows));
    console.log(
      `machine: ${machine}; Temporal: ${temporal}; sizes: ${JSON.stringify(flags)}; ${Math.round((Date.now() - started) / 1000)} s`,
    );
    const resultsDir = join(__dirname, 'results');
    mkdirSync(resultsDir, { recursive: true });
    // The default run's file stays latest.json; a cluster or multi-worker run does not overwrite it.
    const resultsFile =
      flags.results ??
      (flags.temporal || flags.workers > 1 ? `${flags.temporal ? 'cluster' : 'dev'}-${flags.workers}w.json` : 'latest.json');
    writeFileSync(
      join(resultsDir, resultsFile),
      JSON.stringify(
        {
          at: new Date(started).toISOString(),
          machine,
          temporal,
          flags,
          peak,
          paced,
          service,
          floor: { shape, ...floorFigures },
          drains,
          memory: { rssAfterWork, openCases: ids.length, settings: memory },
          paths,
        },
        null,
        2,
      ) + '\n',
    );
    ok = true;
  } finally {
    await floor?.stop();
    await connection?.close().catch(() => undefined);
    await stack?.stop();
    if (ok) rmSync(dataDir, { recursive: true, force: true });
    else log(`logs kept in ${dataDir}`);
  }
}

const formatCpu = (spent: Array<[string, number]>) => spent.map(([role, s]) => `${role} ${s.toFixed(1)}`).join(', ');

/** Until every listed case has sent its first email, so that one phase's backlog does not slow the next. */
async function waitForIdle(b: Bench, invoiceIds: readonly string[]): Promise<void> {
  const times = await firstEmailTimes(b, invoiceIds, 180_000);
  if (times.size < invoiceIds.length) b.log(`${invoiceIds.length - times.size} cases still without a first email`);
  await sleep(1000);
}

/** Workflow ids of the open cases, topped up by webhook to `n` (in order of start: oldest first). */
async function openCasesIds(b: Bench, n: number, concurrency: number): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of b.client.workflow.list({
    query: `WorkflowType = 'dunningWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${b.stack.taskQueue}'`,
  }))
    ids.push(w.workflowId);
  if (ids.length < n) {
    const more = await newFailedInvoices(b, n - ids.length);
    await mapLimit(more, concurrency, (inv) => b.driver.deliver(inv.body));
    await waitForIdle(
      b,
      more.map((i) => i.invoiceId),
    );
    ids.reverse().push(...more.map((i) => workflowIdForInvoice(i.invoiceId)));
    return ids;
  }
  return ids.reverse();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
