/**
 * "The customer disputed a charge" (`charge.dispute.created`): every active case of that customer
 * stops charging (signal `disputeOpened`). A dispute names no customer: its PaymentIntent does,
 * read from Stripe here (a Stripe outage answers 503, so Stripe delivers again).
 */
import type Stripe from 'stripe';
import type { DunningClient } from '../dunningClient';
import { workflowIdForInvoice } from '../../domain/messages';
import type { EventAction } from './stripeEvents';

export async function signalDispute(
  deps: { cases: DunningClient; stripe: Stripe; log: (msg: string, meta?: Record<string, unknown>) => void },
  action: Extract<EventAction, { kind: 'dispute_opened' }>,
): Promise<Record<string, unknown>> {
  if (!action.paymentIntentId) {
    deps.log('dispute of a charge without a PaymentIntent: its customer is unknown', { disputeId: action.disputeId });
    return { ignored: `dispute ${action.disputeId} names no PaymentIntent` };
  }
  const pi = await deps.stripe.paymentIntents.retrieve(action.paymentIntentId);
  const customerId = typeof pi.customer === 'string' ? pi.customer : pi.customer?.id;
  if (!customerId) return { ignored: `dispute ${action.disputeId}: the payment has no customer` };
  const invoices = new Set<string>();
  for (const c of await deps.cases.activeCasesOf(customerId)) if (c.invoiceId) invoices.add(c.invoiceId);
  const signaled: string[] = [];
  const payload = {
    disputeId: action.disputeId,
    chargeId: action.chargeId,
    ...(action.reason ? { reason: action.reason } : {}),
    occurredAt: action.occurredAt,
  };
  for (const invoiceId of invoices) {
    if (await deps.cases.signalDispute(invoiceId, payload)) signaled.push(workflowIdForInvoice(invoiceId));
  }
  deps.log('charge disputed: the customer is charged no more', { disputeId: action.disputeId, customerId, signaled });
  return { signaled, customerId };
}
