/**
 * `npm run cluster` from a checkout that other users cannot enter (root's home is mode 700 on
 * Debian, and so is `mktemp -d`): as root, PostgreSQL runs as `postgres`, which could not reach a
 * data directory inside the checkout, so initdb failed before anything started. The cluster starts
 * here from a checkout under a mode-700 folder, its PostgreSQL data lives where that user can reach
 * it, the folder stays private, and `delete` finds the data again and removes it.
 *
 * Runs as root only (as a user, PostgreSQL runs as that user and reaches the checkout). Skipped,
 * saying why, where a cluster already runs on the ports (another checkout's) or PostgreSQL is missing
 * and cannot be installed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '@temporalio/client';
import {
  CLUSTER_PORTS,
  clusterLayout,
  deleteCluster,
  PostgresUnavailable,
  startCluster,
  type Cluster,
} from '../../tools/cluster';
import { installedPostgresBin, postgresRunning } from '../../tools/cluster/postgres';

const asRoot = process.getuid?.() === 0;
const privateDir = mkdtempSync(join(tmpdir(), 'dunning-private-'));
const dataDir = join(privateDir, 'checkout', '.data');
mkdirSync(dataDir, { recursive: true });

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

let skipReason: string | undefined;
let cluster: Cluster | undefined;

// The first start on a machine builds the server (minutes): in the hook, whose bound allows it.
beforeAll(async () => {
  if (!asRoot) return;
  if ((await portInUse(CLUSTER_PORTS.postgres)) || (await portInUse(CLUSTER_PORTS.frontend))) {
    skipReason = 'a cluster already runs on the cluster ports (another checkout): stop it to run this test';
    return;
  }
  expect(statSync(privateDir).mode & 0o777).toBe(0o700);
  try {
    cluster = await startCluster({ dataDir, ui: false, log: (line) => console.log(`[private-cluster] ${line}`) });
  } catch (err) {
    if (!(err instanceof PostgresUnavailable)) throw err;
    skipReason = `no local cluster: ${err.message}`;
  }
});

afterAll(async () => {
  if (cluster) await deleteCluster({ dataDir, log: () => {} }).catch(() => {});
  rmSync(privateDir, { recursive: true, force: true });
});

describe.skipIf(!asRoot)('the local cluster from a checkout in a private folder (as root)', () => {
  it('starts, keeps its PostgreSQL data where the server user reaches it, and deletes it again', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    expect(cluster?.started).toBe(true);
    const connection = await Connection.connect({ address: cluster!.address });
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: cluster!.namespace });
      expect(ns.namespaceInfo?.name).toBe(cluster!.namespace);
    } finally {
      await connection.close();
    }

    const layout = clusterLayout(dataDir);
    expect(layout.pgData.startsWith(privateDir)).toBe(false);
    const postgresUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    expect(statSync(layout.pgData).uid).toBe(postgresUid);
    expect(statSync(layout.pgData).mode & 0o777).toBe(0o700);
    // Nothing of the checkout's path was opened to others.
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);

    await deleteCluster({ dataDir, log: (line) => console.log(`[private-cluster] ${line}`) });
    expect(postgresRunning(installedPostgresBin()!, layout)).toBe(false);
    expect(existsSync(layout.pgHome)).toBe(false);
    expect(existsSync(layout.dir)).toBe(false);
    expect(await portInUse(CLUSTER_PORTS.frontend)).toBe(false);
  });
});
