/**
 * What the Java time-skipping test server (tools/temporal/timeSkipping.ts) supports of what the service
 * uses: durable timers skipped, signals, signal-with-start, queries, updates (also from an
 * activity), and search attribute upserts (the helper registers the contract's attributes).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureActivities } from '../setup/fixtures/activities';
import {
  addUpdate,
  callsEntityFromActivity,
  entity,
  finishSignal,
  pingSignal,
  sleepsADay,
  totalQuery,
  upsertAndComplete,
} from '../setup/fixtures/workflows';
import { createTimeSkippingEnv } from '../../tools/temporal/timeSkipping';

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `time-skipping-${randomUUID()}`;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: join(__dirname, '../setup/fixtures/workflows.ts'),
      activities: createFixtureActivities(env.client, taskQueue),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('skips a day-long timer', async () => {
    const started = Date.now();
    await expect(env.client.workflow.execute(sleepsADay, { taskQueue, workflowId: randomUUID() })).resolves.toBe('woke');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('takes signals, signal-with-start, queries and updates, and skips a 30-day wait', async () => {
    const workflowId = randomUUID();
    const handle = await env.client.workflow.signalWithStart(entity, {
      taskQueue,
      workflowId,
      signal: pingSignal,
      signalArgs: [2],
    });
    await handle.signal(pingSignal, 3);
    expect(await handle.executeUpdate(addUpdate, { args: [10] })).toBe(15);
    // A validator's rejection comes back as WorkflowUpdateFailedError caused by its error.
    await expect(handle.executeUpdate(addUpdate, { args: [-1] })).rejects.toMatchObject({ cause: { message: 'negative' } });
    expect(await handle.query(totalQuery)).toBe(15);
    // Nobody sends `finish`: the 30-day condition timeout is skipped.
    expect(await handle.result()).toEqual({ total: 15, timedOut: true });
  });

  it('runs signalWithStart + executeUpdate from an activity', async () => {
    const entityId = randomUUID();
    const result = await env.client.workflow.execute(callsEntityFromActivity, {
      taskQueue,
      workflowId: randomUUID(),
      args: [entityId],
    });
    expect(result).toBe(8); // ping 1 on start, then add 7
    // Clean-up: under load the server may already have skipped past the entity's 30-day timeout.
    await env.client.workflow
      .getHandle(entityId)
      .signal(finishSignal)
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
  });

  it('accepts upserts of the contract search attributes', async () => {
    const invoiceId = `in_${randomUUID()}`;
    await expect(
      env.client.workflow.execute(upsertAndComplete, {
        taskQueue,
        workflowId: `dunning-${invoiceId}`,
        args: [invoiceId, 'cus_1'],
      }),
    ).resolves.toBe(invoiceId);
  });
});
