import type Stripe from 'stripe';
import { z } from 'zod';

/**
 * The sandbox's one webhook endpoint, as `GET /v1/webhook_endpoints` shows it. Stripe renders
 * every event at its endpoint's `api_version`, so switching the version here makes the sandbox
 * label its events with another version (the data keeps the pinned shape: enough to exercise the
 * service's version check, not a model of older shapes).
 */
export const webhookEndpointSettingsSchema = z
  .object({
    apiVersion: z.string().min(1).max(100).optional(),
    enabledEvents: z.array(z.string().min(1).max(100)).min(1).optional(),
    url: z.string().url().optional(),
  })
  .strict();
export type WebhookEndpointSettings = z.infer<typeof webhookEndpointSettingsSchema>;

export class SandboxWebhookEndpoint {
  private readonly created = Math.floor(Date.now() / 1000);
  apiVersion: string;
  enabledEvents: string[] = ['*'];
  url: string | undefined;

  constructor(apiVersion: string, url: string | undefined) {
    this.apiVersion = apiVersion;
    this.url = url;
  }

  set(s: WebhookEndpointSettings): void {
    if (s.apiVersion !== undefined) this.apiVersion = s.apiVersion;
    if (s.enabledEvents !== undefined) this.enabledEvents = [...s.enabledEvents];
    if (s.url !== undefined) this.url = s.url;
  }

  /** `GET /v1/webhook_endpoints`: none when the sandbox delivers nowhere. */
  list(): { data: Stripe.WebhookEndpoint[]; url: string; limit: number } {
    const data: Stripe.WebhookEndpoint[] = this.url
      ? [
          {
            id: 'we_sandbox',
            object: 'webhook_endpoint',
            api_version: this.apiVersion,
            application: null,
            created: this.created,
            description: 'Stripe sandbox',
            enabled_events: [...this.enabledEvents],
            livemode: false,
            metadata: {},
            status: 'enabled',
            url: this.url,
          },
        ]
      : [];
    return { data, url: '/v1/webhook_endpoints', limit: 100 };
  }
}
