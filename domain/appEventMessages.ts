/** Names of the workflow that delivers one event to the app (workflows/appEventDelivery.ts). */
export const APP_EVENT_WORKFLOW_TYPE = 'appEventDeliveryWorkflow';
/** One delivery per case and event (`dunning-in_…/dunning.recovered`, the event's stable id). */
export const appEventWorkflowId = (eventId: string): string => `app-event:${eventId}`;

/** The delivery's activities as the Web UI lists them. */
export const deliverAppEventSummary = (type: string): string => `POST ${type} to the app`;
export const reportUndeliveredSummary = (type: string): string => `report ${type} as undelivered`;
