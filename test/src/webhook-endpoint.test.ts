/**
 * The start-up check of the Stripe webhook endpoint (issue #20), through the real stripe-node SDK
 * against the sandbox's `GET /v1/webhook_endpoints`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStripeSandbox, type StripeSandbox } from '../../sandbox/stripe';
import { isUsedEventType, USED_TYPES } from '../../src/http/stripeEventSchemas';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
import { createStripeClient } from '../../src/providers/stripe';
import { describeWebhookEndpoint, readWebhookEndpoint } from '../../src/providers/webhookEndpoint';

const URL = 'https://billing.example.com/webhooks/stripe';
let sandbox: StripeSandbox;
beforeAll(async () => {
  sandbox = await startStripeSandbox({ webhookSecret: 'whsec_endpoint_check', webhookUrl: URL });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => sandbox.setWebhookEndpoint({ apiVersion: STRIPE_API_VERSION, enabledEvents: ['*'], url: URL }));
const stripe = () => createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, maxNetworkRetries: 0 });

describe('the webhook endpoint, read at start', () => {
  it('at the pinned version with every event: said at info', async () => {
    const r = await readWebhookEndpoint(stripe(), URL, USED_TYPES);
    expect(r).toMatchObject({ found: true, apiVersion: STRIPE_API_VERSION, versionMatches: true, missingEvents: [] });
    const said = describeWebhookEndpoint(r);
    expect(said.level).toBe('info');
    expect(said.message).toContain(`API version ${STRIPE_API_VERSION}`);
  });

  it('another version and missing events: a warning naming both versions and the events', async () => {
    const some = USED_TYPES.filter((t) => t !== 'charge.dispute.created' && t !== 'invoice.payment_action_required');
    sandbox.setWebhookEndpoint({ apiVersion: '2024-06-20', enabledEvents: [...some, 'charge.succeeded'] });
    const r = await readWebhookEndpoint(stripe(), URL, USED_TYPES);
    expect(r).toMatchObject({
      found: true,
      apiVersion: '2024-06-20',
      versionMatches: false,
      missingEvents: ['invoice.payment_action_required', 'charge.dispute.created'],
    });
    const said = describeWebhookEndpoint(r);
    expect(said.level).toBe('warn');
    expect(said.message).toContain(`its API version is 2024-06-20, not ${STRIPE_API_VERSION}`);
    expect(said.message).toContain('it does not send invoice.payment_action_required, charge.dispute.created');
    expect(USED_TYPES.every(isUsedEventType)).toBe(true);
  });

  it('no endpoint for this service: a warning naming the URL and the ones the account has', async () => {
    const r = await readWebhookEndpoint(stripe(), 'https://other.example.com/webhooks/stripe', USED_TYPES);
    expect(r).toEqual({ found: false, url: 'https://other.example.com/webhooks/stripe', otherUrls: [URL] });
    expect(describeWebhookEndpoint(r)).toMatchObject({
      level: 'warn',
      message: expect.stringContaining('no Stripe webhook endpoint delivers to https://other.example.com'),
    });
  });
});
