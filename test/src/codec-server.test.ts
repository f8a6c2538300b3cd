/**
 * The codec server (src/http/codecRoute.ts) over real HTTP: the remote codec protocol, CORS for the
 * Web UI's origins, the preflight without credentials, token and cookie access, loopback-only dev.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Server } from 'node:http';
import { defaultPayloadConverter, METADATA_ENCODING_KEY } from '@temporalio/common';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecRouter, type CodecServerOptions } from '../../src/http/codecRoute';
import { EncryptionCodec } from '../../src/temporal/payloadCodec';

const UI = 'http://localhost:8233';
const codec = new EncryptionCodec([{ id: 'k1', key: randomBytes(32) }]);
const customer = { email: 'jane.doe@example.com', name: 'Jane Doe' };
const plainJson = () => {
  const p = defaultPayloadConverter.toPayload(customer);
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  };
};

/** What the codec server logged, across the servers of this file. */
const logged: Array<{ msg: string; meta?: Record<string, unknown> }> = [];

async function serve(o: Partial<CodecServerOptions>, host = '127.0.0.1') {
  const app = express();
  app.use(
    codecRouter({
      codec,
      namespace: 'default',
      allowedOrigins: [UI, 'http://127.0.0.1:8233'],
      log: (msg, meta) => logged.push({ msg, meta }),
      ...o,
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, host, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A POST with a Host header of our choosing (fetch sends the URL's). */
function postAs(url: string, path: string, host: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method: 'POST',
      headers: { host, 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ payloads: [plainJson()] }));
  });
}

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('codec server, dev (no token): loopback only, browsers from the embedded Web UI', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (s = await serve({})));
  afterAll(() => s.close());

  it('encodes and decodes per the remote codec protocol, with CORS for the UI origin', async () => {
    const enc = await post(s.url, '/codec/encode', { payloads: [plainJson()] }, { origin: UI });
    expect(enc.status).toBe(200);
    expect(enc.headers.get('access-control-allow-origin')).toBe(UI);
    expect(enc.headers.get('access-control-allow-credentials')).toBe('true');
    const encoded = (await enc.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(Buffer.from(encoded.payloads[0]!.metadata[METADATA_ENCODING_KEY]!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').toString()).not.toContain('jane.doe');

    const dec = await post(s.url, '/codec/decode', encoded, { origin: 'http://127.0.0.1:8233' });
    expect(dec.status).toBe(200);
    const decoded = (await dec.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(decoded.payloads).toEqual([plainJson()]);
    expect(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString())).toEqual(customer);
  });

  it('answers the preflight without credentials, naming the headers the Web UI sends', async () => {
    const res = await fetch(`${s.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'content-type, x-namespace, authorization, authorization-extras',
    );
  });

  it('refuses another origin with a 403 in the contract error shape, preflight included', async () => {
    for (const method of ['OPTIONS', 'POST']) {
      const res = await fetch(`${s.url}/codec/decode`, {
        method,
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ payloads: [] }) : undefined,
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('origin_not_allowed');
      // Which origins are allowed is the operator's to read, in the log.
      expect(body.error.message).not.toContain('localhost');
    }
    expect(logged.find((l) => l.msg === 'codec: origin refused')?.meta).toMatchObject({
      origin: 'https://evil.example',
      allowed: `${UI}, http://127.0.0.1:8233`,
    });
  });

  it('takes no origin from the Host header: a page whose name resolves to this machine (DNS rebinding) is refused', async () => {
    const { port } = new URL(s.url);
    const rebound = `evil.example:${port}`;
    expect(await postAs(s.url, '/codec/decode', rebound, { origin: `http://${rebound}` })).toBe(403);
    // This server's own loopback origin (its login form) still is its own.
    expect(await postAs(s.url, '/codec/decode', `127.0.0.1:${port}`, { origin: `http://127.0.0.1:${port}` })).toBe(200);
    expect(await postAs(s.url, '/codec/decode', `localhost:${port}`, { origin: `http://localhost:${port}` })).toBe(200);
  });

  it('answers 400 to a bad body and to a payload it cannot decrypt; 404 to another operation', async () => {
    const notJson = await post(s.url, '/codec/decode', '{nope');
    expect(notJson.status).toBe(400);
    const wrongShape = await post(s.url, '/codec/decode', { payload: [] });
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { error: { message: string } }).error.message).toMatch(/body\.payloads/);
    const notBase64 = await post(s.url, '/codec/decode', { payloads: [{ data: '!!!' }] });
    expect(notBase64.status).toBe(400);
    const foreign = (
      await new EncryptionCodec([{ id: 'other', key: randomBytes(32) }]).encode([defaultPayloadConverter.toPayload(1)])
    )[0]!;
    const undecodable = await post(s.url, '/codec/decode', {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(foreign.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
          ),
          data: Buffer.from(foreign.data!).toString('base64'),
        },
      ],
    });
    expect(undecodable.status).toBe(400);
    // The caller learns that it failed; which key was missing is in the log only.
    const answer = (await undecodable.json()) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe('cannot_decode');
    expect(answer.error.message).not.toMatch(/other/);
    expect(String(logged.find((l) => l.msg === 'codec: cannot decode')?.meta?.error)).toMatch(/key id 'other'/);
    expect((await post(s.url, '/codec/compress', { payloads: [] })).status).toBe(404);
  });

  it("passes another namespace's payloads unchanged (not ours to decrypt)", async () => {
    const res = await post(s.url, '/codec/encode', { payloads: [plainJson()] }, { 'x-namespace': 'billing-other' });
    expect(await res.json()).toEqual({ payloads: [plainJson()] });
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  it.runIf(external)('refuses a caller that is not on this machine without a token', async () => {
    const remote = await serve({}, external!);
    try {
      const res = await post(remote.url, '/codec/decode', { payloads: [] });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_loopback');
    } finally {
      await remote.close();
    }
  });
});

describe('codec server with a token (compose, Temporal Cloud, the CLI)', () => {
  const token = 'codec-token-0123456789abcdef';
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (s = await serve({ token, allowedOrigins: ['https://cloud.temporal.io'] })));
  afterAll(() => s.close());

  it('needs the bearer token (the UI passing its access token, the CLI --codec-auth)', async () => {
    const origin = { origin: 'https://cloud.temporal.io' };
    expect((await post(s.url, '/codec/decode', { payloads: [] }, origin)).status).toBe(401);
    expect((await post(s.url, '/codec/decode', { payloads: [] }, { ...origin, authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await post(s.url, '/codec/decode', { payloads: [] }, { ...origin, authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://cloud.temporal.io');
    // The preflight carries no credentials and is answered anyway.
    const pre = await fetch(`${s.url}/codec/decode`, { method: 'OPTIONS', headers: origin });
    expect(pre.status).toBe(204);
  });

  it('or the cookie of its login page (the UI including credentials)', async () => {
    const bad = await fetch(`${s.url}/codec/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=nope',
    });
    expect(bad.status).toBe(401);
    const login = await fetch(`${s.url}/codec/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url },
      body: `token=${encodeURIComponent(token)}`,
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^dunning_codec=[^;]+; Path=\/codec; HttpOnly/);
    expect(cookie).not.toContain(token);
    const res = await post(s.url, '/codec/decode', { payloads: [] }, { cookie: cookie.split(';')[0]! });
    expect(res.status).toBe(200);
  });
});

describe('codec login sessions: expiry checked on the server, attempts limited, Secure over https', () => {
  const token = 'codec-token-0123456789abcdef-0123';
  const login = (url: string, given: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/codec/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: `token=${encodeURIComponent(given)}`,
    });

  it('refuses a copied cookie once its session expired, and gives each login its own', async () => {
    const clock = { now: Date.parse('2026-12-01T12:00:00Z') };
    const s = await serve({ token, now: () => clock.now });
    try {
      const cookieOf = async () => (await login(s.url, token)).headers.get('set-cookie')!.split(';')[0]!;
      const cookie = await cookieOf();
      expect(await cookieOf()).not.toBe(cookie);
      const decode = () => post(s.url, '/codec/decode', { payloads: [] }, { cookie }).then((r) => r.status);
      expect(await decode()).toBe(200);
      clock.now += 12 * 3600_000 + 1000;
      expect(await decode()).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('answers 429 with Retry-After once a client made too many refused logins', async () => {
    const s = await serve({ token, loginLimit: { limit: 2, windowMs: 60_000 } });
    try {
      expect((await login(s.url, 'nope')).status).toBe(401);
      expect((await login(s.url, 'nope')).status).toBe(401);
      const res = await login(s.url, token);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });

  it('with an https PUBLIC_BASE_URL: SameSite=None; Secure, and that origin is its own', async () => {
    const s = await serve({ token, allowedOrigins: [], publicBaseUrl: 'https://billing.example.com' });
    try {
      const res = await login(s.url, token, { origin: 'https://billing.example.com' });
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toMatch(/; SameSite=None; Secure$/);
    } finally {
      await s.close();
    }
  });
});

describe('codec server turned off (production without CODEC_TOKEN)', () => {
  it('answers 403 codec_disabled', async () => {
    const s = await serve({ enabled: false });
    try {
      const res = await post(s.url, '/codec/decode', { payloads: [] });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('codec_disabled');
    } finally {
      await s.close();
    }
  });
});
