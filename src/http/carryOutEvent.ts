/**
 * Carries out what a Stripe event means (./stripeEvents) against Temporal: for the webhook, and
 * for an operator's replay of a quarantined event. Returns what was done, for the answer's body.
 */
import type Stripe from 'stripe';
import type { DunningClient } from '../dunningClient';
import { workflowIdForInvoice } from '../../domain/messages';
import { signalCardUpdate } from './cardUpdates';
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
      // `ended`: the invoice's case is over; a late delivery is acknowledged, not a new case.
      return { ...(await cases.failureTaken(action.signal)) };
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
    case 'subscription_cancelled': {
      const active = await cases.activeCasesOf(action.customerId);
      const invoices = new Set(active.filter((c) => c.subscriptionId === action.subscriptionId).map((c) => c.invoiceId!));
      // The latest invoice is the usual failing one; it may not be visible (or memo-tagged) yet.
      if (action.latestInvoiceId) invoices.add(action.latestInvoiceId);
      const signaled: string[] = [];
      for (const invoiceId of invoices) {
        const ok = await cases.signalInvoice(invoiceId, {
          name: 'cancelDunning',
          payload: { reason: 'subscription_deleted', by: 'stripe' },
        });
        if (ok) signaled.push(workflowIdForInvoice(invoiceId));
      }
      return { signaled };
    }
  }
}
