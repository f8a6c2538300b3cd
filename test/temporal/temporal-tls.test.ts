/**
 * TLS to a self-hosted frontend whose certificate a private CA signed (issue #21): TEMPORAL_TLS_CA,
 * with or without the client pair (TEMPORAL_TLS_CERT/KEY), and TEMPORAL_TLS_SERVER_NAME.
 *
 * A throw-away CA and certificates made with the `openssl` CLI; a Node TLS server in front of the
 * shared plaintext dev server, piping bytes both ways (after the handshake the bytes are HTTP/2 with
 * prior knowledge, which the dev server takes). The service's own connection code, built from
 * loadConfig's output, goes through it: the API's client (grpc-js) and the worker's NativeConnection
 * (the Rust core), which verify certificates with different TLS stacks.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TlsOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { connectClient, connectWorker, lazyClient, targetFrom, type TemporalTarget } from '../../src/temporal/connection';

const namespace = inject('temporalNamespace');
const [upstreamHost, upstreamPort] = (() => {
  const at = inject('temporalAddress').lastIndexOf(':');
  const address = inject('temporalAddress');
  return [address.slice(0, at), Number(address.slice(at + 1))] as const;
})();

const dir = mkdtempSync(join(tmpdir(), 'dunning-temporal-tls-'));
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(file(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A P-256 key and a certificate for `extensions`, signed by the test CA. */
function issue(name: string, subject: string, extensions: string[]): void {
  writeFileSync(file(`${name}.ext`), extensions.join('\n') + '\n');
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    `0x${Date.now().toString(16)}${name.length}`,
    '-days',
    '1',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}

function makeCertificates(): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-sha256',
    '-subj',
    '/CN=Dunning throw-away test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const leaf = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'];
  issue('server', '/CN=localhost', [...leaf, 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  // A frontend known by a name the address (127.0.0.1) does not carry: TEMPORAL_TLS_SERVER_NAME.
  issue('renamed', '/CN=temporal-frontend', [...leaf, 'extendedKeyUsage=serverAuth', 'subjectAltName=DNS:temporal-frontend']);
  issue('client', '/CN=dunning-worker', [...leaf, 'extendedKeyUsage=clientAuth']);
}

interface TlsProxy {
  address: string;
  /** The TLS errors of the handshakes it refused or that the client aborted. */
  errors: string[];
  /** Connections that completed the handshake and were piped to the dev server. */
  piped: number;
  close(): Promise<void>;
}

/** TLS in front of the plaintext dev server, as a self-hosted frontend with TLS would be. */
async function tlsProxy(options: TlsOptions): Promise<TlsProxy> {
  const sockets = new Set<Socket>();
  const proxy: TlsProxy = { address: '', errors: [], piped: 0, close: async () => {} };
  const server = createServer({ ALPNProtocols: ['h2'], ...options }, (socket) => {
    proxy.piped++;
    const upstream = connect(upstreamPort, upstreamHost);
    sockets.add(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  server.on('connection', (s: Socket) => sockets.add(s));
  server.on('tlsClientError', (err) => proxy.errors.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

/** What the service builds at start (src/main.ts): loadConfig's output through targetFrom. */
function targetFor(address: string, env: Record<string, string>): TemporalTarget {
  const config = loadConfig({ DATA_DIR: file('data'), TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, ...env });
  return targetFrom(config.temporal, config.temporal.address!, config.encryptionKeys);
}

/** The API's path: a grpc-js client; it answers the system info and describes the namespace. */
async function clientReaches(t: TemporalTarget): Promise<string> {
  const client = await connectClient(t);
  try {
    await client.workflowService.getSystemInfo({});
    const described = await client.workflowService.describeNamespace({ namespace });
    return described.namespaceInfo!.name!;
  } finally {
    await client.connection.close();
  }
}

/** The API's client as it starts (before the cluster answers): Connection.lazy. */
async function lazyClientReaches(t: TemporalTarget): Promise<string> {
  const client = lazyClient(t);
  try {
    const described = await client.workflowService.describeNamespace({ namespace });
    return described.namespaceInfo!.name!;
  } finally {
    await client.connection.close();
  }
}

/** The worker's path: the Rust core's NativeConnection. */
async function workerReaches(t: TemporalTarget): Promise<string> {
  const connection = await connectWorker(t);
  try {
    const described = await connection.workflowService.describeNamespace({ namespace });
    return described.namespaceInfo!.name!;
  } finally {
    await connection.close();
  }
}

let serverOnly: TlsProxy;
let mutual: TlsProxy;
let renamed: TlsProxy;

beforeAll(async () => {
  makeCertificates();
  serverOnly = await tlsProxy({ cert: pem('server.pem'), key: pem('server.key') });
  mutual = await tlsProxy({
    cert: pem('server.pem'),
    key: pem('server.key'),
    ca: pem('ca.pem'),
    requestCert: true,
    rejectUnauthorized: true,
  });
  renamed = await tlsProxy({ cert: pem('renamed.pem'), key: pem('renamed.key') });
});

afterAll(async () => {
  await Promise.all([serverOnly, mutual, renamed].map((p) => p?.close()));
  rmSync(dir, { recursive: true, force: true });
});

const ca = () => ({ TEMPORAL_TLS_CA: file('ca.pem') });
const clientPair = () => ({ TEMPORAL_TLS_CERT: file('client.pem'), TEMPORAL_TLS_KEY: file('client.key') });

describe('a frontend whose certificate a private CA signed (server-side TLS)', () => {
  it('the API client and the worker reach it with TEMPORAL_TLS_CA (a file path)', async () => {
    const t = targetFor(serverOnly.address, ca());
    expect(await clientReaches(t)).toBe(namespace);
    expect(await lazyClientReaches(t)).toBe(namespace);
    expect(await workerReaches(t)).toBe(namespace);
    expect(serverOnly.piped).toBeGreaterThanOrEqual(3);
  });

  it('TEMPORAL_TLS_CA takes the PEM text too', async () => {
    const t = targetFor(serverOnly.address, { TEMPORAL_TLS_CA: pem('ca.pem').toString() });
    expect(await clientReaches(t)).toBe(namespace);
  });

  it('without TEMPORAL_TLS_CA neither trusts it: the issuer is unknown', async () => {
    // TLS on the system's roots, as an API key turns it on, or a server name alone.
    const t = targetFor(serverOnly.address, { TEMPORAL_TLS_SERVER_NAME: 'localhost' });
    const before = serverOnly.errors.length;
    // grpc-js retries until its deadline; the handshake it aborted tells why.
    await expect(clientReaches(t)).rejects.toThrow(/Failed to connect before the deadline/);
    await expect(workerReaches(t)).rejects.toThrow(/InvalidCertificate\(UnknownIssuer\)/);
    expect(serverOnly.errors.slice(before).join('\n')).toMatch(/unknown ca/i);
  });
});

describe('mTLS: the frontend asks for a client certificate signed by the CA', () => {
  it('the API client and the worker reach it with TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY', async () => {
    const t = targetFor(mutual.address, { ...ca(), ...clientPair() });
    expect(await clientReaches(t)).toBe(namespace);
    expect(await lazyClientReaches(t)).toBe(namespace);
    expect(await workerReaches(t)).toBe(namespace);
  });

  it('the client pair without the CA is refused: the issuer is unknown', async () => {
    const t = targetFor(mutual.address, clientPair());
    await expect(workerReaches(t)).rejects.toThrow(/InvalidCertificate\(UnknownIssuer\)/);
  });

  it('the CA without the client pair is refused by the frontend', async () => {
    const t = targetFor(mutual.address, ca());
    const before = mutual.errors.length;
    await expect(workerReaches(t)).rejects.toThrow();
    expect(mutual.errors.slice(before).join('\n')).toMatch(/peer did not return a certificate/);
  });
});

describe('TEMPORAL_TLS_SERVER_NAME: the address is not a name in the certificate', () => {
  it('with it, both reach the frontend; without it, the name does not match', async () => {
    const t = targetFor(renamed.address, { ...ca(), TEMPORAL_TLS_SERVER_NAME: 'temporal-frontend' });
    expect(await clientReaches(t)).toBe(namespace);
    expect(await workerReaches(t)).toBe(namespace);
    await expect(workerReaches(targetFor(renamed.address, ca()))).rejects.toThrow(/InvalidCertificate\(NotValidForName/);
  });
});

describe('the settings are checked at start', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      targetFor('127.0.0.1:7233', env);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems;
    }
  };

  it('names a CA that is not a PEM certificate, or a file that is not there', () => {
    expect(problemsOf({ TEMPORAL_TLS_CA: file('ca.key') })).toEqual([
      'TEMPORAL_TLS_CA: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)',
    ]);
    expect(problemsOf({ TEMPORAL_TLS_CA: file('nope.pem') }).join()).toMatch(/^TEMPORAL_TLS_CA: cannot read file/);
    const broken = pem('ca.pem')
      .toString()
      .replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    expect(problemsOf({ TEMPORAL_TLS_CA: broken }).join()).toMatch(/^TEMPORAL_TLS_CA: certificate 1 of 1 does not parse/);
  });

  it('names a client certificate or key that is the wrong thing', () => {
    expect(problemsOf({ TEMPORAL_TLS_CERT: file('client.key'), TEMPORAL_TLS_KEY: file('client.key') })).toEqual([
      'TEMPORAL_TLS_CERT: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)',
    ]);
    expect(problemsOf({ TEMPORAL_TLS_CERT: file('client.pem'), TEMPORAL_TLS_KEY: file('client.pem') }).join()).toMatch(
      /^TEMPORAL_TLS_KEY: not a PEM private key/,
    );
  });

  it('wants a bare host name in TEMPORAL_TLS_SERVER_NAME', () => {
    for (const bad of ['https://temporal', 'temporal:7233', 'two words']) {
      expect(problemsOf({ TEMPORAL_TLS_SERVER_NAME: bad }).join()).toMatch(/^TEMPORAL_TLS_SERVER_NAME: must be a host name/);
    }
    expect(problemsOf({ TEMPORAL_TLS_SERVER_NAME: 'temporal-frontend.internal' })).toEqual([]);
  });
});
