/**
 * The retry link's POST (src/http/retryRoute.ts) without Temporal: a case whose customer is not the
 * link's is never charged, on the POST as on the GET.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DunningStatus } from '../../domain/types';
import { retryRouter } from '../../src/http/retryRoute';
import { issueRetryCsrf } from '../../src/http/retryCsrf';
import { createLinkToken } from '../../activities/links/updateLinkToken';

const SECRET = 'retry-route-test-secret-0123456789abcdef';
const nowSeconds = () => Math.floor(Date.now() / 1000);
/** The case of in_1 belongs to cus_1. */
const status = {
  invoiceId: 'in_1',
  customerId: 'cus_1',
  state: 'active',
  customerRetry: { allowed: true },
} as unknown as DunningStatus;
const retries: string[] = [];
const logged: string[] = [];

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.use(
    retryRouter({
      cases: {
        status: async (invoiceId) => (invoiceId === 'in_1' ? status : undefined),
        requestRetry: async (invoiceId) => {
          retries.push(invoiceId);
          return {
            kind: 'refused',
            refusal: { allowed: false, reason: 'cooldown', retryAt: '2026-12-01T00:00:00.000Z' },
          } as never;
        },
      },
      linkSecret: SECRET,
      publicBaseUrl: 'http://localhost:3000',
      businessName: 'Acme',
      log: (msg) => logged.push(msg),
    }),
  );
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** POSTs the confirmation form of a retry link for `customerId`'s invoice in_1, with a valid form field. */
async function confirm(customerId: string, invoiceId = 'in_1') {
  const token = createLinkToken(SECRET, { customerId, invoiceId, exp: nowSeconds() + 3600, purpose: 'retry' });
  const csrf = issueRetryCsrf(SECRET, token, nowSeconds());
  return fetch(`${base}/billing/retry/${token}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf }),
  });
}

describe('POST /billing/retry/:token', () => {
  it("refuses a link signed for another customer than the case's, and charges nothing", async () => {
    retries.length = 0;
    const res = await confirm('cus_other');
    expect(res.status).toBe(400);
    expect(retries).toEqual([]);
    expect(logged).toContain('customer retry refused: the link is for another customer');
  });

  it('asks the case when the customer is the one of the link; without a case, charges nothing', async () => {
    retries.length = 0;
    expect((await confirm('cus_1')).status).toBe(200);
    expect(retries).toEqual(['in_1']);
    retries.length = 0;
    expect((await confirm('cus_1', 'in_missing')).status).toBe(404);
    expect(retries).toEqual([]);
  });
});
