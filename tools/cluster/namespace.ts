/**
 * The cluster's namespace as compose's `temporal-setup` service leaves it: `default`, keeping
 * closed cases NAMESPACE_RETENTION_DAYS, with the contract's search attributes (registered through
 * the operator service, as the dev server's are). A fresh server knows no namespace, and a new one
 * reaches every service only at the next namespace-cache refresh: hence the retries.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureRetention, ensureSearchAttributes, NAMESPACE_RETENTION_DAYS } from '../temporal/devServer';
import type { Log } from '../toolchain/process';

/** Resolves once the frontend answers a call, or throws after `timeoutMs` with the last error. */
export async function waitForFrontend(address: string, timeoutMs: number, isDead: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (isDead()) throw new Error('the Temporal server exited during start-up');
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return;
    } catch (err) {
      last = err;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the Temporal server did not answer on ${address} within ${timeoutMs} ms: ${String(last)}`);
}

async function retrying(what: string, timeoutMs: number, step: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** The services' namespace cache refresh (system.namespaceCacheRefreshInterval's default), with a margin. */
const NAMESPACE_CACHE_REFRESH_MS = 12_000;

export async function ensureNamespace(address: string, namespace: string, log: Log): Promise<void> {
  const connection = await Connection.connect({ address });
  let registered = false;
  try {
    const exists = await connection.workflowService.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    if (!exists) {
      log(`registering namespace ${namespace} (retention ${NAMESPACE_RETENTION_DAYS} days)`);
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION_DAYS * 86_400_000),
      });
      registered = true;
    }
  } finally {
    await connection.close();
  }
  await retrying('namespace retention', 60_000, () => ensureRetention(address, namespace, log));
  await retrying('search attributes', 60_000, () => ensureSearchAttributes(address, namespace, log));
  if (registered) {
    // History and matching learn of a new namespace at their next cache refresh; until then a
    // worker's polls and a signal-with-start fail with "namespace not found". Once per data dir.
    log('waiting for the services to see the new namespace');
    await new Promise((r) => setTimeout(r, NAMESPACE_CACHE_REFRESH_MS));
  }
}
