/**
 * Events to the SaaS app (`APP_WEBHOOK_URL`), signed per the Standard Webhooks spec by its
 * reference library (`webhook-id`, `webhook-timestamp`, `webhook-signature` with the `whsec_`
 * secret), so the app can verify them with any Standard Webhooks library.
 * A non-2xx answer throws, and Temporal retries until the app takes it.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Webhook } from 'standardwebhooks';
import { APP_EVENT_WORKFLOW_TYPE, appEventWorkflowId } from '../domain/appEventMessages';
import { appEventsUndelivered } from './metrics';
import type { AppEventInput } from '../domain/providerTypes';

export interface AppWebhookTarget {
  url: string;
  secret: string;
}

export async function deliverAppEvent(
  target: AppWebhookTarget | undefined,
  event: AppEventInput,
  now: () => number = Date.now,
): Promise<{ delivered: boolean; status?: number }> {
  if (!target) return { delivered: false };
  const body = JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event.data });
  // The webhook id is stable across retries so the app can drop duplicates.
  const id = `msg_${Buffer.from(event.id).toString('base64url')}`;
  const sentAt = new Date(now());
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': new Webhook(target.secret).sign(id, sentAt, body),
  };
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers,
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

/**
 * An event that was not delivered within its window: one log line, and a counter the worker's
 * metrics expose. The event itself stays visible in the delivery workflow's history.
 */
export function reportUndeliveredAppEvent(
  undelivered: { type: string; id: string; error: string },
  log: (msg: string, meta: Record<string, unknown>) => void = (msg, meta) =>
    console.warn(JSON.stringify({ level: 'warn', msg, ...meta })),
): void {
  appEventsUndelivered.inc({ type: undelivered.type });
  log('app event undelivered', undelivered);
}

/**
 * Starts the workflow that delivers one event (workflows/appEventDelivery.ts), on the case's own
 * task queue. Idempotent: the workflow ID is per case and event type, so a retried activity, or a
 * case that emits the same event again, finds it started and the app gets it once.
 */
export async function startAppEventDelivery(
  client: Client,
  taskQueue: string,
  event: AppEventInput,
): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = appEventWorkflowId(event.id);
  try {
    await client.workflow.start(APP_EVENT_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [event],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // What an operator sees in the Web UI's list: which event, for which case.
      staticSummary: `app event ${event.type} · ${String(event.data.invoiceId ?? event.id)}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { workflowId, started: false };
  }
  return { workflowId, started: true };
}
