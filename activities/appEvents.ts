/**
 * Events to the SaaS app (`APP_WEBHOOK_URL`), signed per the Standard Webhooks spec:
 * `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `${id}.${timestamp}.${body}` with the base64 part of the `whsec_` secret as key.
 * A non-2xx answer throws, and Temporal retries until the app takes it.
 */
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { AppEventInput } from './types';

export interface AppWebhookTarget {
  url: string;
  secret: string;
}

export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export async function deliverAppEvent(
  target: AppWebhookTarget | undefined,
  event: AppEventInput,
  now: () => number = Date.now,
): Promise<{ delivered: boolean; status?: number }> {
  if (!target) return { delivered: false };
  const body = JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event.data });
  const timestamp = Math.floor(now() / 1000);
  // The webhook id is stable across retries so the app can drop duplicates.
  const id = `msg_${Buffer.from(event.id).toString('base64url')}`;
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhook(target.secret, id, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw ApplicationFailure.retryable(`app webhook unreachable: ${(err as Error).message}`, 'AppWebhookUnreachable');
  }
  if (!res.ok) {
    throw ApplicationFailure.retryable(`app webhook answered ${res.status}`, 'AppWebhookRejected');
  }
  return { delivered: true, status: res.status };
}
