/**
 * The activities a case calls, with the timeouts and retries each needs. Workflow code: the
 * proxies are made inside the workflow (they read its task queue).
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DunningActivities, EmailActivities } from '../activities';
import { emailTaskQueue } from '../domain/taskQueues';

/**
 * Each Stripe call gives up within minutes (8 attempts, about 3 minutes of backoff; the time a
 * task waits in a queue does not count, so a backlog is not mistaken for an outage). A longer
 * outage comes back to the case, which records it and waits (providerCalls.ts). Refusals that
 * time cannot fix arrive non-retryable from the activities.
 */
export const stripe = proxyActivities<DunningActivities>({
  startToCloseTimeout: '45 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** Starting an event's delivery workflow: a call to Temporal itself, retried until it is taken. */
export const appEventStarts = proxyActivities<DunningActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
});

/**
 * The end record (caseEndRecord.ts): our own store, not a provider. Retried for about two hours
 * (a database restart, a full disk being cleared); after that the case ends without it.
 */
export const endRecords = proxyActivities<DunningActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 18 },
});

/**
 * A text message (activities/sms/sendSms.ts): every attempt first looks for the message an earlier
 * one sent, so retries are safe. About 6 minutes of trying; after that the text is recorded as not
 * sent and the case goes on (a text is one more nudge, never worth holding the case for).
 */
export const sms = proxyActivities<DunningActivities>({
  startToCloseTimeout: '45 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/**
 * Emails run on their own task queue, whose worker is rate-limited to the provider's limit. No
 * schedule-to-close timeout: a burst of failures queues emails for longer than any outage we would
 * want to notice, so attempts are counted instead (about 6 minutes of trying, Retry-After honoured).
 */
export function emailActivities() {
  return proxyActivities<EmailActivities>({
    taskQueue: emailTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8 },
  });
}
