/**
 * Where the local cluster keeps its state and which ports it listens on. Its state lives under
 * `DATA_DIR/cluster` (the server's config, logs, the record of running processes), and so does
 * PostgreSQL's data, except as root (see SERVER_USER_HOME); the binaries live in the toolchain
 * cache, built once per machine.
 *
 * The ports sit 10000 above Temporal's and PostgreSQL's defaults, so the cluster runs beside
 * `npm start`'s dev server (7233, 8233), a compose stack and a system PostgreSQL (5432).
 */
import { createHash } from 'node:crypto';
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
  /** PostgreSQL's own files: its data directory and the markers of the schema inside it. */
  pgHome: string;
  pgData: string;
  logs: string;
  serverConfig: string;
  /** The running processes (their pids), written at start, removed at stop. */
  record: string;
  /** Written once the schema of the named version is in place: later starts skip the SQL tool. */
  schemaMarker(version: string): string;
  uiConfigDir: string;
}

/**
 * The `postgres` user's home, where Debian's package puts its clusters. As root, PostgreSQL runs as
 * that user, who may not enter the checkout (root's home is mode 700, and so is `mktemp -d`), so its
 * files live there instead, one folder per checkout, owned by it: nothing of the checkout's path has
 * to be opened to others.
 */
export const SERVER_USER_HOME = '/var/lib/postgresql';

export function clusterLayout(dataDir = process.env.DATA_DIR || '.data', asRoot = process.getuid?.() === 0): ClusterLayout {
  const dir = resolve(dataDir, 'cluster');
  // Found again from the checkout's path alone, so `stop` and `delete` need no record of it.
  const pgHome = asRoot
    ? join(SERVER_USER_HOME, 'dunning-cluster', createHash('sha256').update(dir).digest('hex').slice(0, 16))
    : dir;
  return {
    dir,
    pgHome,
    pgData: join(pgHome, 'pg'),
    logs: join(dir, 'logs'),
    serverConfig: join(dir, 'temporal.yaml'),
    record: join(dir, 'cluster.json'),
    // Beside the data they describe: a data directory made anew has no schema, whatever DATA_DIR says.
    schemaMarker: (version) => join(pgHome, `schema-${version}.done`),
    uiConfigDir: join(dir, 'ui', 'config'),
  };
}

export const CLUSTER_ADDRESS = `127.0.0.1:${CLUSTER_PORTS.frontend}`;
export const CLUSTER_UI_URL = `http://localhost:${CLUSTER_PORTS.webUi}`;
/** Database credentials (as compose's): a loopback-only instance for development, not a secret. */
export const PG_USER = 'temporal';
export const PG_PASSWORD = 'temporal';
export const NAMESPACE = 'default';
