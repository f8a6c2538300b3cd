/**
 * Carries out what a Stripe event means (./stripeEvents) against Temporal: for the webhook, and
 * for an operator's replay of a quarantined event. Returns what was done, for the answer's body.
 */
import type Stripe from 'stripe';
import type { DunningClient } from '../dunningClient';
import { workflowIdForInvoice } from '../../domain/messages';
import { signalCardUpdate } from './cardUpdates';
import { signalDispute } from './disputes';
import type { EventAction } from './stripeEvents';

export interface CarryOutDeps {
  cases: DunningClient;
  stripe: Stripe;
  log: (msg: string, meta?: Record<string, unknown>) => void;
}

export async function carryOut(deps: CarryOutDeps, action: EventAction): Promise<Record<string, unknown>> {
  const { cases } = deps;
  switch (action.kind) {
    case 'ignore':
      return { ignored: action.reason };
    case 'payment_failed':
      if (action.failedSignup && !cases.dunsFailedSignups) {
        return {
          ignored: `invoice ${action.signal.invoiceId} is a failed sign-up (billing_reason subscription_create); the policy does not dun failed sign-ups (failedSignups)`,
        };
      }
      // `ended`: the invoice's case is over; a late delivery is acknowledged, not a new case.
      return { ...(await cases.failureTaken(action.signal, action.failedSignup ? { failedSignup: true } : {})) };
    case 'invoice_signal':
      return {
        signaled: (await cases.signalInvoice(action.invoiceId, action.signal)) ? [workflowIdForInvoice(action.invoiceId)] : [],
      };
    case 'card_updated':
      // Visibility and Stripe's open invoices: a case started a moment ago must not miss it.
      return signalCardUpdate(
        { cases, stripe: deps.stripe, log: deps.log },
        action.customerId,
        {
          source: 'stripe',
          paymentMethodId: action.paymentMethodId,
          ...(action.cardDataChanged ? { cardDataChanged: true } : {}),
          occurredAt: action.occurredAt,
        },
        action.subscriptionId,
      );
    case 'dispute_opened':
      return signalDispute(deps, action);
    case 'card_detached': {
      // The customer's visible cases: a case started a moment ago reads the customer's cards itself.
      const signaled: string[] = [];
      for (const c of await cases.activeCasesOf(action.customerId)) {
        if (!c.invoiceId) continue;
        const payload = { paymentMethodId: action.paymentMethodId, occurredAt: action.occurredAt };
        if (await cases.signalCardDetached(c.invoiceId, payload)) signaled.push(workflowIdForInvoice(c.invoiceId));
      }
      return { signaled };
    }
    case 'subscription_cancelled': {
      const active = await cases.activeCasesOf(action.customerId);
      const invoices = new Set(active.filter((c) => c.subscriptionId === action.subscriptionId).map((c) => c.invoiceId!));
      // A case whose memo is under a removed key has no readable subscription id: its invoice in
      // Stripe tells (a Stripe that cannot answer fails the event, and Stripe delivers it again).
      for (const c of active) {
        if (c.undecryptable && c.invoiceId && (await subscriptionOfInvoice(deps.stripe, c.invoiceId)) === action.subscriptionId)
          invoices.add(c.invoiceId);
      }
      // The latest invoice is the usual failing one; it may not be visible (or memo-tagged) yet.
      if (action.latestInvoiceId) invoices.add(action.latestInvoiceId);
      const signaled: string[] = [];
      for (const invoiceId of invoices) {
        const ok = await cases.signalInvoice(invoiceId, {
          name: 'cancelDunning',
          payload: { reason: action.reason ?? 'subscription_deleted', by: 'stripe' },
        });
        if (ok) signaled.push(workflowIdForInvoice(invoiceId));
      }
      return { signaled };
    }
  }
}

async function subscriptionOfInvoice(stripe: Stripe, invoiceId: string): Promise<string | undefined> {
  const invoice = await stripe.invoices.retrieve(invoiceId);
  // Since API 2025-03-31 the subscription lives under `parent.subscription_details`.
  const sub = invoice.parent?.subscription_details?.subscription;
  return typeof sub === 'string' ? sub : sub?.id;
}
