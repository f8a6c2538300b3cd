/**
 * Reminders before a card expires (domain/cardExpiry.ts): two workflow types of their own, apart
 * from the cases, so that the Web UI lists them by type.
 *
 * cardExpiryScanWorkflow: started by the Temporal Schedule `card-expiry-scan`
 * (src/temporal/cardExpirySchedule.ts); one activity pages through the subscriptions and starts
 * one reminder per due card.
 *
 * cardExpiryReminderWorkflow: one per card and expiry (`card-expiry:<pm>:<yyyy-mm>`). Reads the
 * card again just before the email (a card the network's account updater refreshed, or the
 * customer replaced, gets none), sends it, then reads the card every `recheckEvery` until it
 * expires: a card updated meanwhile ends the reminder as `reminded_card_updated`, which the
 * dashboard counts as a card updated before a failure. Its outcome is in its memo (`cardExpiry`).
 */
import { ActivityFailure, continueAsNew, log, proxyActivities, sleep, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { CardExpiryActivities, CardExpiryEmailActivities } from '../activities';
import {
  CARD_EXPIRY_MEMO,
  cardExpiresAt,
  type CardExpiryReminderInput,
  type ExpiryRemindersPolicy,
  type ReminderOutcome,
} from '../domain/cardExpiry';
import { parseDuration } from '../domain/policy';
import { emailTaskQueue } from '../domain/taskQueues';

/** Stripe answers within seconds; an outage is waited out for a while, and the next scan comes anyway. */
const STRIPE_CALLS = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
} as const;

export interface ScanOutcome {
  subscriptions: number;
  due: number;
  started: number;
  alreadyReminded: number;
  /** Stripe could not be listed within the scan's window: the next scheduled scan tries again. */
  error?: string;
}

export async function cardExpiryScanWorkflow(policy: ExpiryRemindersPolicy): Promise<ScanOutcome> {
  const { scanExpiringCards } = proxyActivities<CardExpiryActivities>({
    // Heartbeats after each page of 100 subscriptions; a retry resumes after the last page done.
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '2 minutes',
    scheduleToCloseTimeout: '2 hours',
    retry: STRIPE_CALLS.retry,
  });
  try {
    return await scanExpiringCards.executeWithOptions({ summary: 'list subscriptions, start reminders' }, [policy]);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const error = String(err.cause?.message ?? err.message);
    log.warn('card expiry scan gave up', { error });
    return { subscriptions: 0, due: 0, started: 0, alreadyReminded: 0, error };
  }
}

export async function cardExpiryReminderWorkflow(input: CardExpiryReminderInput): Promise<ReminderOutcome> {
  const { checkExpiringCard } = proxyActivities<CardExpiryActivities>(STRIPE_CALLS);
  const { sendCardExpiryEmail } = proxyActivities<CardExpiryEmailActivities>({
    taskQueue: emailTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 day',
    retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
  });
  const ended = (outcome: ReminderOutcome): ReminderOutcome => {
    upsertMemo({ [CARD_EXPIRY_MEMO]: outcome });
    return outcome;
  };
  const check = async () => {
    try {
      return await checkExpiringCard.executeWithOptions({ summary: 'read the card again' }, [input]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('card expiry check failed', { error: String(err.cause?.message ?? err.message) });
      return undefined;
    }
  };

  if (!input.reminded) {
    // Just before the email: the account updater or the customer may have been quicker than the scan.
    const before = await check();
    if (!before) return ended('skipped_unavailable');
    if (before.change === 'refreshed') return ended('skipped_refreshed');
    if (before.change === 'replaced') return ended('skipped_replaced');
    if (before.change === 'not_renewing') return ended('skipped_not_renewing');
    if (!before.email) return ended('skipped_no_email');
    try {
      await sendCardExpiryEmail.executeWithOptions({ summary: 'email card_expiring' }, [
        {
          ...before.email,
          customerId: input.customerId,
          card: input.card,
          renewsAt: new Date(input.renewsAt).toISOString(),
          issuedAt: new Date(Date.now()).toISOString(),
          idempotencyKey: workflowInfo().workflowId,
        },
      ]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('card expiry email not sent', { error: String(err.cause?.message ?? err.message) });
      return ended('email_refused');
    }
  }
  upsertMemo({ [CARD_EXPIRY_MEMO]: 'reminded' });

  // Open until the card expires: a second scan finds this id taken, and an update is seen.
  const expiresAt = cardExpiresAt(input.card.expMonth, input.card.expYear);
  const every = parseDuration(input.recheckEvery);
  while (Date.now() < expiresAt) {
    await sleep(Math.min(every, expiresAt - Date.now()));
    if (Date.now() >= expiresAt) break;
    const after = await check();
    if (after?.change === 'refreshed' || after?.change === 'replaced') return ended('reminded_card_updated');
    if (after?.change === 'not_renewing') return ended('reminded_not_renewing');
    // A short recheckEvery over up to 60 days would outgrow a history: go on in a new run (same id,
    // so a scan still finds it taken), the email already sent.
    if (workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof cardExpiryReminderWorkflow>({ ...input, reminded: true });
  }
  return ended('reminded_expired');
}
