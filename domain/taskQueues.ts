/**
 * The task queues of one deployment, derived from the main one (`TEMPORAL_TASK_QUEUE`). Emails and
 * events to the app have queues of their own so that each gets a task-queue-wide rate limit
 * (the email provider's limit; a gentle pace towards an app endpoint that may be down).
 */
export const emailTaskQueue = (taskQueue: string): string => `${taskQueue}-email`;
export const appEventsTaskQueue = (taskQueue: string): string => `${taskQueue}-app-events`;
