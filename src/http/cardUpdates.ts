/**
 * "The customer's card changed": signal every active case of the customer.
 *
 * Visibility (the list of running cases by `DunningCustomerId`) is eventually consistent: a case
 * started a moment ago may not be listed yet, and a card update that reached only the visible
 * cases would be lost for it. So the customer's open invoices in Stripe are read as well and
 * their cases (`dunning-<invoiceId>`) signaled directly; signaling by workflow ID is strongly
 * consistent, and an invoice without a running case simply answers "not found".
 */
import Stripe from 'stripe';
import type { DunningClient } from '../dunningClient';
import { workflowIdForInvoice } from '../../domain/messages';
import type { PaymentMethodUpdatedSignal } from '../../domain/types';

export type CardUpdateResult = {
  /** Workflow IDs that took the signal. */
  signaled: string[];
};

/** How many open invoices of one customer are looked at (Stripe's list maximum). */
const OPEN_INVOICES_LIMIT = 100;

export async function signalCardUpdate(
  deps: { cases: DunningClient; stripe: Stripe; log?: (msg: string, meta?: Record<string, unknown>) => void },
  customerId: string,
  payload: PaymentMethodUpdatedSignal,
  /** Only this subscription's cases: its own card changed, which the customer's other subscriptions never charge. */
  subscriptionId?: string,
): Promise<CardUpdateResult> {
  const [all, open] = await Promise.all([
    deps.cases.activeCasesOf(customerId),
    openInvoicesOf(deps.stripe, customerId, subscriptionId).then(
      (ids) => ({ ok: true as const, ids }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  ]);
  const visible = subscriptionId ? all.filter((c) => c.subscriptionId === subscriptionId) : all;
  // A case whose memo is under a removed key has no readable subscription id: Stripe's list of the
  // subscription's open invoices (below) routes it instead; without that list it cannot be told
  // apart from the customer's other subscriptions' cases.
  const unrouted = subscriptionId ? all.filter((c) => c.undecryptable) : [];
  const invoiceIds = new Set<string>();
  for (const c of visible) if (c.invoiceId) invoiceIds.add(c.invoiceId);
  if (open.ok) {
    for (const id of open.ids) invoiceIds.add(id);
  } else if (invoiceIds.size === 0 || unrouted.length > 0) {
    // Neither source names a case (or some cases cannot be placed): answering "none" could lose the
    // update, so fail and let the caller (Stripe, or the billing page) try again.
    throw open.error;
  } else {
    deps.log?.('open invoices unavailable; signaling the cases visibility lists', { customerId, error: String(open.error) });
  }
  const signaled: string[] = [];
  for (const invoiceId of invoiceIds) {
    if (await deps.cases.signalInvoice(invoiceId, { name: 'paymentMethodUpdated', payload })) {
      signaled.push(workflowIdForInvoice(invoiceId));
    }
  }
  return { signaled };
}

async function openInvoicesOf(stripe: Stripe, customerId: string, subscriptionId?: string): Promise<string[]> {
  try {
    const page = await stripe.invoices.list({
      customer: customerId,
      ...(subscriptionId ? { subscription: subscriptionId } : {}),
      status: 'open',
      limit: OPEN_INVOICES_LIMIT,
    });
    return page.data.filter((i) => i.collection_method === 'charge_automatically' && i.id).map((i) => i.id!);
  } catch (err) {
    // A customer Stripe does not know (deleted) has no open invoices; failing would have Stripe
    // deliver the event again for days, to the same answer.
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) return [];
    throw err;
  }
}
