/** Connections to the Temporal cluster, from config: plain, API key (Temporal Cloud) or mTLS. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';

export interface TemporalTarget {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: { cert: string; key: string };
}

export function targetFrom(cfg: Config['temporal'], address: string): TemporalTarget {
  return { address, namespace: cfg.namespace, apiKey: cfg.apiKey, tls: cfg.tls };
}

function tlsOptions(t: TemporalTarget) {
  if (t.tls) return { clientCertPair: { crt: Buffer.from(t.tls.cert), key: Buffer.from(t.tls.key) } };
  return t.apiKey ? true : undefined;
}

export async function connectClient(t: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({
    address: t.address,
    tls: tlsOptions(t),
    apiKey: t.apiKey,
    metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
  });
  return new Client({ connection, namespace: t.namespace });
}

export async function connectWorker(t: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: t.address,
    tls: tlsOptions(t),
    apiKey: t.apiKey,
    metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
  });
}
