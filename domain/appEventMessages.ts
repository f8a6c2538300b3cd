/** Names of the workflow that delivers one event to the app (workflows/appEventDelivery.ts). */
export const APP_EVENT_WORKFLOW_TYPE = 'appEventDeliveryWorkflow';
/** One delivery per case and event (`dunning-in_…/dunning.recovered`, the event's stable id). */
export const appEventWorkflowId = (eventId: string): string => `app-event:${eventId}`;
