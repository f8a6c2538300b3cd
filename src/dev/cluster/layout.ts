/**
 * Where the local cluster keeps its state and which ports it listens on. Everything lives under
 * `DATA_DIR/cluster` (PostgreSQL's data, the server's config, logs, the record of running
 * processes); the binaries live in the toolchain cache, built once per machine.
 *
 * The ports sit 10000 above Temporal's and PostgreSQL's defaults, so the cluster runs beside
 * `npm start`'s dev server (7233, 8233), a compose stack and a system PostgreSQL (5432).
 */
import { join, resolve } from 'node:path';

export const CLUSTER_PORTS = {
  postgres: 15432,
  frontend: 17233,
  frontendHttp: 17243,
  history: 17234,
  matching: 17235,
  worker: 17239,
  frontendMembership: 16933,
  historyMembership: 16934,
  matchingMembership: 16935,
  workerMembership: 16939,
  /** The server's Prometheus endpoint (for the benchmarks). */
  metrics: 17000,
  webUi: 18233,
} as const;

export interface ClusterLayout {
  dir: string;
  pgData: string;
  logs: string;
  serverConfig: string;
  /** The running processes (their pids), written at start, removed at stop. */
  record: string;
  /** Written once the schema of the named version is in place: later starts skip the SQL tool. */
  schemaMarker(version: string): string;
  uiConfigDir: string;
}

export function clusterLayout(dataDir = process.env.DATA_DIR || '.data'): ClusterLayout {
  const dir = resolve(dataDir, 'cluster');
  return {
    dir,
    pgData: join(dir, 'pg'),
    logs: join(dir, 'logs'),
    serverConfig: join(dir, 'temporal.yaml'),
    record: join(dir, 'cluster.json'),
    schemaMarker: (version) => join(dir, `schema-${version}.done`),
    uiConfigDir: join(dir, 'ui', 'config'),
  };
}

export const CLUSTER_ADDRESS = `127.0.0.1:${CLUSTER_PORTS.frontend}`;
export const CLUSTER_UI_URL = `http://localhost:${CLUSTER_PORTS.webUi}`;
/** Database credentials (as compose's): a loopback-only instance for development, not a secret. */
export const PG_USER = 'temporal';
export const PG_PASSWORD = 'temporal';
export const NAMESPACE = 'default';
