/**
 * A webhook delivery as Stripe makes one: the exact payload POSTed with a `Stripe-Signature`
 * header over it (the sandbox's signer), for tests that deliver events themselves.
 */
import { stripeSignatureHeader } from '../../sandbox/stripe';

export interface SignedWebhookOptions {
  /** Epoch seconds the signature claims; default now. */
  timestamp?: number;
  /** Default `application/json`. */
  contentType?: string;
}

export function postSignedWebhook(url: string, payload: string, secret: string, o: SignedWebhookOptions = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': o.contentType ?? 'application/json',
      'stripe-signature': stripeSignatureHeader(payload, secret, o.timestamp),
    },
    body: payload,
  });
}
