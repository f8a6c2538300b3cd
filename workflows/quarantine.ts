/**
 * A verified Stripe event the edge refused (an invalid field), kept until an operator replays or
 * discards it. Each one is a tiny workflow: durable, shared by every API process, listable through
 * visibility, and deduplicated by its workflow ID when Stripe delivers the same event again.
 * It holds what was received, verbatim; validating it again is the edge's job (zod stays there).
 */
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';

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

/** Waits, without a timeout (nothing is lost by waiting), for the operator's decision. */
export async function quarantinedStripeEvent(event: QuarantinedEvent): Promise<QuarantineResolution & { at: string }> {
  let resolution: QuarantineResolution | undefined;
  setHandler(quarantineDetailsQuery, () => event);
  setHandler(resolveQuarantineSignal, (r) => {
    resolution ??= r; // the first decision counts
  });
  await condition(() => resolution !== undefined);
  return { ...resolution!, at: new Date().toISOString() };
}
