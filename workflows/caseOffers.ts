/**
 * The last-chance offer (domain/offers.ts): the offer step's email, and the customer's acceptance
 * (Update `offerAccepted`, from the offer's page) applied at Stripe, after which the case ends
 * `saved_by_offer`. Both are new behaviour behind the dated patch `last-chance-offer`: a case
 * whose history was written before it never takes either branch.
 */
import { patched } from '@temporalio/workflow';
import type { PendingOffer } from '../domain/caseInbox';
import { failedInvoiceTreatment } from '../domain/offers';
import { durationMs } from '../domain/policy';
import type { PlannedStep } from '../domain/schedule';
import { stripe } from './caseActivities';
import type { CaseAppEvents } from './caseAppEvents';
import type { CaseContext } from './caseContext';
import type { CaseEmails } from './caseEmails';
import type { CaseEnding, DunningResult } from './caseEnding';
import { datedPatch } from './patchDates';

export interface CaseOffers {
  /** The offer step is due: its email, with the offer's signed page. */
  make(step: PlannedStep): Promise<void>;
  /** The customer accepted: applied at Stripe, the case's end (`saved_by_offer`), or undefined when it goes on. */
  accept(pending: PendingOffer): Promise<DunningResult | undefined>;
}

export function caseOffers(ctx: CaseContext, fx: { emails: CaseEmails; events: CaseAppEvents; ending: CaseEnding }): CaseOffers {
  const { record, inbox, keyPrefix } = ctx;
  return {
    async make(step) {
      if (!patched(datedPatch('last-chance-offer'))) return;
      record.offerEmailDue(step);
      record.offerEmailed(await fx.emails.send(step.key, 'last_chance_offer'));
      ctx.publish();
    },

    async accept(pending) {
      const verdict = record.offerVerdict();
      const offered = record.offer;
      if (!verdict.allowed || !offered || !patched(datedPatch('last-chance-offer'))) {
        pending.outcome = { outcome: 'not_possible', reason: verdict.allowed ? 'not_offered' : verdict.reason };
        return undefined;
      }
      const { offer } = offered;
      const now = Date.now();
      // Fixed here, not in the activity: a retried call must be the same request under its key.
      const resumesAt = offer.kind === 'pause' ? now + (durationMs(offer.for) ?? 0) : undefined;
      // Whatever is signaled meanwhile (the invoice's own write-off coming back as a webhook
      // among it): once the customer said yes, Stripe must hear it.
      const applied = await ctx.call(
        'stripe',
        () =>
          stripe.applyOffer.executeWithOptions({ summary: `Stripe: apply the last-chance offer (${offer.kind})` }, [
            {
              invoiceId: record.invoiceId,
              subscriptionId: record.subscriptionId,
              offer,
              key: `${keyPrefix}/${offered.key}`,
              ...(resumesAt !== undefined ? { resumesAt: Math.floor(resumesAt / 1000) } : {}),
            },
          ]),
        { stop: () => false },
      );
      if (applied.kind !== 'answered') {
        // Stripe refused (a coupon or price that does not exist): recorded, the schedule goes on.
        record.offerFailed(applied.kind === 'interrupted' ? 'interrupted' : applied.error);
        pending.outcome = { outcome: 'failed', error: record.offer?.error ?? 'refused' };
        ctx.publish();
        return undefined;
      }
      const result = applied.value;
      if (!result.applied) {
        // Paid, closed or ended at Stripe meanwhile: the case ends as that news says (its webhook
        // may be late), at the top of the loop.
        if (result.invoiceStatus === 'paid')
          inbox.paymentSucceeded({ source: 'stripe', occurredAt: new Date(now).toISOString() });
        else if (result.invoiceStatus) inbox.cancel({ reason: `invoice_${result.invoiceStatus}`, by: 'stripe' });
        else if (result.subscriptionEnded) inbox.cancel({ reason: 'subscription_deleted', by: 'stripe' });
        pending.outcome = { outcome: 'not_possible', reason: 'case_over' };
        return undefined;
      }
      record.offerApplied(Date.now(), resumesAt);
      pending.outcome = {
        outcome: 'applied',
        offer,
        ...(resumesAt !== undefined ? { resumesAt: new Date(resumesAt).toISOString() } : {}),
      };
      // The app keeps (or gives back) the customer's access: the subscription goes on, paused or cheaper.
      fx.events.emit('dunning.saved_by_offer', {
        offer: offer.kind,
        failedInvoice: failedInvoiceTreatment(offer),
        ...(resumesAt !== undefined ? { resumesAt: new Date(resumesAt).toISOString() } : {}),
      });
      if (record.accessRestricted) fx.events.emit('access.restored');
      return fx.ending.finish('saved_by_offer', `offer_${offer.kind}`);
    },
  };
}
