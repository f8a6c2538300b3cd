// POST /webhooks/resend before Temporal is reached: without RESEND_WEBHOOK_SECRET it answers 503
// (Resend delivers again once the secret is set), never 2xx, so no event is lost meanwhile. The
// route with a case behind it is tested end to end in test/temporal/resend-webhooks.test.ts.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { DunningClient } from '../../src/dunningClient';
import { resendWebhookRouter } from '../../src/http/resendWebhookRoute';
import { Metrics } from '../../src/metrics';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function start(secret: string | undefined): Promise<{ url: string; metrics: Metrics }> {
  const metrics = new Metrics({});
  // No case is reached on these paths: a client that is never called.
  const cases = {} as DunningClient;
  const app = express().use(resendWebhookRouter({ secret, cases, metrics, log: () => undefined }));
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/resend`, metrics };
}

describe('POST /webhooks/resend without a case', () => {
  it('no secret configured: 503, deliver again later', async () => {
    const { url, metrics } = await start(undefined);
    const res = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { 'svix-id': 'msg_1', 'svix-timestamp': '1', 'svix-signature': 'v1,x' },
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'not_configured' } });
    expect(await metrics.render()).toMatch(/dunning_resend_webhooks_total\{type="unknown",result="not_configured"\} 1/);
  });

  it('a missing header: 400', async () => {
    const { url } = await start(`whsec_${Buffer.from('secret').toString('base64')}`);
    const res = await fetch(url, { method: 'POST', body: '{}', headers: { 'svix-id': 'msg_1', 'svix-timestamp': '1' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'missing_signature' } });
  });
});
