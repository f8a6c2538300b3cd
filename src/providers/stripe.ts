import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';

export interface StripeClientOptions {
  secretKey: string;
  /** e.g. `https://api.stripe.com` (default), `http://127.0.0.1:12111` (stripe-mock or the sandbox). */
  apiBase?: string;
  /** Network retries inside the SDK; Temporal retries the activity on top of this. */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

export function createStripeClient(opts: StripeClientOptions): Stripe {
  const base = new URL(opts.apiBase ?? 'https://api.stripe.com');
  return new Stripe(opts.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    host: base.hostname,
    port: base.port ? Number(base.port) : base.protocol === 'http:' ? 80 : 443,
    protocol: base.protocol === 'http:' ? 'http' : 'https',
    maxNetworkRetries: opts.maxNetworkRetries ?? 1,
    timeout: opts.timeoutMs ?? 20_000,
    appInfo: { name: 'dunning-service' },
  });
}
