/**
 * `npm run cluster`: starts (or finds running) the local Temporal cluster on PostgreSQL and prints
 * how to point the service at it; `npm run cluster -- stop` stops it (its data stays);
 * `-- delete` stops it and deletes its data, for a fresh cluster; `-- status` says what runs.
 */
import { z } from 'zod';
import { clusterLayout, deleteCluster, startCluster, stopCluster, PostgresUnavailable } from '../tools/cluster';
import { runningDaemon } from '../tools/cluster/daemons';
import { installedPostgresBin, postgresRunning } from '../tools/cluster/postgres';
import { formatElapsed } from '../tools/toolchain/process';

const command = z.enum(['start', 'stop', 'status', 'delete']).parse(process.argv[2] ?? 'start');

async function main(): Promise<void> {
  const began = Date.now();
  if (command === 'stop') {
    await stopCluster();
    console.log('[cluster] stopped');
    return;
  }
  if (command === 'delete') {
    await deleteCluster();
    console.log('[cluster] stopped, and its data deleted');
    return;
  }
  if (command === 'status') {
    const layout = clusterLayout();
    const pg = installedPostgresBin();
    console.log(`[cluster] PostgreSQL: ${pg && postgresRunning(pg, layout) ? 'running' : 'stopped'} (data ${layout.pgData})`);
    console.log(`[cluster] Temporal server: ${runningDaemon(layout.record, 'temporal') ? 'running' : 'stopped'}`);
    console.log(`[cluster] Web UI: ${runningDaemon(layout.record, 'ui') ? 'running' : 'stopped'}`);
    return;
  }
  const cluster = await startCluster();
  const how = cluster.started ? `started in ${formatElapsed(Date.now() - began)}` : 'already running';
  console.log(
    `[cluster] Temporal ${cluster.temporalVersion} ${how}: TEMPORAL_ADDRESS=${cluster.address} (namespace ${cluster.namespace})`,
  );
  console.log(`[cluster] Web UI: ${cluster.uiUrl ?? '(not available: the UI server could not be built)'}`);
  console.log('[cluster] run the service against it, e.g.:');
  console.log(`[cluster]   TEMPORAL_ADDRESS=${cluster.address} npm start`);
  console.log('[cluster] stop it with: npm run cluster -- stop');
}

main().catch((err: unknown) => {
  console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = err instanceof PostgresUnavailable ? 2 : 1;
});
