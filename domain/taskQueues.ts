/**
 * The task queues of one deployment, derived from the main one (`TEMPORAL_TASK_QUEUE`). Emails and
 * events to the app have queues of their own so that each gets a task-queue-wide rate limit
 * (the email provider's limit; a gentle pace towards an app endpoint that may be down).
 */
export const emailTaskQueue = (taskQueue: string): string => `${taskQueue}-email`;
export const appEventsTaskQueue = (taskQueue: string): string => `${taskQueue}-app-events`;

/**
 * Priority keys on the email queue (lower goes first; the server's default is 3 of 1-5). In a
 * backlog the emails a customer is waiting for go first: the first one after a failure and the
 * confirmations of something that just happened (paid, the new card declined, the subscription
 * ended). Reminders and the final notice were planned days ahead: minutes later costs nothing.
 * The server honours priorities only with the dynamic config `matching.useNewMatcher=true`.
 */
export const URGENT_EMAIL_PRIORITY = 1;
export const ROUTINE_EMAIL_PRIORITY = 3;

const URGENT_EMAILS = new Set(['payment_failed', 'payment_recovered', 'new_card_declined', 'subscription_ended']);

/** `template` as the case names it ('payment_failed'), or as resolved ('payment_failed.generic'). */
export function emailPriorityKey(template: string): number {
  return URGENT_EMAILS.has(template.split('.')[0]!) ? URGENT_EMAIL_PRIORITY : ROUTINE_EMAIL_PRIORITY;
}
