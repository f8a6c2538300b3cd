/**
 * How a case begins: it learns the facts (the webhook's first, then Stripe's), ends at once when
 * the invoice settled before the failure reached us, and plans its steps.
 */
import { condition, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { DunningCustomerId, DunningInvoiceId } from '../domain/searchAttributes';
import type { CaseContext } from './caseContext';
import type { CaseEnding, DunningResult } from './caseEnding';
import type { LoadFacts } from './caseFacts';

/** Learns the facts and plans the case; a result when the case is over before it began. */
export async function learnTheFacts(
  ctx: CaseContext,
  fx: { loadFacts: LoadFacts; ending: CaseEnding },
): Promise<DunningResult | undefined> {
  const { record, inbox } = ctx;
  upsertSearchAttributes([
    { key: DunningInvoiceId, value: record.invoiceId },
    { key: DunningCustomerId, value: record.customerId },
  ]);
  // Signal-with-start delivers the first failure before this line runs; a bare start waits for it.
  await condition(() => inbox.failures.length > 0 || inbox.endingSignaled());
  const firstSignal = inbox.failures[0];
  record.learnFromWebhook(firstSignal);
  const failuresBeforeLoad = inbox.failures.length;
  const loaded = await fx.loadFacts('start', { waitOnRefusal: true });
  if (loaded.kind === 'not_found') return fx.ending.finish('cancelled', 'invoice_not_found');
  if (loaded.kind !== 'answered') {
    // Paid elsewhere or cancelled while Stripe could not tell us the facts: end as the signal says.
    return inbox.paidElsewhere
      ? fx.ending.finish('recovered', `paid_${inbox.paidElsewhere.source}`)
      : fx.ending.finish('cancelled', inbox.cancellation!.reason);
  }
  record.learnFacts(loaded.value);
  // In the memo so that visibility listings can tell which subscription a case belongs to.
  if (record.subscriptionId) upsertMemo({ subscriptionId: record.subscriptionId });
  const settled = record.settledBeforeStart();
  if (settled) return fx.ending.finish(settled.state, settled.outcome);
  record.classifyFirst(firstSignal, Date.now());
  // A debit made elsewhere (the hosted page, Stripe's own retry) is settling: the case waits for it.
  if (loaded.value.paymentProcessing) record.startSettling(Date.now(), 'stripe');
  // The facts answer the failures that started the case; any signaled during the load are news.
  inbox.failures.splice(0, failuresBeforeLoad);
  record.replan(Date.now());
  return undefined;
}

/**
 * A card added before the failure reached us: tried at once, queued beside any report that came
 * first (a late re-report of the card that failed must not hide it).
 */
export function queueCardAddedBeforeStart(ctx: CaseContext): void {
  const added = ctx.record.cardAddedBeforeStart(Date.now());
  if (added) ctx.inbox.cardAddedBeforeStart(added);
}
