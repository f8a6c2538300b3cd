/**
 * A time-skipping TestWorkflowEnvironment backed by the Java test server that the toolchain
 * provisioned (see tools/toolchain/testServer.ts).
 *
 * Why not just `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type:
 * 'existing-path', path } } })`: the SDK's Rust core polls the new server for 5 s, then gives up
 * ("Failed connecting to test server after 5 seconds"). A JVM on two cores shared with parallel
 * test files can take longer than that. So we start the server ourselves, wait as long as it takes,
 * then hand its address to the SDK as an existing, time-skipping server. The SDK has no public
 * option for that pairing, hence the call to its (runtime-public) static `create`, guarded: if a
 * later SDK drops it we fall back to the public path with retries.
 */
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/temporal/searchAttributeCheck';
import { cachedToolchain } from '../toolchain';
import { freePort, isListening } from '../toolchain/ports';
import { SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';

export interface TimeSkippingEnvOptions {
  /** Wrapper script of the test server; default: what global setup provided, else the toolchain cache. */
  testServerPath?: string;
  /** How long to wait for the JVM to answer; default 60 s. */
  startTimeoutMs?: number;
}

/**
 * Remember to `await env.teardown()`: it also stops the JVM. The contract's search attributes are
 * registered, so workflows may upsert them.
 */
export async function createTimeSkippingEnv(opts: TimeSkippingEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  const path = opts.testServerPath ?? (await injectedTestServerPath()) ?? cachedToolchain().testServer;
  const create = (TestWorkflowEnvironment as unknown as { create?: CreateFn }).create;
  const env = !path
    ? await TestWorkflowEnvironment.createTimeSkipping() // SDK download (internet needed)
    : typeof create !== 'function'
      ? await createWithRetries(path)
      : await startOwnServer(path, create.bind(TestWorkflowEnvironment), opts.startTimeoutMs ?? 60_000);
  try {
    await registerSearchAttributes(env);
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/** Unlike the dev server, the test server knows no custom attribute until told (upserts fail). */
async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((a) => [a.name, SEARCH_ATTRIBUTE_TYPES[a.cliType].indexed])),
  });
}

type CreateFn = (opts: {
  server: { type: 'existing' };
  address: string;
  namespace: string;
  supportsTimeSkipping: boolean;
}) => Promise<TestWorkflowEnvironment>;

/** Loaded lazily so that scripts outside vitest can use this helper too. */
async function injectedTestServerPath(): Promise<string | undefined> {
  try {
    const { inject } = await import('vitest');
    return inject('testServerPath');
  } catch {
    return undefined; // not inside a vitest worker
  }
}

async function startOwnServer(path: string, create: CreateFn, timeoutMs: number): Promise<TestWorkflowEnvironment> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  // Own process group: `sh` execs java, and killing the group leaves nothing behind.
  const child = spawn(path, [String(port)], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  const killOnExit = () => kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilAnswering(address, port, timeoutMs, () => child.exitCode !== null);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; test server stderr:\n${stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  const env = await create({ server: { type: 'existing' }, address, namespace: 'default', supportsTimeSkipping: true });
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await teardown();
    await stop();
  };
  return env;
}

async function waitUntilAnswering(address: string, port: number, timeoutMs: number, died: () => boolean): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (died()) throw new Error(`test server on ${address} exited during start-up`);
    if (await isListening(port)) {
      let connection: Connection | undefined;
      try {
        connection = await Connection.connect({ address, connectTimeout: 2_000 });
        await connection.workflowService.getSystemInfo({});
        return;
      } catch {
        // listening but not serving yet
      } finally {
        await connection?.close().catch(() => {});
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`test server on ${address} did not answer within ${timeoutMs} ms`);
}

/** The public SDK path: the server must answer within the SDK's 5 s, so allow a few tries. */
async function createWithRetries(path: string): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    } catch (err) {
      if (attempt >= 3 || !/test server/i.test(String(err))) throw err;
    }
  }
}
