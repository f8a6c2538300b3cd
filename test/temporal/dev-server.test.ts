/**
 * The shared dev server started by test/setup/global-temporal.ts: the contract's search attributes
 * are registered, and a workflow that upserts them can be found with a visibility query.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { upsertAndComplete } from '../setup/fixtures/workflows';

describe('dev server', () => {
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('has every contract search attribute registered with its type', async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const expected = { Keyword: 2, Int: 3, Datetime: 6 }; // temporal.api.enums.v1.IndexedValueType
    for (const attribute of SEARCH_ATTRIBUTES) {
      expect(Number(customAttributes?.[attribute.name]), attribute.name).toBe(expected[attribute.cliType]);
    }
  });

  it('finds a workflow by its upserted DunningInvoiceId', async () => {
    const taskQueue = `dev-server-test-${randomUUID()}`;
    const invoiceId = `in_test_${randomUUID().replaceAll('-', '')}`;
    const workerConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection: workerConnection,
      namespace,
      taskQueue,
      workflowsPath: join(__dirname, '../setup/fixtures/workflows.ts'),
    });
    await worker.runUntil(
      client.workflow.execute(upsertAndComplete, { taskQueue, workflowId: `dunning-${invoiceId}`, args: [invoiceId, 'cus_test'] }),
    );
    await workerConnection.close();

    // Visibility is eventually consistent: poll briefly.
    const query = `DunningInvoiceId="${invoiceId}" AND DunningState="recovered"`;
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const execution of client.workflow.list({ query })) found.push(execution.workflowId);
      if (!found.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toEqual([`dunning-${invoiceId}`]);
  });
});
