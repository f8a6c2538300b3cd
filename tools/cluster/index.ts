/**
 * `npm run cluster`: a real Temporal cluster on this machine without Docker, as docker-compose.yml
 * runs one: PostgreSQL (persistence and visibility), the Temporal server of the version compose
 * pins with compose's dynamic config and several history shards, the `default` namespace with the
 * contract's search attributes, and the Web UI. The first start builds and installs (minutes);
 * later starts find everything in place and take seconds; a start while it runs just reports it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '../toolchain/process';
import { ensureGoBinary, optionalGoBinary, temporalServerTools, TEMPORAL_UI_SERVER } from './binaries';
import { runningDaemon, startDaemon, stopDaemon } from './daemons';
import { CLUSTER_ADDRESS, CLUSTER_PORTS, CLUSTER_UI_URL, clusterLayout, NAMESPACE, type ClusterLayout } from './layout';
import { withLock } from './lock';
import { ensureNamespace, waitForFrontend } from './namespace';
import { composePins } from './pins';
import {
  deletePostgresData,
  ensurePostgres,
  initPostgres,
  installedPostgresBin,
  postgresRunning,
  startPostgres,
  stopPostgres,
} from './postgres';
import { ensureSchema } from './schema';
import { writeServerConfig } from './serverConfig';
import { writeUiConfig } from './webUi';
import { isAlive } from '../toolchain/processInfo';

export { CLUSTER_ADDRESS, CLUSTER_PORTS, CLUSTER_UI_URL, clusterLayout, NAMESPACE } from './layout';

/** PostgreSQL is missing and cannot be installed here (not root, no apt-get): callers may skip. */
export class PostgresUnavailable extends Error {}

export interface ClusterOptions {
  dataDir?: string;
  /** Build and start the Web UI too (default true; the tests do without). */
  ui?: boolean;
  log?: Log;
}

export interface Cluster {
  address: string;
  namespace: string;
  uiUrl?: string;
  /** False when everything already ran: the caller did not start it, so it should not stop it. */
  started: boolean;
  temporalVersion: string;
}

const lockFile = (layout: ClusterLayout) => join(layout.dir, 'cluster.lock');

export function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const layout = clusterLayout(o.dataDir);
  mkdirSync(layout.logs, { recursive: true });
  return withLock(lockFile(layout), () => start(layout, o));
}

async function start(layout: ClusterLayout, o: ClusterOptions): Promise<Cluster> {
  const log = o.log ?? ((line: string) => console.log(`[cluster] ${line}`));
  const { temporalVersion, dynamicConfigFile } = composePins();
  const tools = temporalServerTools(temporalVersion);
  let started = false;

  // PostgreSQL (apt, initdb) while Go builds the server: one waits on disk and network, the other on CPU.
  // The two Go builds one after the other: each keeps every core busy.
  const [pgBin, [serverBin, sqlBin]] = await Promise.all([
    ensurePostgres(log),
    (async () => [await ensureGoBinary(tools.server, log), await ensureGoBinary(tools.sql, log)] as const)(),
  ]);
  if (!pgBin) throw new PostgresUnavailable('PostgreSQL is not installed and could not be installed (needs root and apt-get)');
  await initPostgres(pgBin, layout, log);
  if (!postgresRunning(pgBin, layout)) {
    log(`starting PostgreSQL on 127.0.0.1:${CLUSTER_PORTS.postgres} (data ${layout.pgData})`);
    await startPostgres(pgBin, layout, log);
    started = true;
  }
  await ensureSchema(sqlBin, temporalVersion, layout, log);

  let temporal = runningDaemon(layout.record, 'temporal');
  if (!temporal) {
    writeServerConfig(layout, dynamicConfigFile);
    log(`starting Temporal server ${temporalVersion} on ${CLUSTER_ADDRESS} (log ${join(layout.logs, 'temporal.log')})`);
    temporal = startDaemon(layout.record, 'temporal', {
      binary: serverBin,
      args: ['--config-file', layout.serverConfig, '--allow-no-auth', 'start'],
      cwd: layout.dir,
      logFile: join(layout.logs, 'temporal.log'),
    });
    started = true;
  }
  const pid = temporal.pid;
  try {
    await waitForFrontend(CLUSTER_ADDRESS, 120_000, () => !isAlive(pid));
  } catch (err) {
    throw new Error(`${(err as Error).message}; the server's log ends:\n${logTail(join(layout.logs, 'temporal.log'))}`);
  }
  await ensureNamespace(CLUSTER_ADDRESS, NAMESPACE, log);

  let uiUrl: string | undefined;
  if (o.ui ?? true) {
    const uiBin = await optionalGoBinary(TEMPORAL_UI_SERVER, log);
    if (uiBin && !runningDaemon(layout.record, 'ui')) {
      const { root } = writeUiConfig(layout);
      startDaemon(layout.record, 'ui', {
        binary: uiBin,
        args: ['--root', root, '--config', 'config', '--env', 'development', 'start'],
        cwd: layout.dir,
        logFile: join(layout.logs, 'ui.log'),
      });
    }
    if (uiBin) uiUrl = CLUSTER_UI_URL;
  }
  return { address: CLUSTER_ADDRESS, namespace: NAMESPACE, uiUrl, started, temporalVersion };
}

/** Stops the Web UI, the server and PostgreSQL (their data stays); a no-op for what does not run. */
export function stopCluster(o: { dataDir?: string; log?: Log } = {}): Promise<void> {
  const layout = clusterLayout(o.dataDir);
  const log = o.log ?? ((line: string) => console.log(`[cluster] ${line}`));
  if (!existsSync(layout.dir)) return Promise.resolve();
  return withLock(lockFile(layout), async () => {
    if (await stopDaemon(layout.record, 'ui')) log('Web UI stopped');
    if (await stopDaemon(layout.record, 'temporal')) log('Temporal server stopped');
    const pgBin = installedPostgresBin(); // stopping never installs anything
    // As root, an instance started before its data moved out of the checkout (layout.ts) too.
    const legacy = { ...layout, pgHome: layout.dir, pgData: join(layout.dir, 'pg') };
    for (const l of layout.pgData === legacy.pgData ? [layout] : [layout, legacy]) {
      if (pgBin && postgresRunning(pgBin, l)) {
        await stopPostgres(pgBin, l, log);
        log(`PostgreSQL stopped (data ${l.pgData})`);
      }
    }
  });
}

/** Stops the cluster and deletes its data (the server's and PostgreSQL's, wherever they live). */
export async function deleteCluster(o: { dataDir?: string; log?: Log } = {}): Promise<void> {
  const layout = clusterLayout(o.dataDir);
  await stopCluster(o);
  deletePostgresData(layout);
  rmSync(layout.dir, { recursive: true, force: true });
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}
