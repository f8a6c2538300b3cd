/**
 * A release on the real server (the dev server, 1.29.1): executions start on build A, build B
 * (with changed workflow code) is deployed and made current, and each execution ends as its
 * versioning behaviour promises: the auto-upgrading one (as every type of workflows/versioning.ts)
 * moves to B, the pinned one finishes on A, neither with a nondeterminism error. The server's own account of each
 * execution (describe: versioningInfo) is the proof. The versions are made current with
 * src/temporal/workerDeployment.ts, as every place that starts workers does.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createLogger } from '../../src/log';
import { installRuntime } from '../../src/temporal/runtime';
import { deploymentOptions, makeVersionCurrent, type WorkerDeploymentVersion } from '../../src/temporal/workerDeployment';
import { finishSignal } from './support/versioned/buildA';

installRuntime({ logger: createLogger({ level: 'warn' }) });

const { VersioningBehavior } = temporal.api.enums.v1;
const { EventType } = temporal.api.enums.v1;

const deploymentName = `versioning-test-${randomBytes(4).toString('hex')}`;
const taskQueue = deploymentName;
const buildA: WorkerDeploymentVersion = { deploymentName, buildId: 'build-a' };
const buildB: WorkerDeploymentVersion = { deploymentName, buildId: 'build-b' };

let connection: Connection;
let client: Client;
let workerConnection: NativeConnection;
const running: Array<{ worker: Worker; done: Promise<void> }> = [];
const namespace = () => inject('temporalNamespace');

async function startWorker(version: WorkerDeploymentVersion, file: string): Promise<void> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: join(__dirname, 'support', 'versioned', file),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  const worker = await Worker.create({
    ...deploymentOptions(version),
    connection: workerConnection,
    namespace: namespace(),
    taskQueue,
    workflowBundle,
  });
  running.push({ worker, done: worker.run() });
}

/** The server's versioning info of an execution: behaviour and the build that ran its last task. */
async function versioning(handle: WorkflowHandle): Promise<{ behavior: string; buildId?: string }> {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return {
    behavior: VersioningBehavior[info?.behavior ?? 0] ?? 'none',
    buildId: info?.deploymentVersion?.buildId ?? undefined,
  };
}

async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Workflow tasks that failed (a nondeterminism error fails the task, again and again). */
async function failedTasks(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .map((e) => String(e.workflowTaskFailedEventAttributes?.failure?.message));
}

beforeAll(async () => {
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: namespace() });
  workerConnection = await NativeConnection.connect({ address });
});

afterAll(async () => {
  for (const r of running) if (r.worker.getState() === 'RUNNING') r.worker.shutdown();
  await Promise.allSettled(running.map((r) => r.done));
  await workerConnection?.close();
  await connection?.close();
});

describe('a release from build A to build B', () => {
  it('moves the auto-upgrading execution to B and keeps the pinned one on A, without a nondeterminism error', async () => {
    await startWorker(buildA, 'buildA.ts');
    const first = await makeVersionCurrent(client.workflowService, buildA, { namespace: namespace(), policy: 'always' });
    expect(first).toEqual({ kind: 'made-current', previous: undefined });

    const id = randomBytes(3).toString('hex');
    const longCase = await client.workflow.start('longCase', { taskQueue, workflowId: `long-${id}` });
    const pinned = await client.workflow.start('pinnedHelper', { taskQueue, workflowId: `pinned-${id}` });
    // Each ran its first task on A, which recorded its behaviour.
    for (const h of [longCase, pinned]) {
      await eventually(async () => ((await versioning(h)).buildId === 'build-a' ? true : undefined), `${h.workflowId} on A`);
    }
    expect(await versioning(longCase)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE', buildId: 'build-a' });
    expect(await versioning(pinned)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: 'build-a' });

    // The deploy: B's workers start beside A's (A keeps running for what is pinned to it), and
    // B is made current.
    await startWorker(buildB, 'buildB.ts');
    const second = await makeVersionCurrent(client.workflowService, buildB, { namespace: namespace(), policy: 'always' });
    expect(second).toEqual({ kind: 'made-current', previous: 'build-a' });

    await longCase.signal(finishSignal);
    await pinned.signal(finishSignal);
    expect(await longCase.result()).toBe('B');
    expect(await pinned.result()).toBe('A');
    expect(await versioning(longCase)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE', buildId: 'build-b' });
    expect(await versioning(pinned)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: 'build-a' });
    expect(await failedTasks(longCase)).toEqual([]);
    expect(await failedTasks(pinned)).toEqual([]);

    // What starts now starts on B, pinned there.
    const later = await client.workflow.start('pinnedHelper', { taskQueue, workflowId: `later-${id}` });
    await eventually(async () => ((await versioning(later)).buildId === 'build-b' ? true : undefined), 'a new execution on B');
    await later.signal(finishSignal);
    expect(await later.result()).toBe('B');
  });

  it('a later build under policy "first" or "never" leaves the current version to the operator', async () => {
    const buildC: WorkerDeploymentVersion = { deploymentName, buildId: 'build-c' };
    await startWorker(buildC, 'buildB.ts');
    for (const policy of ['first', 'never'] as const) {
      expect(await makeVersionCurrent(client.workflowService, buildC, { namespace: namespace(), policy })).toEqual({
        kind: 'left',
        current: 'build-b',
      });
    }
    const described = await client.workflowService.describeWorkerDeployment({ namespace: namespace(), deploymentName });
    expect(described.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId).toBe('build-b');
  });
});
