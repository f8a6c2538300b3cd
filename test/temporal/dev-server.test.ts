/**
 * The shared dev server started by test/setup/global-temporal.ts: the contract's search attributes
 * are registered, and a workflow that upserts them can be found with a visibility query.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEV_SERVER_PID_FILE, NAMESPACE_RETENTION_DAYS } from '../../tools/temporal/devServer';
import { freePort, isListening } from '../../tools/toolchain/ports';
import { isAlive, listeningProcess } from '../../tools/toolchain/processInfo';
import { SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';
import { deploymentOptions, makeVersionCurrent } from '../../src/temporal/workerDeployment';
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

  it('keeps closed cases at least 35 days (start-dev creates the namespace with 24 h)', async () => {
    const { config } = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(config?.workflowExecutionRetentionTtl?.seconds)).toBeGreaterThanOrEqual(NAMESPACE_RETENTION_DAYS * 86_400);
    expect(NAMESPACE_RETENTION_DAYS).toBeGreaterThanOrEqual(35);
  });

  it('finds a workflow by its upserted DunningInvoiceId', async () => {
    const taskQueue = `dev-server-test-${randomUUID()}`;
    const invoiceId = `in_test_${randomUUID().replaceAll('-', '')}`;
    const workerConnection = await NativeConnection.connect({ address });
    // Versioned as the service's worker is (src/temporal/workerDeployment.ts): a deployment of its own.
    const deployment = { deploymentName: taskQueue, buildId: 'dev-server-test' };
    const worker = await Worker.create({
      ...deploymentOptions(deployment),
      connection: workerConnection,
      namespace,
      taskQueue,
      workflowsPath: join(__dirname, '../setup/fixtures/workflows.ts'),
    });
    await worker.runUntil(async () => {
      await makeVersionCurrent(client.workflowService, deployment, { namespace, policy: 'always' });
      await client.workflow.execute(upsertAndComplete, {
        taskQueue,
        workflowId: `dunning-${invoiceId}`,
        args: [invoiceId, 'cus_test'],
      });
    });
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

/**
 * Issue #7 item 6: `kill -9` of `npm start` leaves its dev server running. The start path runs in
 * a child process (scripts/dev-server.ts: the same startServiceDevServer as `npm start`), which is
 * SIGKILLed like a crashed `npm start`; the next start must stop what it left behind, not attach to it.
 */
describe('dev server lifecycle across a crash', () => {
  const repo = join(__dirname, '..', '..');
  const dataDir = mkdtempSync(join(tmpdir(), 'dunning-devserver-'));
  const started: ChildProcess[] = [];
  const serverPids: number[] = [];

  function startService(port: number): {
    child: ChildProcess;
    ready: Promise<number>;
    exit: Promise<number | null>;
    stderr: () => string;
  } {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      TEMPORAL_DEV_PORT: String(port),
      TEMPORAL_DEV_UI_PORT: '0',
    };
    delete env.TEMPORAL_ADDRESS;
    // node --import tsx: one process (no tsx wrapper), so SIGKILL hits the one that spawned the CLI.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-server.ts'], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const ready = new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const pid = /^ready: .* pid=(\d+)/m.exec(out)?.[1];
        if (pid) {
          serverPids.push(Number(pid));
          resolve(Number(pid));
        }
      });
      void exit.then((code) => reject(new Error(`dev-server.ts exited (${code}) before ready:\n${out}\n${err}`)));
    });
    return { child, ready, exit, stderr: () => err };
  }

  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of serverPids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops the server a killed start left behind, and the new one serves', async () => {
    const port = await freePort();
    const first = startService(port);
    const stalePid = await first.ready;
    first.child.kill('SIGKILL');
    await first.exit;
    // The bug's precondition: the orphan still holds the port.
    expect(isAlive(stalePid)).toBe(true);
    expect(await isListening(port)).toBe(true);

    const second = startService(port);
    const pid = await second.ready;
    expect(pid).not.toBe(stalePid);
    expect(isAlive(stalePid), 'the stale server is stopped').toBe(false);
    expect(listeningProcess(port)?.pid, 'the port belongs to the new server').toBe(pid);
    expect(JSON.parse(readFileSync(join(dataDir, DEV_SERVER_PID_FILE), 'utf8')).pid).toBe(pid);
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
    } finally {
      await connection.close();
    }

    second.child.kill('SIGTERM');
    await second.exit;
    expect(isAlive(pid), 'a clean stop stops the server').toBe(false);
    expect(existsSync(join(dataDir, DEV_SERVER_PID_FILE)), 'and drops its record').toBe(false);
  }, 180_000);

  it('refuses a port held by another program, naming the port and the holder', async () => {
    const port = await freePort();
    const foreign: Server = createServer();
    await new Promise<void>((resolve) => foreign.listen(port, '127.0.0.1', resolve));
    try {
      const attempt = startService(port);
      attempt.ready.catch(() => undefined);
      expect(await attempt.exit).toBe(1);
      expect(attempt.stderr()).toContain(`port ${port}`);
      expect(attempt.stderr()).toContain(`pid ${process.pid}`);
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  }, 60_000);
});
