/**
 * The worker: the main task queue runs the workflows and the Stripe/app activities; emails run on
 * `<queue>-email`, whose task-queue-wide rate limit keeps a burst of failures under the email
 * provider's limit however many workers run.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type WorkflowBundlePath,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { InjectedSinks } from '@temporalio/worker';
import type { Resend } from 'resend';
import type Stripe from 'stripe';
import {
  createActivities,
  createAppEventActivities,
  createCardExpiryActivities,
  createCardExpiryEmailActivities,
  createEmailActivities,
  type ActivityDeps,
} from '../activities';
import { appEventsTaskQueue, emailTaskQueue } from '../domain/taskQueues';
import type { AppWebhookTarget } from '../activities/appEvents';
import type { EmailSettings } from '../activities/email/dunningEmail';
import type { CaseEndStore } from '../domain/caseEndRecord';
import type { NetworkRules } from '../domain/networkRules';
import { memoryCaseEndStore } from './experiments/caseEndStores';
import { unencryptedPayloadsIgnored } from '../activities/metrics';
import type { UnencryptedPayloadSinks } from '../domain/unencryptedPayloads';
import type { WorkerMemory } from './config';
import { activityLogInterceptor } from './temporal/activityLogInterceptor';
import { FAILURE_CONVERTER_PATH } from './temporal/dataConverter';
import { deploymentOptions, type WorkerDeploymentVersion } from './temporal/workerDeployment';

export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows', 'index.ts');
/** Adds `invoiceId` to the workflows' log lines: bundled with them (workflows/logInterceptors.ts). */
export const WORKFLOW_LOG_INTERCEPTORS_PATH = join(__dirname, '..', 'workflows', 'logInterceptors.ts');
/** Ignores starts, signals and Updates whose payload came unencrypted (production): workflows/unencryptedInputs.ts. */
export const WORKFLOW_UNENCRYPTED_INTERCEPTORS_PATH = join(__dirname, '..', 'workflows', 'unencryptedInputs.ts');

export interface WorkerDeps {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  taskQueue: string;
  stripe: Stripe;
  resend: Resend;
  email: EmailSettings;
  emailRatePerSecond: number;
  /** The SMS channel (TWILIO_*); unset: off, sms steps are recorded as `sms_off`. */
  sms?: ActivityDeps['sms'];
  appWebhook?: AppWebhookTarget & { ratePerSecond?: number };
  /** The card networks' rules file (NETWORK_RULES_FILE), checked at start: the card ledger enforces it. */
  networkRules: NetworkRules;
  /** Where cases write their end records (src/experiments/caseEndStores.ts); unset: kept in memory (tests). */
  caseEnds?: CaseEndStore;
  /**
   * A prebuilt bundle: in memory (tests build it once per file) or a file written by
   * `npm run build:workflows` (WORKFLOW_BUNDLE_PATH); otherwise the workflows are bundled at start.
   */
  workflowBundle?: WorkflowBundleWithSourceMap | WorkflowBundlePath;
  /**
   * Payload encryption (src/temporal/dataConverter.ts `workerDataConverter`: in production it
   * hands the workflows unencrypted payloads as a marker they ignore); undefined: payloads in clear
   * (the workflow tests on the time-skipping server).
   */
  dataConverter?: DataConverter;
  /** WORKER_* as the config read them; undefined: the defaults below. */
  memory?: WorkerMemory;
  /**
   * The Worker Deployment Version all three workers poll as (src/temporal/workerDeployment.ts);
   * undefined: unversioned (WORKER_VERSIONING=off, the time-skipping server). Versioned,
   * they get workflow tasks only once the version is current: call makeVersionCurrent after run().
   */
  deployment?: WorkerDeploymentVersion;
}

/**
 * Workflows kept in the worker's sticky cache by default. A dunning case sleeps for days between
 * steps, so a cached one is memory held for nothing; the cache only needs the cases busy right
 * now (a case's first steps follow each other within seconds, and an evicted case replays its
 * history when it is next woken). The SDK's default is sized from the heap (about 2,300 on a
 * machine with 24 GB) and kept every open case. `npm run bench` measures the resident memory and
 * what a wake-up of an evicted case costs (docs/benchmarks.md).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

/** WORKER_MAX_CACHED_WORKFLOWS (0 turns the sticky cache off), else the default above. */
export function maxCachedWorkflows(memory: WorkerMemory = {}): number {
  return memory.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS;
}

/**
 * The heap of the thread that runs the workflows (a V8 isolate of its own, started by
 * Worker.create). With V8's default (4 GB on this 24 GB machine) V8 had no reason to collect:
 * 300 cases woken once left the worker at 332 MB with a cache of 100, 299 MB with this cap (and
 * 376 MB with every case cached, as before WORKER_MAX_CACHED_WORKFLOWS reached the SDK).
 * A bigger cache gets a bigger heap: 1 MB per cached workflow above the default cache (the SDK's
 * own estimate), so that WORKER_MAX_CACHED_WORKFLOWS=2000 does not run the thread out of memory.
 * WORKER_WORKFLOW_HEAP_MB overrides the old space (0: V8's default, no flags at all).
 */
export const DEFAULT_WORKFLOW_HEAP_MB = 256;

export function workflowHeapFlags(memory: WorkerMemory = {}): string[] {
  const forCache = DEFAULT_WORKFLOW_HEAP_MB + Math.max(0, maxCachedWorkflows(memory) - DEFAULT_MAX_CACHED_WORKFLOWS);
  const mb = memory.workflowHeapMb ?? forCache;
  // A small young generation too: 1 MB semi-spaces instead of 16 (what a workflow task allocates is short-lived).
  return mb ? [`--max-old-space-size=${mb}`, '--max-semi-space-size=1'] : [];
}

/** Deliveries per second to the app when none is configured (APP_WEBHOOK_RATE_LIMIT's default). */
const DEFAULT_APP_EVENT_RATE = 10;

export interface DunningWorkers {
  run(): Promise<void>;
  shutdown(): void;
}

export { appEventsTaskQueue, emailTaskQueue } from '../domain/taskQueues';

/**
 * The workflows' failure converter encodes messages and stack traces into a payload, which the
 * worker's codec (when it has one) encrypts; without a codec that payload is plain JSON, which any
 * client reads, so one bundle serves both.
 */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    workflowInterceptorModules: [WORKFLOW_LOG_INTERCEPTORS_PATH, WORKFLOW_UNENCRYPTED_INTERCEPTORS_PATH],
    logger: quietBundlerLogger,
  });
}

/** Where `npm run build:workflows` writes the bundle unless told otherwise. */
export const DEFAULT_WORKFLOW_BUNDLE_PATH = join(__dirname, '..', 'dist', 'workflow-bundle.js');

/** What the bundle is built from: the workflows and the deterministic domain code they import. */
const WORKFLOW_SOURCE_DIRS = ['workflows', 'domain'];

/**
 * A bundle file for `workflowBundle` (the source map is inline in the code). Bundling takes
 * seconds of CPU at every start; a restarted worker that loads a file is ready at once. A bundle
 * older than the workflow sources runs old code on new histories, so that is said loudly.
 */
export function workflowBundleFile(codePath: string, warn: (line: string) => void = console.warn): WorkflowBundlePath {
  const builtAt = statSync(codePath).mtimeMs;
  const newer: string[] = [];
  for (const name of WORKFLOW_SOURCE_DIRS) {
    const dir = join(__dirname, '..', name);
    let sources: string[] = [];
    try {
      sources = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    } catch {
      // an image that ships the bundle without the sources: nothing to compare with
    }
    newer.push(...sources.filter((f) => statSync(join(dir, f)).mtimeMs > builtAt).map((f) => `${name}/${f}`));
  }
  if (newer.length) {
    warn(
      `workflow bundle ${codePath} is older than ${newer.slice(0, 5).join(', ')}${newer.length > 5 ? ', …' : ''}: run npm run build:workflows`,
    );
  }
  return { codePath };
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string, meta?: unknown) => console.warn(m, meta ?? ''),
  error: (m: string, meta?: unknown) => console.error(m, meta ?? ''),
};

/** Counts what workflows/unencryptedInputs.ts ignored (the SDK skips sinks on replay by default). */
const unencryptedPayloadSinks: InjectedSinks<UnencryptedPayloadSinks> = {
  unencryptedPayloads: {
    ignored: { fn: (_info, what) => unencryptedPayloadsIgnored.inc({ kind: what.kind, name: what.name }) },
  },
};

export async function createWorkers(deps: WorkerDeps): Promise<DunningWorkers> {
  const workflowBundle = deps.workflowBundle ?? (await bundleWorkflows());
  // Every activity's log lines name its invoice (the SDK adds workflow and run).
  const interceptors = { activity: [activityLogInterceptor] };
  // One version for the three: the activities of a pinned workflow go to its own build's workers.
  const versioning = deploymentOptions(deps.deployment);
  const main = await Worker.create({
    ...versioning,
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    workflowBundle,
    dataConverter: deps.dataConverter,
    interceptors,
    sinks: unencryptedPayloadSinks,
    maxCachedWorkflows: maxCachedWorkflows(deps.memory),
    activities: {
      ...createActivities({
        stripe: deps.stripe,
        temporal: deps.client,
        taskQueue: deps.taskQueue,
        appWebhook: deps.appWebhook,
        networkRules: deps.networkRules,
        caseEnds: deps.caseEnds ?? memoryCaseEndStore(),
        sms: deps.sms,
      }),
      ...createCardExpiryActivities({ stripe: deps.stripe, temporal: deps.client, taskQueue: deps.taskQueue }),
    },
  });
  const email = await Worker.create({
    ...versioning,
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: emailTaskQueue(deps.taskQueue),
    dataConverter: deps.dataConverter,
    interceptors,
    activities: {
      ...createEmailActivities(deps.resend, deps.email, deps.emailRatePerSecond),
      ...createCardExpiryEmailActivities(deps.resend, deps.email, deps.emailRatePerSecond),
    },
    maxTaskQueueActivitiesPerSecond: deps.emailRatePerSecond,
  });
  // Events to the app: a task-queue-wide pace, so an endpoint that is down is not hammered by the
  // retries of every case at once.
  const appEvents = await Worker.create({
    ...versioning,
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: appEventsTaskQueue(deps.taskQueue),
    dataConverter: deps.dataConverter,
    interceptors,
    activities: createAppEventActivities(deps.appWebhook),
    maxTaskQueueActivitiesPerSecond: deps.appWebhook?.ratePerSecond ?? DEFAULT_APP_EVENT_RATE,
  });
  const workers = [main, email, appEvents];
  return {
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
    },
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
