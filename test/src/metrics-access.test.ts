// Who may read /metrics (src/metricsAccess.ts): in production only with METRICS_TOKEN as a bearer
// token, and nobody without one; in development anybody, as before. Checked on the rule, on the
// configuration that picks it, and on both servers that serve /metrics (the API's, the worker's).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import type { DunningClient } from '../../src/dunningClient';
import { createApp } from '../../src/http/app';
import { Metrics } from '../../src/metrics';
import { judgeMetricsRequest, metricsAccessFrom, type MetricsAccess } from '../../src/metricsAccess';
import type { QuarantineStore } from '../../src/quarantine/quarantineStore';
import { serveWorkerMetrics } from '../../src/workerMetricsServer';

const TOKEN = 'metrics-token-0123456789abcdefghijklmnop';
const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  API_TOKEN: 'api-token-0123456789abcdefghijklmnop',
  LINK_SECRET: 'l'.repeat(32),
  STRIPE_SECRET_KEY: 'sk_test_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  RESEND_API_KEY: 're_x',
  PAYLOAD_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
};

describe('the rule', () => {
  it('is open in development, off in production without a token, a bearer token with one', () => {
    expect(metricsAccessFrom(false, undefined)).toEqual({ kind: 'open' });
    expect(metricsAccessFrom(true, undefined)).toEqual({ kind: 'off' });
    expect(metricsAccessFrom(true, TOKEN)).toEqual({ kind: 'token', token: TOKEN });
    expect(metricsAccessFrom(false, TOKEN)).toEqual({ kind: 'token', token: TOKEN });
  });

  it('serves only the right bearer token', () => {
    const access: MetricsAccess = { kind: 'token', token: TOKEN };
    expect(judgeMetricsRequest(access, `Bearer ${TOKEN}`)).toEqual({ serve: true });
    expect(judgeMetricsRequest(access, `bearer  ${TOKEN} `)).toEqual({ serve: true });
    for (const header of [undefined, '', 'Bearer', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      expect(judgeMetricsRequest(access, header), String(header)).toMatchObject({ serve: false, status: 401 });
    }
    expect(judgeMetricsRequest({ kind: 'off' }, `Bearer ${TOKEN}`)).toMatchObject({ serve: false, status: 404 });
    expect(judgeMetricsRequest({ kind: 'open' }, undefined)).toEqual({ serve: true });
  });

  it('comes from NODE_ENV and METRICS_TOKEN, which must be long enough', () => {
    expect(loadConfig({ ...PRODUCTION_ENV }).metricsAccess).toEqual({ kind: 'off' });
    expect(loadConfig({ ...PRODUCTION_ENV, METRICS_TOKEN: TOKEN }).metricsAccess).toEqual({ kind: 'token', token: TOKEN });
    expect(() => loadConfig({ ...PRODUCTION_ENV, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be at least 16/);
    // In production it is a password like the others: 32 random characters at least.
    expect(() => loadConfig({ ...PRODUCTION_ENV, METRICS_TOKEN: 'metrics-token-0123456789' })).toThrow(
      /METRICS_TOKEN: 24 characters; production needs at least 32/,
    );
  });
});

let server: Server | undefined;
afterEach(
  () =>
    new Promise<void>((r) => {
      if (!server) return r();
      server.close(() => r());
      server.closeAllConnections();
      server = undefined;
    }),
);

/** The API's /metrics, on a port of its own; no case is reached on this route. */
async function apiMetricsUrl(metricsAccess?: MetricsAccess): Promise<string> {
  const app = createApp({
    stripe: {} as never,
    cases: { client: { options: { namespace: 'default' } } } as unknown as DunningClient,
    quarantine: {} as QuarantineStore,
    metrics: new Metrics({}),
    webhookSecret: 'whsec_x',
    apiToken: 'api-token-0123456789abcdef',
    linkSecret: 'l'.repeat(32),
    publicBaseUrl: 'http://127.0.0.1',
    businessName: 'Acme',
    log: () => undefined,
    metricsAccess,
  });
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("the API's /metrics", () => {
  it('development (no rule given): open, as before', async () => {
    const res = await fetch(await apiMetricsUrl());
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('dunning_stripe_webhooks_total');
  });

  it('production with METRICS_TOKEN: 401 without it or with another, 200 with it', async () => {
    const url = await apiMetricsUrl(metricsAccessFrom(true, TOKEN));
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await fetch(url, bearer('another-token-0123456789'))).status).toBe(401);
    const ok = await fetch(url, bearer(TOKEN));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('dunning_stripe_webhooks_total');
  });

  it('production without METRICS_TOKEN: off (404), whatever the caller sends', async () => {
    const url = await apiMetricsUrl(metricsAccessFrom(true, undefined));
    for (const init of [undefined, bearer(TOKEN)]) {
      const res = await fetch(url, init);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'metrics_off' } });
    }
  });
});

describe("the worker's /metrics (METRICS_PORT)", () => {
  it('production with METRICS_TOKEN: 401 without it, 200 with it; off without one', async () => {
    const guarded = await serveWorkerMetrics(0, { host: '127.0.0.1', access: metricsAccessFrom(true, TOKEN) });
    const off = await serveWorkerMetrics(0, { host: '127.0.0.1', access: metricsAccessFrom(true, undefined) });
    try {
      expect((await fetch(guarded.url)).status).toBe(401);
      const ok = await fetch(guarded.url, bearer(TOKEN));
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect((await fetch(off.url, bearer(TOKEN))).status).toBe(404);
    } finally {
      await guarded.close();
      await off.close();
    }
  });
});
