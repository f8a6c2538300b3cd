/**
 * The wait while a debit settles (the case is `processing`): nothing charges and no reminder goes
 * out until the bank answers or, past the wait (domain/settlement.ts), Stripe's facts say what
 * happened.
 */
import { condition } from '@temporalio/workflow';
import { settlementWaitSummary } from '../domain/caseNarrative';
import { endingNewsInFacts } from '../domain/caseRecord';
import type { CaseCharges } from './caseCharges';
import type { CaseContext } from './caseContext';
import type { CaseEmails } from './caseEmails';
import type { LoadFacts } from './caseFacts';

/**
 * One turn of the wait. Retries and link emails asked for meanwhile are answered "not possible"
 * (the verdicts say why); card updates wait in the inbox. The bank's answer comes as invoice.paid
 * (the loop ends the case) or as invoice.payment_failed; past the wait Stripe is asked. Either way
 * Stripe's facts decide: a failure from before the debit, delivered late, does not end the wait.
 */
export async function awaitSettlement(
  ctx: CaseContext,
  { charges, emails, loadFacts }: { charges: CaseCharges; emails: CaseEmails; loadFacts: LoadFacts },
): Promise<void> {
  const { record, inbox } = ctx;
  const retry = inbox.takeRetry();
  if (retry) {
    await charges.requestedRetry(retry);
    return;
  }
  const link = inbox.takeLink();
  if (link) {
    await emails.resendLink(link);
    return;
  }
  const checkAt = record.settlementCheckAt() ?? Date.now();
  const news = () => inbox.endingSignaled() || inbox.failures.length > 0 || inbox.retryPending() || inbox.linkPending();
  const waitMs = checkAt - Date.now();
  const summary = settlementWaitSummary(checkAt, record.timeZone());
  if (waitMs > 0 && (await condition(news, waitMs, { summary })) && inbox.failures.length === 0) return;
  if (inbox.endingSignaled()) return;
  const failure = inbox.takeLatestFailure();
  const read = await loadFacts(failure ? 'decline' : 'settlement');
  if (read.kind === 'interrupted') return;
  if (read.kind !== 'answered') {
    // Stripe refused to say: the case keeps waiting, and asks again later.
    record.stillSettling(Date.now());
    ctx.publish();
    return;
  }
  const ending = endingNewsInFacts(read.value, Date.now());
  if (ending && 'paid' in ending) inbox.paymentSucceeded(ending.paid);
  else if (ending) inbox.cancel(ending.cancel);
  else if (read.value.paymentProcessing) {
    if (!failure) record.stillSettling(Date.now());
  } else {
    record.debitFailed(Date.now(), read.value.lastDecline ?? failure, failure?.amountDue);
    record.replan(Date.now());
  }
  ctx.publish();
}
