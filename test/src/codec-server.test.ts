/**
 * The codec server (src/http/codecRoute.ts) over real HTTP: the remote codec protocol, CORS for the
 * Web UI's origins, the preflight without credentials, token and cookie access, loopback-only dev.
 */
import { randomBytes } from 'node:crypto';
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

async function serve(o: Partial<CodecServerOptions>, host = '127.0.0.1') {
  const app = express();
  app.use(codecRouter({ codec, namespace: 'default', allowedOrigins: [UI, 'http://127.0.0.1:8233'], ...o }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, host, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
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
      expect(await res.json()).toEqual({
        error: { code: 'origin_not_allowed', message: expect.stringContaining('https://evil.example') },
      });
    }
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
    expect(await undecodable.json()).toEqual({
      error: { code: 'cannot_decode', message: expect.stringMatching(/key id 'other'/) },
    });
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
