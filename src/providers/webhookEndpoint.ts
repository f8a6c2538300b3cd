/**
 * At start, with real Stripe keys: which webhook endpoint of the account delivers to this service
 * (`PUBLIC_BASE_URL/webhooks/stripe`), at which API version, and for which events. Stripe renders
 * events at the endpoint's version, not the SDK's, and sends only the events it was told to, so a
 * wrong endpoint fails quietly: its events are quarantined (api_version_mismatch) or never come.
 * Said once in the log; never stops the service (the endpoint may be managed elsewhere).
 */
import type Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';

export type WebhookEndpointReport =
  | { found: false; url: string; otherUrls: string[] }
  | {
      found: true;
      url: string;
      id: string;
      status: string;
      apiVersion: string | null;
      versionMatches: boolean;
      enabledEvents: string[];
      /** Used event types the endpoint does not send (none when it sends `*`). */
      missingEvents: string[];
    };

/** Reads the account's endpoints (every page) and reports the one that delivers to `url`. */
export async function readWebhookEndpoint(
  stripe: Stripe,
  url: string,
  usedEvents: readonly string[],
): Promise<WebhookEndpointReport> {
  const urls: string[] = [];
  for await (const e of stripe.webhookEndpoints.list({ limit: 100 })) {
    if (e.url !== url) {
      urls.push(e.url);
      continue;
    }
    const all = e.enabled_events.includes('*');
    return {
      found: true,
      url,
      id: e.id,
      status: e.status,
      apiVersion: e.api_version,
      versionMatches: e.api_version === STRIPE_API_VERSION,
      enabledEvents: [...e.enabled_events],
      missingEvents: all ? [] : usedEvents.filter((t) => !e.enabled_events.includes(t)),
    };
  }
  return { found: false, url, otherUrls: urls };
}

/** One log line: info when the endpoint is as it should be, warn with what to fix otherwise. */
export function describeWebhookEndpoint(r: WebhookEndpointReport): { level: 'info' | 'warn'; message: string } {
  if (!r.found) {
    return {
      level: 'warn',
      message: `no Stripe webhook endpoint delivers to ${r.url} (the account has ${r.otherUrls.length ? r.otherUrls.join(', ') : 'none'}): create it at API version ${STRIPE_API_VERSION} (docs/setup.md, "Stripe webhook endpoint")`,
    };
  }
  const problems = [
    !r.versionMatches &&
      `its API version is ${r.apiVersion ?? 'the account default'}, not ${STRIPE_API_VERSION}: its events will be quarantined (api_version_mismatch); create it again at ${STRIPE_API_VERSION}`,
    r.missingEvents.length > 0 && `it does not send ${r.missingEvents.join(', ')}`,
    r.status !== 'enabled' && `it is ${r.status}`,
  ].filter((p): p is string => typeof p === 'string');
  const what = `Stripe webhook endpoint ${r.id} (${r.url}): API version ${r.apiVersion ?? 'none'}, events ${r.enabledEvents.join(', ')}`;
  return problems.length
    ? { level: 'warn', message: `${what}; ${problems.join('; ')}` }
    : { level: 'info', message: `${what}: as expected` };
}
