/**
 * Reading the case's facts from Stripe: at the start, for the decline of an attempt Stripe made on
 * its own, while a debit settles, and just before the end action.
 */
import type { FactsRead } from '../domain/caseNarrative';
import { factsReadSummary } from '../domain/caseNarrative';
import type { CaseFacts, LoadCaseFactsOptions } from '../domain/providerTypes';
import { stripe } from './caseActivities';
import type { CaseContext } from './caseContext';
import type { CallResult } from './providerCalls';

type StripeDeclineCount = NonNullable<LoadCaseFactsOptions['countStripeDecline']>;

export type LoadFacts = (
  why: FactsRead,
  opts?: { waitOnRefusal?: boolean; countStripeDecline?: StripeDeclineCount },
) => Promise<CallResult<CaseFacts>>;

/**
 * The start read also turns Stripe's own retries off on the invoice, unless the case is already
 * ending; the decline read of Stripe's own attempt counts it in the card's ledger.
 */
export function caseFacts(ctx: CaseContext): LoadFacts {
  const { record, inbox, keyPrefix } = ctx;
  return (why, opts = {}) => {
    const input: LoadCaseFactsOptions = {
      ...(why === 'start' && !inbox.endingSignaled()
        ? { pauseStripeCollection: { idempotencyKey: `${keyPrefix}/stripe_collection_pause` } }
        : {}),
      ...(opts.countStripeDecline ? { countStripeDecline: opts.countStripeDecline } : {}),
    };
    return ctx.call(
      'stripe',
      () =>
        stripe.loadCaseFacts.executeWithOptions(
          { summary: factsReadSummary(record.invoiceId, why) },
          Object.keys(input).length > 0 ? [record.invoiceId, input] : [record.invoiceId],
        ),
      opts,
    );
  };
}
