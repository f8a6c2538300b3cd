/**
 * Connections to the Temporal cluster, from config: plain, API key (Temporal Cloud), TLS on a
 * private CA, or mTLS; and the data converter (payload encryption) every client and worker of the
 * service shares.
 */
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { Config, TemporalTls } from '../config';
import { encryptingDataConverter } from './dataConverter';
import type { EncryptionKey } from './payloadCodec';

export interface TemporalTarget {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: TemporalTls;
  /** For the client and the workers (Worker.create); the NativeConnection takes none. */
  dataConverter: DataConverter;
}

export function targetFrom(cfg: Config['temporal'], address: string, encryptionKeys: readonly EncryptionKey[]): TemporalTarget {
  return {
    address,
    namespace: cfg.namespace,
    apiKey: cfg.apiKey,
    tls: cfg.tls,
    dataConverter: encryptingDataConverter(encryptionKeys),
  };
}

/** The same TLS settings for the client (grpc-js) and the workers' NativeConnection (Rust core). */
function tlsOptions(t: Pick<TemporalTarget, 'tls' | 'apiKey'>): TLSConfig | true | undefined {
  if (t.tls) {
    const { clientCert, ca, serverName } = t.tls;
    return {
      ...(clientCert && { clientCertPair: { crt: Buffer.from(clientCert.cert), key: Buffer.from(clientCert.key) } }),
      ...(ca && { serverRootCACertificate: Buffer.from(ca) }),
      ...(serverName && { serverNameOverride: serverName }),
    };
  }
  return t.apiKey ? true : undefined;
}

export async function connectClient(t: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({
    address: t.address,
    tls: tlsOptions(t),
    apiKey: t.apiKey,
    metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
  });
  return new Client({ connection, namespace: t.namespace, dataConverter: t.dataConverter });
}

/**
 * A client that does not call the cluster until it is used: the API starts (and answers `/readyz`
 * 503) while Temporal is still unreachable. gRPC waits up to 2 minutes between reconnections after
 * a long outage by default; 10 s at most, so that a cluster that is back is found within seconds.
 */
export function lazyClient(t: TemporalTarget): Client {
  const connection = Connection.lazy({
    address: t.address,
    tls: tlsOptions(t),
    apiKey: t.apiKey,
    metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 10_000 },
  });
  return new Client({ connection, namespace: t.namespace, dataConverter: t.dataConverter });
}

export async function connectWorker(t: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: t.address,
    tls: tlsOptions(t),
    apiKey: t.apiKey,
    metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
  });
}
