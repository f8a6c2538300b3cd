/**
 * The Temporal server's static config for the local cluster: the module's
 * config/development-postgres12.yaml, with the cluster's ports, its PostgreSQL, and compose's
 * dynamic config file (read in place, so the two cannot drift). Written on every start: it holds
 * no state.
 */
import { writeFileSync } from 'node:fs';
import { CLUSTER_PORTS as P, PG_PASSWORD, PG_USER, type ClusterLayout } from './layout';

/**
 * Several shards, so that a case's workflow tasks spread over history shards as on a real cluster.
 * Fixed once the database exists: Temporal refuses to start with another count.
 */
export const HISTORY_SHARDS = 4;

const datastore = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "127.0.0.1:${P.postgres}"
        connectProtocol: tcp
        user: ${PG_USER}
        password: ${PG_PASSWORD}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;

const service = (grpc: number, membership: number, http?: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;

export function renderServerConfig(dynamicConfigFile: string): string {
  return `# Written by tools/cluster (npm run cluster) on every start; edits are lost.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    postgres-default:${datastore('temporal', 20)}
    postgres-visibility:${datastore('temporal_visibility', 10)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:${P.metrics}"

services:
  frontend:${service(P.frontend, P.frontendMembership, P.frontendHttp)}
  matching:${service(P.matching, P.matchingMembership)}
  history:${service(P.history, P.historyMembership)}
  worker:${service(P.worker, P.workerMembership)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${P.frontend}"

dcRedirectionPolicy:
  policy: noop

dynamicConfigClient:
  filepath: ${JSON.stringify(dynamicConfigFile)}
  pollInterval: 10s
`;
}

export function writeServerConfig(layout: ClusterLayout, dynamicConfigFile: string): void {
  writeFileSync(layout.serverConfig, renderServerConfig(dynamicConfigFile));
}
