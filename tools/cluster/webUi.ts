/**
 * The Temporal Web UI of the local cluster: the UI server (built by ./binaries) pointed at the
 * cluster's frontend, configured like compose's temporal-ui service (default namespace, and the
 * API's codec server so that payloads show decrypted once logged in at /codec/login).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_ADDRESS, CLUSTER_PORTS, NAMESPACE, type ClusterLayout } from './layout';

/** The API of `npm start` / `npm run start:api` on its default port, as compose's UI is configured. */
const CODEC_ENDPOINT = 'http://localhost:3000/codec';

export function writeUiConfig(layout: ClusterLayout): { root: string } {
  mkdirSync(layout.uiConfigDir, { recursive: true });
  writeFileSync(
    join(layout.uiConfigDir, 'base.yaml'),
    `# Written by tools/cluster (npm run cluster) on every start; edits are lost.
temporalGrpcAddress: ${CLUSTER_ADDRESS}
host: 127.0.0.1
port: ${CLUSTER_PORTS.webUi}
enableUi: true
defaultNamespace: ${NAMESPACE}
notifyOnNewVersion: false
cors:
  cookieInsecure: true
  allowOrigins:
    - http://localhost:3000
codec:
  endpoint: ${CODEC_ENDPOINT}
  includeCredentials: true
`,
  );
  return { root: join(layout.uiConfigDir, '..') };
}
