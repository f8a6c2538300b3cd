/**
 * The Temporal Runtime's telemetry as the service installs it (src/temporal/runtime.ts): every SDK,
 * workflow and activity log line one JSON object with the case's invoiceId, workflowId and runId;
 * a retried activity one short line per attempt, without a stack; the SDK's Prometheus metrics
 * scrapeable once a worker ran a task. Its own process (vitest forks), so its runtime is its own.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createLogger } from '../../src/log';
import { activityLogInterceptor } from '../../src/temporal/activityLogInterceptor';
import { installRuntime, loopbackMetricsAddress, sdkMetricsText } from '../../src/temporal/runtime';
import { deploymentOptions, makeVersionCurrent } from '../../src/temporal/workerDeployment';
import { WORKFLOW_LOG_INTERCEPTORS_PATH } from '../../src/worker';
import type { FlakyActivities } from './support/telemetryWorkflows';

const lines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _enc, done) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});
const logger = createLogger({ level: 'info', destination: capture });

const invoiceId = `in_telemetry${randomBytes(4).toString('hex')}`;
const taskQueue = `telemetry-${randomBytes(4).toString('hex')}`;
let result: string;
let runId: string;
let metricsText: string;

beforeAll(async () => {
  installRuntime({ logger, metricsAddress: await loopbackMetricsAddress() });
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const activities: FlakyActivities = {
    async flakyCharge() {
      const { attempt } = Context.current().info;
      if (attempt < 3) throw ApplicationFailure.retryable(`Stripe 503 on attempt ${attempt}`, 'StripeUnavailable');
      return 'charged';
    },
  };
  // Versioned as the service's worker is (src/temporal/workerDeployment.ts): a deployment of its own.
  const deployment = { deploymentName: taskQueue, buildId: 'telemetry' };
  const worker = await Worker.create({
    ...deploymentOptions(deployment),
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowsPath: join(__dirname, 'support', 'telemetryWorkflows.ts'),
    activities,
    interceptors: { workflowModules: [WORKFLOW_LOG_INTERCEPTORS_PATH], activity: [activityLogInterceptor] },
  });
  const clientConnection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection: clientConnection, namespace: inject('temporalNamespace') });
  await worker.runUntil(async () => {
    await makeVersionCurrent(client.workflowService, deployment, { namespace: inject('temporalNamespace'), policy: 'always' });
    const handle = await client.workflow.start('flakyCaseWorkflow', {
      taskQueue,
      workflowId: `dunning-${invoiceId}`,
      args: [invoiceId],
    });
    runId = handle.firstExecutionRunId;
    result = await handle.result();
    // Scraped while the worker still runs: its slot gauges are there too.
    metricsText = await sdkMetricsText();
  });
  Runtime.instance().flushLogs();
  await clientConnection.close();
  await connection.close();
}, 90_000);

afterAll(() => capture.destroy());

const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the Temporal Runtime telemetry', () => {
  it('writes every line as one JSON object', () => {
    expect(result).toBe('charged');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });

  it('logs a retried activity as one short line per attempt, with the case ids and no stack', () => {
    const failed = parsed().filter((l) => l.msg === 'Activity failed');
    expect(failed.map((l) => l.attempt)).toEqual([1, 2]);
    for (const line of failed) {
      expect(line).toMatchObject({
        level: 'warn',
        activityType: 'flakyCharge',
        invoiceId,
        workflowId: `dunning-${invoiceId}`,
        runId,
        error: { type: 'StripeUnavailable', message: `Stripe 503 on attempt ${String(line.attempt)}` },
      });
      expect(line).not.toHaveProperty('taskToken');
      expect(line).not.toHaveProperty('workflowRunId');
      expect(line.error).not.toHaveProperty('stack');
      expect(JSON.stringify(line).length).toBeLessThan(800);
    }
  });

  it("gives workflow log lines the invoiceId beside the SDK's workflowId and runId", () => {
    const done = parsed().find((l) => l.msg === 'flaky case done');
    expect(done).toMatchObject({
      sdkComponent: 'workflow',
      invoiceId,
      workflowId: `dunning-${invoiceId}`,
      runId,
      result: 'charged',
    });
  });

  it("serves the SDK's Prometheus metrics once a worker ran a task", () => {
    expect(metricsText).toMatch(/^temporal_workflow_completed\{/m);
    expect(metricsText).toMatch(/^temporal_activity_execution_failed\{/m);
    expect(metricsText).toMatch(/^temporal_workflow_task_execution_latency_bucket\{/m);
    expect(metricsText).toMatch(/^temporal_worker_task_slots_available\{/m);
  });

  it('installs the runtime once: a second call with other settings keeps the first and says so', () => {
    const before = lines.length;
    expect(() => installRuntime({ logger: createLogger({ level: 'warn', destination: capture }) })).not.toThrow();
    const said = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(said).toEqual([expect.objectContaining({ msg: 'Temporal runtime already installed: keeping its settings' })]);
  });
});
