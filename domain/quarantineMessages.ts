/**
 * The quarantine's names and messages (workflows/quarantine.ts keeps each refused event; the edge
 * lists, replays and discards them). Defined once, shared by the workflow and the edge.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const QUARANTINE_WORKFLOW_TYPE = 'quarantinedStripeEvent';
/** `eventId` is Stripe's `evt_…`, or `body_<sha256>` for an event without a usable id. */
export const workflowIdForQuarantine = (eventId: string): string => `quarantine-${eventId}`;

export interface QuarantinedEvent {
  eventId: string;
  /** The event's type when it had a well-formed one, else `unknown`. */
  type: string;
  /** Path of the first invalid field (`data.object.amount_due`; `(body)` for the whole body). */
  field: string;
  /** Every problem found, bounded in length. */
  reason: string;
  receivedAt: string;
  /** The body as received: UTF-8 text, or gzip then base64 for a large one (payload size limits). */
  rawBody: string;
  rawBodyEncoding: 'utf8' | 'gzip-base64';
}

/** The summary kept in the memo, so that a list needs no query per entry. */
export type QuarantineMemo = Pick<QuarantinedEvent, 'eventId' | 'type' | 'field' | 'reason' | 'receivedAt'>;

export interface QuarantineResolution {
  action: 'replayed' | 'discarded';
  by: string;
}

export const resolveQuarantineSignal = defineSignal<[QuarantineResolution]>('resolve');
export const quarantineDetailsQuery = defineQuery<QuarantinedEvent>('details');
