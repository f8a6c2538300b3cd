/**
 * The embedded Temporal dev server (`temporal server start-dev`): what `npm start` runs when no
 * TEMPORAL_ADDRESS is set, and the real server the temporal test project shares.
 *
 * We spawn the CLI ourselves rather than through @temporalio/testing so that we choose the binary
 * (built from the Go module proxy: the SDK's download host is unreachable here), wait as long as a
 * loaded 2-core machine needs, and can say why start-up failed (the CLI's own output).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';
import { checkSearchAttributes, SEARCH_ATTRIBUTE_TYPES } from '../../src/temporal/searchAttributeCheck';
import { freePort } from '../toolchain/ports';
import { assertPortFree, removeDevServerRecord, stopRecordedDevServer, writeDevServerRecord } from './devServerPidFile';

export interface DevServerOptions {
  /** Temporal CLI binary; undefined: let @temporalio/testing download one (needs internet). */
  cliPath?: string;
  /** SQLite file to persist to (under DATA_DIR); undefined: in-memory. */
  dbFile?: string;
  /** gRPC port; 0 or undefined: a free port. */
  port?: number;
  /** Web UI port (8233 for `npm start`); 0: a free port; undefined: no UI. */
  uiPort?: number;
  /** The codec server the Web UI calls from the browser to show payloads decrypted (`…/codec`). */
  uiCodecEndpoint?: string;
  namespace?: string;
  log?: (line: string) => void;
  /** How long to wait for the server to answer; default 60 s (a cold start on 2 busy cores is slow). */
  startTimeoutMs?: number;
  /**
   * Where to record the server we start (pid, CLI, ports), so that a start after a crash stops the
   * one left behind instead of attaching to it. Only with `cliPath`. Unset: no record.
   */
  pidFile?: string;
}

export interface DevServer {
  /** host:port for Connection / NativeConnection. */
  address: string;
  namespace: string;
  uiUrl?: string;
  /** The Web UI's port, when it runs. */
  uiPort?: number;
  /** The CLI's pid (also its process group); undefined when @temporalio/testing runs it. */
  pid?: number;
  stop(): Promise<void>;
}

/**
 * Dynamic config of every server the project starts: the matcher that honours activity and
 * workflow priorities (confirmation and first emails before reminders in a backlog) is opt-in.
 *
 * One partition per task queue: the server splits a queue's rate limit (the email queue's
 * provider rate) evenly between its partitions, 4 by default, so the tail of a burst, left in
 * fewer partitions, drained at half the rate or less (npm run bench: 20 emails at 2/s, 0.76-0.90
 * of the rate with 4 partitions, 0.99 with one). A single-process dev server gains nothing from
 * more. (Fewer read partitions on an existing database would strand tasks already queued in the
 * others: these servers' databases are the bench's, the tests' and `npm start`'s local one.)
 */
export const DEV_SERVER_DYNAMIC_CONFIG = [
  'matching.useNewMatcher=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
];

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  const log = opts.log ?? (() => {});
  const port = opts.port || (await freePort());
  const uiPort = opts.uiPort === 0 ? await freePort() : opts.uiPort;
  const dbFile = opts.dbFile ? resolve(opts.dbFile) : undefined;
  if (dbFile) mkdirSync(dirname(dbFile), { recursive: true });

  const server = opts.cliPath
    ? await spawnCli(opts.cliPath, {
        namespace,
        port,
        uiPort,
        uiCodecEndpoint: opts.uiCodecEndpoint,
        dbFile,
        log,
        timeoutMs: opts.startTimeoutMs ?? 60_000,
        pidFile: opts.pidFile ? resolve(opts.pidFile) : undefined,
      })
    : await startWithSdk({ namespace, port, uiPort, uiCodecEndpoint: opts.uiCodecEndpoint, dbFile, log });
  try {
    await ensureSearchAttributes(server.address, namespace, log);
    await ensureRetention(server.address, namespace, log);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Names of what the service's dev server keeps under DATA_DIR. */
export const DEV_SERVER_DB_FILE = 'temporal.db';
export const DEV_SERVER_PID_FILE = 'temporal-dev-server.json';

/**
 * The dev server of `npm start` (and of scripts/dev-server.ts): its database and the record of its
 * process under DATA_DIR, on the configured ports; `uiPort` undefined runs it without the Web UI.
 */
export function startServiceDevServer(o: {
  cliPath?: string;
  dataDir: string;
  port: number;
  uiPort?: number;
  uiCodecEndpoint?: string;
  namespace: string;
  log?: (line: string) => void;
}): Promise<DevServer> {
  return startDevServer({
    cliPath: o.cliPath,
    dbFile: join(o.dataDir, DEV_SERVER_DB_FILE),
    pidFile: join(o.dataDir, DEV_SERVER_PID_FILE),
    port: o.port,
    uiPort: o.uiPort,
    uiCodecEndpoint: o.uiCodecEndpoint,
    namespace: o.namespace,
    log: o.log,
  });
}

interface Resolved {
  namespace: string;
  port: number;
  uiPort: number | undefined;
  uiCodecEndpoint: string | undefined;
  dbFile: string | undefined;
  log: (line: string) => void;
}

async function spawnCli(cliPath: string, o: Resolved & { timeoutMs: number; pidFile?: string }): Promise<DevServer> {
  // A server of ours left behind by a crash goes first; then the ports must be free, because the
  // CLI on a taken port exits while whatever holds it answers our readiness probe.
  if (o.pidFile) await stopRecordedDevServer(o.pidFile, o.log);
  await assertPortFree(o.port, 'Temporal gRPC');
  if (o.uiPort) await assertPortFree(o.uiPort, 'Temporal Web UI');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--namespace',
    o.namespace,
    '--log-level',
    'warn',
    ...(o.dbFile ? ['--db-filename', o.dbFile] : []),
    ...(o.uiPort ? ['--ui-port', String(o.uiPort)] : ['--headless']),
    ...(o.uiPort && o.uiCodecEndpoint ? ['--ui-codec-endpoint', o.uiCodecEndpoint] : []),
    ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((v) => ['--dynamic-config-value', v]),
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.cliType}`]),
  ];
  const address = `127.0.0.1:${o.port}`;
  o.log(`dev server: starting ${cliPath} ${args.join(' ')}`);
  // Own process group, so stop() can take down anything the CLI starts along with it.
  const child = spawn(cliPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const pid = child.pid;
  if (o.pidFile && pid !== undefined) {
    writeDevServerRecord(o.pidFile, {
      pid,
      cliPath,
      port: o.port,
      uiPort: o.uiPort,
      dbFile: o.dbFile,
      startedAt: new Date().toISOString(),
    });
  }
  // If this process dies without calling stop(), don't leave an orphan server holding the port.
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (o.pidFile && pid !== undefined) removeDevServerRecord(o.pidFile, pid);
    })());

  const tail = () => output.trim().split('\n').slice(-20).join('\n');
  const started = Date.now();
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `temporal dev server exited before answering (${spawnError?.message ?? `exit code ${child.exitCode ?? child.signalCode}`}); its output:\n${tail()}`,
      );
    }
    if (await answers(address, o.namespace)) break;
    if (Date.now() - started > o.timeoutMs) {
      await stop();
      throw new Error(`temporal dev server did not answer on ${address} within ${o.timeoutMs} ms; its output:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const uiUrl = o.uiPort ? `http://localhost:${o.uiPort}` : undefined;
  o.log(`dev server: ready on ${address} after ${Date.now() - started} ms${uiUrl ? `, Web UI ${uiUrl}` : ''}`);
  return { address, namespace: o.namespace, uiUrl, uiPort: o.uiPort, pid, stop };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** One readiness probe: the frontend answers and the namespace exists. */
async function answers(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

/**
 * Checks every contract search attribute is registered, adding missing ones: a database file
 * created by an older version of this service keeps its namespace (and the attributes it had).
 * The local cluster (tools/cluster) registers them with this too.
 */
export async function ensureSearchAttributes(address: string, namespace: string, log: (line: string) => void): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await checkSearchAttributes(connection, namespace, { register: true, log: (line) => log(`dev server: ${line}`) });
  } finally {
    await connection.close();
  }
}

/**
 * How long the namespace keeps a closed case. `start-dev` creates it with 24 hours (and has no flag
 * for more): the dashboard's monthly figures read closed cases from visibility, so a month needs
 * at least 31 days, with a few to spare.
 */
export const NAMESPACE_RETENTION_DAYS = 35;

/** Raises the namespace's retention to NAMESPACE_RETENTION_DAYS when it is shorter (never lowers it). */
export async function ensureRetention(address: string, namespace: string, log: (line: string) => void): Promise<void> {
  const want = NAMESPACE_RETENTION_DAYS * 86_400;
  const connection = await Connection.connect({ address });
  try {
    const described = await connection.workflowService.describeNamespace({ namespace });
    const have = Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
    if (have >= want) return;
    log(
      `dev server: namespace ${namespace} keeps closed cases ${NAMESPACE_RETENTION_DAYS} days (was ${Math.round(have / 3600)} h)`,
    );
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(want * 1000) },
    });
  } finally {
    await connection.close();
  }
}

/** No CLI of our own: @temporalio/testing downloads one (machines with internet access). */
async function startWithSdk(o: Resolved): Promise<DevServer> {
  o.log('dev server: no Temporal CLI path, starting one through @temporalio/testing (downloads the CLI)');
  // Loaded lazily: a dev dependency, not needed when we have our own CLI.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      namespace: o.namespace,
      ip: '127.0.0.1',
      port: o.port,
      dbFilename: o.dbFile,
      ui: o.uiPort !== undefined,
      uiPort: o.uiPort,
      searchAttributes: SEARCH_ATTRIBUTES.map((a) => defineSearchAttributeKey(a.name, SEARCH_ATTRIBUTE_TYPES[a.cliType].sdk)),
      extraArgs: [
        ...(o.uiPort !== undefined && o.uiCodecEndpoint ? ['--ui-codec-endpoint', o.uiCodecEndpoint] : []),
        ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((v) => ['--dynamic-config-value', v]),
      ],
    },
  });
  return {
    address: env.address,
    namespace: o.namespace,
    uiUrl: o.uiPort !== undefined ? `http://localhost:${o.uiPort}` : undefined,
    uiPort: o.uiPort,
    stop: () => env.teardown(),
  };
}
