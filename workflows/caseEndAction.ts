/**
 * The policy's end action (cancel the subscription, mark the invoice uncollectible, or leave it
 * past due), after one last look at Stripe: a late or lost webhook must never get a paid
 * customer's subscription cancelled.
 */
import { log } from '@temporalio/workflow';
import { endActionSummary } from '../domain/caseNarrative';
import { endingNewsInFacts } from '../domain/caseRecord';
import type { PlannedStep } from '../domain/schedule';
import { stripe } from './caseActivities';
import type { CaseAppEvents } from './caseAppEvents';
import type { CaseContext } from './caseContext';
import type { CaseEmails } from './caseEmails';
import type { CaseEnding, DunningResult } from './caseEnding';
import type { LoadFacts } from './caseFacts';

/** The case's end, or undefined when it goes on (news the loop acts on first, a debit settling). */
export async function endAction(
  ctx: CaseContext,
  step: PlannedStep,
  fx: { loadFacts: LoadFacts; emails: CaseEmails; events: CaseAppEvents; ending: CaseEnding },
): Promise<DunningResult | undefined> {
  const { record, inbox, keyPrefix } = ctx;
  // Paid, voided or ended at Stripe while its webhook is late or lost: end as it would have.
  const current = await fx.loadFacts('before_end');
  const news = current.kind === 'answered' ? endingNewsInFacts(current.value, Date.now()) : undefined;
  if (news && 'paid' in news) inbox.paymentSucceeded(news.paid);
  else if (news) inbox.cancel(news.cancel);
  else if (current.kind === 'answered' && current.value.paymentProcessing) {
    // A debit is settling (Stripe's own retry, the hosted page): no end action while the money
    // may be on its way. It is due again if the debit fails.
    record.startSettling(Date.now(), 'stripe');
    record.reopen(step);
    ctx.publish();
    return undefined;
  }
  // Interrupted: the signal that cut the read short ends the case at the top of the loop.
  if (news || current.kind === 'interrupted') return undefined;

  const action = record.endAction();
  // Whatever is signaled meanwhile: what matters now is that Stripe hears it.
  const applied = await ctx.call(
    'stripe',
    async () => {
      const done = await stripe.applyEndAction.executeWithOptions({ summary: endActionSummary(action) }, [
        {
          action,
          invoiceId: record.invoiceId,
          subscriptionId: record.subscriptionId,
          idempotencyKey: `${keyPrefix}/end_action`,
          ...(record.stripeCollection === 'paused_by_case' ? { releaseStripeCollection: true } : {}),
        },
      ]);
      record.endActionApplied(done.stripeCollection);
      return done;
    },
    { stop: () => false },
  );
  if (applied.kind !== 'answered') {
    // Stripe refused the end action (a 400): the case still ends, and says so in its outcome.
    log.warn('end action refused', { endAction: action, error: applied.kind === 'interrupted' ? 'interrupted' : applied.error });
    fx.events.emit('dunning.exhausted', { endAction: action, endActionRefused: true });
    return fx.ending.finish('exhausted', `${action}_refused`);
  }
  if (record.restrictAccess()) fx.events.emit('access.restricted');
  if (action !== 'leave_past_due') await fx.emails.send('email:subscription_ended', 'subscription_ended', { ending: true });
  fx.events.emit('dunning.exhausted', { endAction: action });
  return fx.ending.finish('exhausted', action);
}
