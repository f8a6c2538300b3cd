/**
 * The service against a namespace that lacks a search attribute (as an operator's cluster does
 * after an upgrade that added one): it must refuse to start, with one line naming the attribute
 * and the command that registers it, instead of starting and letting every recovered case fail
 * its workflow task over and over. With TEMPORAL_REGISTER_SEARCH_ATTRIBUTES it registers it and
 * starts. The API process is started as a user starts it (`tsx src/main.ts api`), on the real
 * dev server of the temporal project, in namespaces of its own.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';
import { freePort } from '../../tools/toolchain/ports';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/temporal/searchAttributeCheck';

const address = inject('temporalAddress');
let connection: Connection;
const dataDir = mkdtempSync(join(tmpdir(), 'dunning-sa-check-'));

beforeAll(async () => {
  connection = await Connection.connect({ address });
});
afterAll(async () => {
  await connection?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A namespace of its own with the contract's attributes as `types` says (a name left out: not registered). */
async function namespaceWith(types: Record<string, keyof typeof SEARCH_ATTRIBUTE_TYPES | undefined>): Promise<string> {
  const namespace = `sa-check-${randomBytes(4).toString('hex')}`;
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(86_400_000) });
  const searchAttributes = Object.fromEntries(
    Object.entries(types)
      .filter((e): e is [string, keyof typeof SEARCH_ATTRIBUTE_TYPES] => e[1] !== undefined)
      .map(([name, type]) => [name, SEARCH_ATTRIBUTE_TYPES[type].indexed]),
  );
  // The server's services learn of a new namespace at their next cache refresh.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
      return namespace;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const allButRecoveredBy = () =>
  Object.fromEntries(SEARCH_ATTRIBUTES.map((a) => [a.name, a.name === 'DunningRecoveredBy' ? undefined : a.cliType]));

interface Run {
  code: number | null;
  output: string;
  /** The process answered `/readyz` 200 (then it was stopped). */
  ready: boolean;
}

/** `tsx src/main.ts api` against `namespace`, until it exits or its /readyz answers 200 (then stopped). */
async function startApi(namespace: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      // Never called at start: the check comes before anything reaches Stripe.
      STRIPE_API_BASE: 'http://127.0.0.1:9',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 50_000;
  let ready = false;
  while (Date.now() < deadline && child.exitCode === null) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) {
      ready = true;
      child.kill('SIGTERM');
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (child.exitCode === null && !ready) child.kill('SIGKILL');
  const code = await exited;
  return { code, output, ready };
}

describe('search attributes checked at start', () => {
  it('refuses to start without one, naming it and the command that registers it', async () => {
    const namespace = await namespaceWith(allButRecoveredBy());
    const run = await startApi(namespace);
    expect(run.ready, run.output).toBe(false);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`namespace ${namespace} lacks the search attribute DunningRecoveredBy (Keyword)`);
    expect(run.output).toContain(
      `temporal operator search-attribute create --namespace ${namespace} --name DunningRecoveredBy --type Keyword`,
    );
    expect(run.output).toContain('tcld namespace search-attributes add');
    // Only the missing one is named.
    expect(run.output).not.toContain('lacks the search attributes');
  }, 90_000);

  it('refuses one registered with another type', async () => {
    const namespace = await namespaceWith({ ...allButRecoveredBy(), DunningRecoveredBy: 'Int' });
    const run = await startApi(namespace, { TEMPORAL_REGISTER_SEARCH_ATTRIBUTES: 'true' });
    expect(run.ready, run.output).toBe(false);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('DunningRecoveredBy is Int, must be Keyword');
  }, 90_000);

  it('registers the missing one itself where the operator allows it, and starts', async () => {
    const namespace = await namespaceWith(allButRecoveredBy());
    const run = await startApi(namespace, { TEMPORAL_REGISTER_SEARCH_ATTRIBUTES: 'true' });
    expect(run.output).toContain(`registering search attributes DunningRecoveredBy in namespace ${namespace}`);
    expect(run.ready, run.output).toBe(true);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Number(customAttributes?.DunningRecoveredBy)).toBe(SEARCH_ATTRIBUTE_TYPES.Keyword.indexed);
  }, 90_000);
});
