/**
 * The worker and the API started before their Temporal cluster answers (a cluster still starting,
 * a network not up yet): both must stay up, alive but not ready, and try again until the cluster
 * answers, then check the namespace and become ready, instead of exiting and being restarted in a
 * loop. Run as a user runs them (`tsx src/main.ts api|worker`), pointed at a port where nothing
 * listens; then a real dev server is started on that port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../tools/temporal/devServer';
import { ensureTemporalCli } from '../../tools/toolchain';
import { freePort } from '../../tools/toolchain/ports';

const dataDir = mkdtempSync(join(tmpdir(), 'dunning-unreachable-'));
const children: ChildProcess[] = [];
let server: DevServer | undefined;

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
  port: number;
}

function start(role: 'api' | 'worker', temporalPort: number, port: number): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_TASK_QUEUE: 'unreachable-test',
      // Never called while starting.
      STRIPE_API_BASE: 'http://127.0.0.1:9',
      RESEND_BASE_URL: 'http://127.0.0.1:9',
      PORT: String(port),
      METRICS_PORT: String(port),
      DATA_DIR: join(dataDir, role),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output, port };
}

const status = (port: number, path: string) =>
  fetch(`http://127.0.0.1:${port}${path}`).then(
    (r) => r.status,
    () => 0,
  );

async function until(what: string, ok: () => Promise<boolean>, s: Started[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    const dead = s.find((x) => x.child.exitCode !== null);
    if (dead) throw new Error(`exited (${dead.child.exitCode}) before ${what}:\n${dead.output()}`);
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms:\n${s.map((x) => x.output()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Temporal unreachable at start', () => {
  it('API and worker stay up with /readyz 503, retry, and become ready once the cluster answers', async () => {
    const temporalPort = await freePort();
    const api = start('api', temporalPort, await freePort());
    const worker = start('worker', temporalPort, await freePort());
    const both = [api, worker];

    // Alive, not ready, and saying why in the log; a route that needs Temporal answers 503.
    // Generous: on a loaded 2-core machine tsx takes long to load the service.
    await until(
      'alive',
      async () => (await status(api.port, '/healthz')) === 200 && (await status(worker.port, '/healthz')) === 200,
      both,
      180_000,
    );
    expect(await status(api.port, '/readyz')).toBe(503);
    expect(await status(worker.port, '/readyz')).toBe(503);
    expect(await status(api.port, '/api/dunning')).toBe(503);
    await until(
      'retrying',
      async () => both.every((s) => /Temporal unreachable; trying again in \d+ ms/.test(s.output())),
      both,
      60_000,
    );
    const body = (await fetch(`http://127.0.0.1:${api.port}/readyz`).then((r) => r.json())) as { error: { message: string } };
    expect(body.error.message).toContain('connecting to Temporal');
    // The address is the operator's (the log has it), not the caller's.
    expect(body.error.message).not.toContain(String(temporalPort));
    // Some seconds of retrying (several tries) and still up.
    await new Promise((r) => setTimeout(r, 3000));
    expect(api.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();

    // The cluster comes (with the search attributes, as the dev server registers them).
    server = await startDevServer({ cliPath: await ensureTemporalCli(() => {}), port: temporalPort });
    await until(
      'ready',
      async () => (await status(api.port, '/readyz')) === 200 && (await status(worker.port, '/readyz')) === 200,
      both,
      120_000,
    );
    expect(api.output()).toContain('dunning service running (api)');
    expect(worker.output()).toContain('dunning service running (worker)');
    // The API serves its routes now (a list of no cases: the bearer token is checked first).
    expect(await status(api.port, '/api/dunning')).toBe(401);
  }, 480_000);
});
