/**
 * Giving an invoice back to Stripe's own collection from the API (an operator's cancel, the
 * `release-collection` command). Stripe unreachable throws (the API answers 503: try again); an
 * invoice Stripe does not know, or a refusal, is said in the answer and never loses the cancel.
 */
import Stripe from 'stripe';
import { releaseCollection, type ReleaseResult } from '../../activities/stripe/collection';
import { isStripeUnavailable } from './errors';

export type OperatorRelease = ReleaseResult | 'invoice_not_found' | 'refused';

export async function giveBackCollection(stripe: Stripe, invoiceId: string): Promise<OperatorRelease> {
  try {
    return await releaseCollection(stripe, invoiceId);
  } catch (err) {
    if (isStripeUnavailable(err) || !(err instanceof Stripe.errors.StripeError)) throw err;
    // A 400, a key without write access to invoices: said in the answer, the cancel stands.
    return err.statusCode === 404 || err.code === 'resource_missing' ? 'invoice_not_found' : 'refused';
  }
}
