/**
 * What the whole app (src/http/app.ts) does for every route, without Temporal: helmet's headers
 * (HSTS only behind an https PUBLIC_BASE_URL), `trust proxy` as configured (none by default), the
 * scheme from PUBLIC_BASE_URL, and a /readyz that tells its caller little.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import type { DunningClient } from '../../src/dunningClient';
import { createApp, type AppDeps } from '../../src/http/app';

const TOKEN = 'app-headers-test-token-0123456789abcdef';
const cases = {
  taskQueue: 'dunning',
  client: {
    options: { namespace: 'default' },
    withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn(),
    workflowService: {
      getSystemInfo: async () => {
        throw new Error('14 UNAVAILABLE: connect ECONNREFUSED 10.20.30.40:7233 (temporal.internal.example)');
      },
    },
  },
} as unknown as DunningClient;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

async function serve(deps: Partial<AppDeps> = {}) {
  const logged: Array<{ msg: string; meta?: Record<string, unknown> }> = [];
  const app = createApp({
    stripe: {} as Stripe,
    cases,
    webhookSecret: 'whsec_dGVzdA==',
    apiToken: TOKEN,
    linkSecret: 'app-headers-test-link-secret-0123456789',
    publicBaseUrl: 'http://localhost:3000',
    businessName: 'Acme',
    log: (msg, meta) => logged.push({ msg, meta }),
    ...deps,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logged };
}

const login = (base: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }),
  });

describe('the app', () => {
  it("sends helmet's headers on every answer, without HSTS over http", async () => {
    const { base } = await serve();
    for (const path of ['/healthz', '/nope', '/codec/login', '/dashboard/login']) {
      const res = await fetch(`${base}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
      expect(res.headers.get('strict-transport-security'), path).toBeNull();
      expect(res.headers.get('content-security-policy'), path).not.toContain('upgrade-insecure-requests');
    }
  });

  it('sends HSTS when PUBLIC_BASE_URL is https', async () => {
    const { base } = await serve({ publicBaseUrl: 'https://billing.example.com' });
    const res = await fetch(`${base}/healthz`);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect(res.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });

  it('believes no X-Forwarded-For by default: a client cannot escape the sign-in limit by making one up', async () => {
    const { base } = await serve();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await login(base, 'wrong', { 'x-forwarded-for': `198.51.100.${i}` })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });

  it('with TRUST_PROXY=1, counts per forwarded client', async () => {
    const { base } = await serve({ trustProxy: 1 });
    for (let i = 0; i < 10; i++) await login(base, 'wrong', { 'x-forwarded-for': '198.51.100.1' });
    expect((await login(base, 'wrong', { 'x-forwarded-for': '198.51.100.1' })).status).toBe(429);
    // Another client behind the same proxy is not locked out.
    expect((await login(base, TOKEN, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(303);
  });

  it('takes the scheme from PUBLIC_BASE_URL, never from X-Forwarded-Proto', async () => {
    const { base } = await serve({ trustProxy: 1 });
    const res = await login(base, TOKEN, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.3' });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).not.toContain('Secure');
  });

  it('/readyz: a 503 that names no address, the detail in the log', async () => {
    const { base, logged } = await serve();
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toMatch(/10\.20\.30\.40|internal|ECONNREFUSED/);
    expect(JSON.parse(text)).toEqual({ error: { code: 'temporal_unavailable', message: 'Temporal is unreachable' } });
    expect(String(logged.find((l) => l.msg.startsWith('readyz'))?.meta?.error)).toContain('10.20.30.40:7233');
  });
});
