/**
 * A verified Stripe event the edge refused (an invalid field), kept until an operator replays or
 * discards it. Each one is a tiny workflow: durable, shared by every API process, listable through
 * visibility, and deduplicated by its workflow ID when Stripe delivers the same event again.
 * It holds what was received, verbatim; validating it again is the edge's job (zod stays there).
 */
import { condition, setHandler } from '@temporalio/workflow';
import {
  quarantineDetailsQuery,
  resolveQuarantineSignal,
  type QuarantinedEvent,
  type QuarantineResolution,
} from '../domain/quarantineMessages';

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
