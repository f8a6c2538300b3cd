/**
 * appEventDeliveryWorkflow: delivers one event to the SaaS app (`APP_WEBHOOK_URL`), on its own.
 *
 * A case starts one per event (through a short activity, activities/appEvents.ts), so the case
 * ends when its business ends and an app endpoint that is down never holds a case open. Delivery retries on a bounded schedule
 * like established webhook senders (about three days, backing off to hours between tries; the
 * app-events task queue's rate limit spreads the tries of many cases), then gives up and reports
 * the event as undelivered (a log line and a metric).
 */
import { ActivityFailure, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AppEventActivities } from '../activities';
import type { AppEventInput } from '../domain/providerTypes';
import { appEventsTaskQueue } from '../domain/taskQueues';
import { deliverAppEventSummary, reportUndeliveredSummary } from '../domain/appEventMessages';

/** The whole delivery window: tries at about 5 s, 15 s, 45 s, 2 min, 7 min, 20 min, 1 h, 3 h, then every 6 h. */
export const APP_EVENT_DELIVERY_WINDOW = '3 days';

export interface AppEventDeliveryResult {
  delivered: boolean;
  error?: string;
}

export async function appEventDeliveryWorkflow(event: AppEventInput): Promise<AppEventDeliveryResult> {
  const taskQueue = appEventsTaskQueue(workflowInfo().taskQueue);
  const { deliverAppEvent } = proxyActivities<AppEventActivities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: APP_EVENT_DELIVERY_WINDOW,
    retry: { initialInterval: '5 seconds', backoffCoefficient: 3, maximumInterval: '6 hours' },
  });
  const { reportUndeliveredAppEvent } = proxyActivities<AppEventActivities>({
    taskQueue,
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 5 },
  });
  try {
    await deliverAppEvent.executeWithOptions({ summary: deliverAppEventSummary(event.type) }, [event]);
    return { delivered: true };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const error = String(err.cause?.message ?? err.message);
    log.warn('app event undelivered', { type: event.type, id: event.id, error });
    await reportUndeliveredAppEvent
      .executeWithOptions({ summary: reportUndeliveredSummary(event.type) }, [{ type: event.type, id: event.id, error }])
      .catch(() => undefined);
    return { delivered: false, error };
  }
}
