/**
 * Stripe's own collection attempts on an invoice a case owns. Left on, Stripe (Smart Retries or a
 * custom schedule) charges the card beside the case's retries: twice the declines on one card,
 * against the networks' reattempt limits. A case turns the invoice's `auto_advance` off when it
 * starts and marks the invoice as paused by us, so that only what we paused is ever turned back on
 * (a merchant's own `auto_advance: false` is left alone).
 */
import Stripe from 'stripe';
import type { StripeCollection } from '../../domain/providerTypes';
import { callStripe } from './errors';

/** Invoice metadata key set while the service holds Stripe's collection off. */
export const PAUSED_BY_DUNNING = 'dunning_paused_collection';

export function collectionOf(inv: Stripe.Invoice): Exclude<StripeCollection, 'pause_refused' | 'released'> {
  if (inv.auto_advance !== false) return 'on';
  return inv.metadata?.[PAUSED_BY_DUNNING] ? 'paused_by_case' : 'off';
}

/**
 * Turns Stripe's automatic attempts off on an open invoice (idempotent: an invoice already off is
 * left as it is). Stripe refusing the change (a 400, or a restricted key without write access to
 * invoices) is recorded, never a reason for the case to stop; only an outage is retried.
 */
export async function pauseCollection(
  stripe: Stripe,
  inv: Stripe.Invoice,
  idempotencyKey: string,
): Promise<{ invoice: Stripe.Invoice; collection: StripeCollection }> {
  if (inv.status !== 'open' || inv.auto_advance === false) return { invoice: inv, collection: collectionOf(inv) };
  try {
    const invoice = await stripe.invoices.update(
      inv.id!,
      { auto_advance: false, metadata: { [PAUSED_BY_DUNNING]: 'true' } },
      { idempotencyKey },
    );
    return { invoice, collection: collectionOf(invoice) };
  } catch (err) {
    const refused =
      (err instanceof Stripe.errors.StripeInvalidRequestError && err.code !== 'lock_timeout') ||
      err instanceof Stripe.errors.StripePermissionError ||
      err instanceof Stripe.errors.StripeIdempotencyError;
    if (refused) return { invoice: inv, collection: 'pause_refused' };
    return callStripe('pause invoice collection', () => Promise.reject(err));
  }
}

export type ReleaseResult = 'released' | 'not_paused_by_case' | 'invoice_closed';

/**
 * Gives the invoice back to Stripe's automatic collection, if the service paused it and it is
 * still open. Idempotent: a second call finds nothing to do. Throws Stripe's errors as they are
 * (the HTTP API answers them; activities wrap the call in callStripe).
 */
export async function releaseCollection(stripe: Stripe, invoiceId: string, idempotencyKey?: string): Promise<ReleaseResult> {
  const inv = await stripe.invoices.retrieve(invoiceId);
  if (inv.status !== 'open') return 'invoice_closed';
  if (collectionOf(inv) !== 'paused_by_case') return 'not_paused_by_case';
  await stripe.invoices.update(
    invoiceId,
    // An empty value removes the key: the invoice looks as it did before the case.
    { auto_advance: true, metadata: { [PAUSED_BY_DUNNING]: '' } },
    idempotencyKey ? { idempotencyKey } : {},
  );
  return 'released';
}
