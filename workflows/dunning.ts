/**
 * dunningWorkflow: one case per failed Stripe invoice, from the first failure to recovered,
 * exhausted or cancelled. It reads like the process it runs:
 *
 *   learn the facts → tell the customer → wait, retry, remind (while listening for a new card,
 *   a payment elsewhere or a cancellation) → final notice → end action.
 *
 * Signals only record what happened; the main loop acts on them one at a time, so a signal that
 * lands while an activity runs, or as a timer fires, is handled once, after the running step.
 */
import {
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DunningActivities, EmailActivities } from '../activities';
import type { AppEventInput, CaseFacts, DeclineDetails, DunningEmailInput, RetryChargeResult } from '../activities/types';
import { classifyDecline, type DeclineClassification } from './declines';
import {
  cancelDunningSignal,
  paymentFailedSignal,
  paymentMethodUpdatedSignal,
  paymentSucceededSignal,
  statusQuery,
} from './messages';
import { DEFAULT_POLICY, resolvePolicy, type DunningPolicy, type ResolvedPolicy } from './policy';
import { callProvider, failureText, type CallResult } from './providerCalls';
import { planSchedule, type PlannedStep } from './schedule';
import {
  DunningAmountDue,
  DunningBlockedOn,
  DunningCurrency,
  DunningCustomerId,
  DunningDeclineCategory,
  DunningInvoiceId,
  DunningNextActionAt,
  DunningState,
} from './searchAttributes';
import { isEndedSubscription } from './subscriptions';
import { emailTaskQueue } from './taskQueues';
import type {
  AttemptRecord,
  AttemptTrigger,
  BlockedOn,
  CancelDunningSignal,
  CaseState,
  DeclineFacts,
  DunningStatus,
  EmailRecord,
  PaymentFailedSignal,
  PaymentMethodUpdatedSignal,
  PaymentSucceededSignal,
} from './types';

/**
 * Behaviour changes that running cases must not see mid-flight (their histories recorded the old
 * behaviour; replaying them with the new one would fail with a nondeterminism error). Each becomes
 * deprecatePatch() once no case started before it is running (a case lasts endAfter, 14 days by
 * default), and is removed after that. test/unit/replay.test.ts replays the older histories.
 */
const KEEP_OWED_STEPS_PATCH = 'replan-keeps-owed-steps';
const SAME_CARD_UPDATE_ONCE_PATCH = 'same-card-update-once';
const RETRY_MIN_GAP_PATCH = 'retry-min-gap-12h';
const REFETCH_DECLINE_ON_JOIN_PATCH = 'refetch-decline-on-join';
/** A provider's answer never fails the case: it waits out outages, records refusals, goes on. */
const FAILURE_MODEL_PATCH = 'provider-answers-never-fail-case';
/** Events to the app are delivered by workflows of their own, never holding the case open. */
const DETACHED_APP_EVENTS_PATCH = 'app-events-detached';
/** Failures signaled while the facts were loading are acted upon, not dropped. */
const KEEP_FAILURES_DURING_LOAD_PATCH = 'keep-failures-during-load';
/** A card that declined in this case is not charged again because it was reported again. */
const DECLINED_CARD_ONCE_PATCH = 'declined-card-once';
/** A subscription deleted before the case learned its facts ends the case. */
const SUBSCRIPTION_ENDED_PATCH = 'subscription-ended-at-start';

export interface DunningInput {
  invoiceId: string;
  customerId: string;
  /** The policy in force when the case started; a case keeps it for its whole life. */
  policy?: DunningPolicy;
}

export interface DunningResult {
  state: Exclude<CaseState, 'active'>;
  outcome: string;
}

/**
 * Each call gives up within minutes (8 attempts, about 3 minutes of backoff; the time a task waits
 * in a queue does not count, so a backlog is not mistaken for an outage). A longer outage comes
 * back to the case, which records it and waits (providerCalls.ts). Refusals that time cannot fix
 * arrive non-retryable from the activities.
 */
const stripe = proxyActivities<DunningActivities>({
  startToCloseTimeout: '45 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/**
 * Starting an event's delivery workflow (a call to Temporal itself, retried until it is taken).
 * Cases started before events were delivered on their own (DETACHED_APP_EVENTS_PATCH) also
 * delivered through here, awaiting the app.
 */
const appEvents = proxyActivities<DunningActivities>({
  startToCloseTimeout: '30 seconds',
  // Events to the SaaS app are retried until delivered (the app may be down for a while).
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
});

/**
 * Emails run on their own task queue, whose worker is rate-limited to the provider's limit. No
 * schedule-to-close timeout: a burst of failures queues emails for longer than any outage we would
 * want to notice, so attempts are counted instead (about 6 minutes of trying, Retry-After honoured).
 */
function emailActivities() {
  return proxyActivities<EmailActivities>({
    taskQueue: emailTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: 8,
      // Refusals that time cannot fix (quota, bad address, bad key) arrive already non-retryable.
    },
  });
}

export async function dunningWorkflow(input: DunningInput): Promise<DunningResult> {
  const info = workflowInfo();
  // Idempotency keys are per case and step, never per run: a case started again for the same
  // invoice (after a run that failed or was terminated) must not repeat an email or a charge.
  const keyPrefix = info.workflowId;
  const policy = input.policy ?? DEFAULT_POLICY;
  const email = emailActivities();

  // ---- the case's record, which the `status` query returns --------------------------------
  const startedAt = Date.now();
  let state: CaseState = 'active';
  let endedAt: number | undefined;
  let outcome: string | undefined;
  let amountDue = 0;
  let currency = 'usd';
  let subscriptionId: string | undefined;
  let classification: DeclineClassification = { category: 'unknown', reason: 'pending', retryable: false };
  let blockedOn: BlockedOn | undefined;
  const attempts: AttemptRecord[] = [];
  const emails: EmailRecord[] = [];
  let schedule: PlannedStep[] = [];
  const done = new Set<string>();

  // ---- what signals have told us, not yet acted upon ----------------------------------------
  const seenEvents = new Set<string>();
  const failures: PaymentFailedSignal[] = [];
  let cardUpdate: PaymentMethodUpdatedSignal | undefined;
  let paidElsewhere: PaymentSucceededSignal | undefined;
  let cancellation: CancelDunningSignal | undefined;

  setHandler(paymentFailedSignal, (s) => {
    if (s.eventId) {
      if (seenEvents.has(s.eventId)) return; // a duplicate delivery of the same Stripe event
      seenEvents.add(s.eventId);
    }
    failures.push(s);
  });
  setHandler(paymentMethodUpdatedSignal, (s) => {
    cardUpdate = s; // several updates before we act collapse into one retry
  });
  setHandler(paymentSucceededSignal, (s) => {
    paidElsewhere ??= s;
  });
  setHandler(cancelDunningSignal, (s) => {
    cancellation ??= s;
  });

  const nextStep = (): PlannedStep | undefined => schedule.find((s) => !done.has(s.key));
  setHandler(statusQuery, (): DunningStatus => {
    const next = state === 'active' ? nextStep() : undefined;
    return {
      invoiceId: input.invoiceId,
      customerId: input.customerId,
      subscriptionId,
      state,
      amountDue,
      currency,
      declineCategory: classification.category,
      attempts: [...attempts],
      emails: [...emails],
      nextAction: next ? { kind: next.kind, at: iso(next.at) } : undefined,
      startedAt: iso(startedAt),
      endedAt: endedAt === undefined ? undefined : iso(endedAt),
      outcome,
      blockedOn,
    };
  });

  /** Records whether the case waits on a provider, in `status` and in `DunningBlockedOn`. */
  const blocked = {
    set(b: BlockedOn | undefined) {
      if (b?.provider !== blockedOn?.provider) {
        upsertSearchAttributes([{ key: DunningBlockedOn, value: b ? b.provider : null }]);
      }
      blockedOn = b;
    },
  };
  /** Signals after which nothing a provider says matters any more. */
  const endingSignaled = () => paidElsewhere !== undefined || cancellation !== undefined;
  /**
   * A provider call under the failure model. Cases that started before it (their histories
   * recorded the old behaviour) get the old one: the failure propagates.
   */
  const call = async <T>(
    provider: 'stripe' | 'resend',
    fn: () => Promise<T>,
    opts: { stop?: () => boolean; waitOnRefusal?: boolean } = {},
  ): Promise<CallResult<T>> => {
    try {
      return { kind: 'answered', value: await fn() };
    } catch (err) {
      if (!patched(FAILURE_MODEL_PATCH)) throw err;
      return callProvider(provider, fn, blocked, opts.stop ?? endingSignaled, { error: err }, opts.waitOnRefusal);
    }
  };

  const publishSearchAttributes = (): void => {
    const next = state === 'active' ? nextStep() : undefined;
    upsertSearchAttributes([
      { key: DunningState, value: state },
      { key: DunningDeclineCategory, value: classification.category },
      { key: DunningAmountDue, value: amountDue },
      { key: DunningCurrency, value: currency },
      { key: DunningNextActionAt, value: next ? new Date(next.at) : null },
    ]);
  };

  // Each event to the app is delivered by a workflow of its own (appEventDelivery.ts), started by
  // a short activity: the case waits only for the start, never for the app. (Not a child workflow:
  // nothing ties the delivery to the case's run, and it shows in the case's history as one step.)
  const pendingEvents: Promise<unknown>[] = [];
  const emit = (type: AppEventInput['type'], data: Record<string, unknown> = {}) => {
    const event: AppEventInput = {
      type,
      id: `${keyPrefix}/${type}`,
      occurredAt: iso(Date.now()),
      data: { invoiceId: input.invoiceId, customerId: input.customerId, subscriptionId, amountDue, currency, ...data },
    };
    if (patched(DETACHED_APP_EVENTS_PATCH)) {
      pendingEvents.push(
        appEvents.startAppEventDelivery(event).catch((err) => log.warn('app event not started', { type, error: String(err) })),
      );
      return;
    }
    pendingEvents.push(
      appEvents.emitAppEvent(event).catch((err) => log.warn('app event not delivered', { type, error: String(err) })),
    );
  };

  const finish = async (final: Exclude<CaseState, 'active'>, why: string): Promise<DunningResult> => {
    state = final;
    outcome = why;
    endedAt = Date.now();
    blocked.set(undefined);
    publishSearchAttributes();
    await Promise.all(pendingEvents);
    await condition(allHandlersFinished);
    return { state: final, outcome: why };
  };
  /** Paid elsewhere or cancelled while we could not act (facts unknown): end as the signal says. */
  const endAsSignaled = (): Promise<DunningResult> =>
    paidElsewhere ? finish('recovered', `paid_${paidElsewhere.source}`) : finish('cancelled', cancellation!.reason);

  // ---- the facts ------------------------------------------------------------------------------
  upsertSearchAttributes([
    { key: DunningInvoiceId, value: input.invoiceId },
    { key: DunningCustomerId, value: input.customerId },
  ]);
  // Signal-with-start delivers the first failure before this line runs; a bare start waits for it.
  await condition(() => failures.length > 0 || paidElsewhere !== undefined || cancellation !== undefined);
  // What the webhook told us, so `status` is right while the fuller facts are fetched.
  if (failures[0]) {
    amountDue = failures[0].amountDue;
    currency = failures[0].currency;
    subscriptionId = failures[0].subscriptionId;
  }

  const failuresBeforeLoad = failures.length;
  const loaded = await call('stripe', () => stripe.loadCaseFacts(input.invoiceId), { waitOnRefusal: true });
  if (loaded.kind === 'not_found') return finish('cancelled', 'invoice_not_found');
  if (loaded.kind !== 'answered') return endAsSignaled();
  const facts: CaseFacts = loaded.value;
  amountDue = facts.invoice.amountRemaining || facts.invoice.amountDue;
  currency = facts.invoice.currency;
  subscriptionId = facts.invoice.subscriptionId;
  // In the memo so that visibility listings can tell which subscription a case belongs to.
  if (subscriptionId) upsertMemo({ subscriptionId });
  let lastCard = facts.lastDecline?.card;

  // Events arrive in any order: the invoice may be settled before its failure reached us.
  if (facts.invoice.status === 'paid') return finish('recovered', 'paid_before_case_started');
  if (facts.invoice.status === 'void' || facts.invoice.status === 'uncollectible') {
    return finish('cancelled', `invoice_${facts.invoice.status}`);
  }
  if (facts.subscription && isEndedSubscription(facts.subscription.status) && patched(SUBSCRIPTION_ENDED_PATCH)) {
    return finish('cancelled', 'subscription_deleted');
  }

  const reclassify = (decline: DeclineFacts | undefined) => {
    classification = classifyDecline(decline ?? {});
  };
  const firstSignal = failures[0];
  reclassify(facts.lastDecline ?? firstSignal);
  /** Payment methods that declined in this case: reporting one again is no reason to charge it again. */
  const declinedCards = new Set<string | undefined>([facts.lastDecline?.card?.paymentMethodId]);
  declinedCards.delete(undefined);
  // The facts answer the failures that started the case; any signaled during the load are news.
  if (failures.length > failuresBeforeLoad && patched(KEEP_FAILURES_DURING_LOAD_PATCH)) {
    failures.splice(0, failuresBeforeLoad);
  } else {
    failures.length = 0;
  }

  const policyForCase = (): ResolvedPolicy =>
    resolvePolicy(policy, { category: classification.category, planId: facts.invoice.planId, amountDue, currency });
  let resolved = policyForCase();
  const timeZone = facts.customer.timeZone;
  let lastFailureAt = Date.now();
  const replan = () => {
    resolved = policyForCase();
    const now = Date.now();
    // Steps already due but not yet run: those planned at the same instant as the retry that just
    // declined (the day-12 final notice; the day-3 reminder of a temporary decline whose retry
    // hour had passed). They are still owed; dropping them as "past" lost the final notice.
    const owed = new Set(schedule.filter((s) => s.at <= now && !done.has(s.key)).map((s) => s.key));
    // The schedule is never restarted: it keeps its origin, and what lies in the past stays done.
    schedule = planSchedule(resolved, {
      startedAt,
      category: classification.category,
      timeZone,
      networkRetryAfterMs: classification.networkRetryAfterMs,
      lastFailureAt,
      minRetryGapMs: patched(RETRY_MIN_GAP_PATCH) ? resolved.minRetryGapMs : 0,
    }).filter(
      (s) =>
        s.at > now ||
        done.has(s.key) ||
        s.at === startedAt ||
        // Running cases recorded the old choice (the step dropped): they keep it on replay.
        (owed.has(s.key) && patched(KEEP_OWED_STEPS_PATCH)),
    );
  };
  replan();
  const endAt = () => schedule.find((s) => s.kind === 'end_action')?.at ?? startedAt + resolved.endAfterMs;
  const nextRetryAt = () => schedule.find((s) => s.kind === 'retry' && !done.has(s.key))?.at;

  /** `ending`: the case's last email (recovered, subscription ended), sent whatever is signaled meanwhile. */
  const sendEmail = async (key: string, template: string, opts: { ending?: boolean } = {}) => {
    const at = iso(Date.now());
    const to = facts.customer.email;
    if (!to) {
      emails.push({ at, template, error: 'customer has no email address' });
      return;
    }
    const send = () =>
      email.sendDunningEmail({
        template,
        to,
        preferredLocales: facts.customer.preferredLocales,
        declineCategory: classification.category,
        idempotencyKey: `${keyPrefix}/${key}`,
        invoiceId: input.invoiceId,
        customerId: input.customerId,
        customerName: facts.customer.name,
        amountDue,
        currency,
        invoiceNumber: facts.invoice.number,
        timeZone,
        nextRetryAt: maybeIso(nextRetryAt()),
        endsAt: iso(endAt()),
        endAction: resolved.endAction,
        declineReason: classification.reason,
        cardBrand: lastCard?.brand,
        cardLast4: lastCard?.last4,
      });
    let sent: CallResult<Awaited<ReturnType<typeof send>>>;
    try {
      sent = await call('resend', send, opts.ending ? { stop: () => false } : {});
    } catch (err) {
      // Cases started before the failure model: a failed email was recorded and the case went on.
      emails.push({ at, template, error: failureText(err) });
      return;
    }
    // A refused email (quota, bad address) must not stop the case: it is recorded and visible.
    if (sent.kind === 'answered') emails.push({ at, template: sent.value.template, messageId: sent.value.messageId });
    else if (sent.kind === 'interrupted') emails.push({ at, template, error: 'not sent: the case ended while the email provider was unavailable' });
    else emails.push({ at, template, error: sent.error });
  };

  /** One charge attempt. Returns true when the invoice is settled. */
  const attempt = async (trigger: AttemptTrigger, key: string, paymentMethodId?: string): Promise<boolean> => {
    const charged = await call('stripe', () =>
      stripe.retryCharge({ invoiceId: input.invoiceId, idempotencyKey: `${keyPrefix}/${key}`, paymentMethodId }),
    );
    const at = iso(Date.now());
    if (charged.kind === 'interrupted') return false; // paid elsewhere or cancelled meanwhile: the loop ends the case
    if (charged.kind !== 'answered') {
      // Stripe refused the request itself: recorded, and the schedule goes on.
      attempts.push({ at, trigger, outcome: 'error', error: charged.error });
      return false;
    }
    const result: RetryChargeResult = charged.value;
    switch (result.outcome) {
      case 'succeeded':
        attempts.push({ at, trigger, outcome: 'succeeded' });
        return true;
      case 'already_paid':
        attempts.push({ at, trigger, outcome: 'skipped_already_paid' });
        return true;
      case 'invoice_closed':
        attempts.push({ at, trigger, outcome: 'skipped_invoice_closed' });
        cancellation ??= { reason: `invoice_${result.status}`, by: 'stripe' };
        return false;
      case 'subscription_ended':
        attempts.push({ at, trigger, outcome: 'skipped_subscription_ended' });
        cancellation ??= { reason: 'subscription_deleted', by: 'stripe' };
        return false;
      case 'budget_exhausted':
        attempts.push({ at, trigger, outcome: 'skipped_budget' });
        return false;
      case 'card_blocked':
        // Another case heard "never retry" for this card: this case stops charging it too, and
        // its messages now ask for another card.
        attempts.push({ at, trigger, outcome: 'skipped_never_retry' });
        classification = { category: 'never_retry', reason: result.reason, retryable: false };
        replan();
        return false;
      case 'requires_action':
      case 'declined':
        attempts.push({
          at,
          trigger,
          outcome: result.outcome === 'declined' ? 'declined' : 'requires_action',
          declineCode: result.decline.declineCode ?? result.decline.code,
        });
        lastCard = result.decline.card ?? lastCard;
        declinedCards.add(result.decline.card?.paymentMethodId ?? paymentMethodId);
        lastFailureAt = Date.now();
        reclassify(result.decline);
        replan();
        return false;
    }
  };

  let accessRestricted = false;
  const recovered = async (why: string) => {
    await sendEmail('email:payment_recovered', 'payment_recovered', { ending: true });
    emit('dunning.recovered', { how: why });
    if (accessRestricted) emit('access.restored');
    return finish('recovered', why);
  };

  // ---- tell the customer ---------------------------------------------------------------------
  emit('dunning.started', { declineCategory: classification.category, reason: classification.reason });
  publishSearchAttributes();

  // A card added before the failure reached us: try it at once instead of waiting for day 3.
  const failedCard = facts.lastDecline?.card?.paymentMethodId;
  if (facts.customer.defaultPaymentMethodId && failedCard && facts.customer.defaultPaymentMethodId !== failedCard) {
    cardUpdate ??= { source: 'stripe', paymentMethodId: facts.customer.defaultPaymentMethodId, occurredAt: iso(Date.now()) };
  }

  // ---- wait, retry, remind -----------------------------------------------------------------
  let cardUpdates = 0;
  for (;;) {
    if (paidElsewhere) {
      attempts.push({ at: iso(Date.now()), trigger: 'stripe', outcome: 'skipped_already_paid' });
      return recovered(`paid_${paidElsewhere.source}`);
    }
    if (cancellation) {
      emit('dunning.cancelled', { reason: cancellation.reason, by: cancellation.by });
      return finish('cancelled', cancellation.reason);
    }
    if (failures.length > 0) {
      // Stripe's own attempts (or our retries echoed back as events) bring new decline facts.
      const latest = failures[failures.length - 1]!;
      failures.length = 0;
      const before = classification;
      if (latest.amountDue) amountDue = latest.amountDue;
      lastFailureAt = Date.now();
      if (hasDeclineFacts(latest)) reclassify(latest);
      else if (patched(REFETCH_DECLINE_ON_JOIN_PATCH)) {
        // The webhook carries no decline codes (they live on the PaymentIntent): read them, so a
        // "never retry" answer to an attempt Stripe made on its own still stops our retries.
        const reread = await call('stripe', () => stripe.loadCaseFacts(input.invoiceId));
        const latestDecline = reread.kind === 'answered' ? reread.value.lastDecline : undefined;
        if (latestDecline) {
          reclassify(latestDecline);
          lastCard = latestDecline.card ?? lastCard;
        }
      }
      // A new decline reason from Stripe is news about every card: a card reported again may be tried.
      if (classification.reason !== before.reason) declinedCards.clear();
      if (classification.category !== before.category || classification.networkRetryAfterMs) replan();
      publishSearchAttributes();
      continue;
    }
    if (cardUpdate) {
      const update = cardUpdate;
      cardUpdate = undefined;
      // Stripe reports one new card several times (payment_method.attached, then customer.updated
      // as it becomes the default) and the billing page may call the API too: a card that declined
      // in this case is charged again only with new card data (payment_method.automatically_updated).
      if (update.cardDataChanged) declinedCards.delete(update.paymentMethodId);
      else if (update.paymentMethodId && declinedCards.has(update.paymentMethodId) && patched(DECLINED_CARD_ONCE_PATCH)) {
        log.info('card reported again after it declined: not charged again', { paymentMethodId: update.paymentMethodId });
        continue;
      }
      cardUpdates += 1;
      const key = `retry:card_update_${cardUpdates}`;
      if (await attempt('payment_method_updated', key, update.paymentMethodId)) return recovered('card_updated');
      // Stripe reports one new card several times (payment_method.attached, then customer.updated
      // as it becomes the default), and the billing page may call the API too: a report of the
      // card we were charging, arriving while we charged it, is the same news. Trying it again at
      // once would charge the card a second time and send a second "new card declined" email.
      const reportedMeanwhile = cardUpdate as PaymentMethodUpdatedSignal | undefined; // set by the handler during the await
      if (
        update.paymentMethodId &&
        reportedMeanwhile?.paymentMethodId === update.paymentMethodId &&
        patched(SAME_CARD_UPDATE_ONCE_PATCH)
      ) {
        cardUpdate = undefined;
      }
      if (!cancellation && !paidElsewhere) {
        await sendEmail(`email:new_card_declined_${cardUpdates}`, 'new_card_declined');
      }
      publishSearchAttributes();
      continue;
    }

    const step = nextStep();
    if (!step) return finish('exhausted', 'schedule_ended'); // unreachable: end_action is always planned
    const waitMs = step.at - Date.now();
    if (waitMs > 0) {
      const interrupted = await condition(
        () => failures.length > 0 || cardUpdate !== undefined || paidElsewhere !== undefined || cancellation !== undefined,
        waitMs,
      );
      if (interrupted) continue;
    }
    done.add(step.key);

    switch (step.kind) {
      case 'email':
        await sendEmail(step.key, step.template ?? 'reminder');
        break;
      case 'retry':
        if (!classification.retryable) {
          attempts.push({ at: iso(Date.now()), trigger: 'schedule', outcome: 'skipped_never_retry' });
          break;
        }
        if (await attempt('schedule', step.key)) return recovered('retry_succeeded');
        break;
      case 'final_notice':
        await sendEmail(step.key, 'final_notice');
        emit('access.warning', { restrictsAt: iso(endAt()) });
        break;
      case 'restrict_access':
        accessRestricted = true;
        emit('access.restricted');
        break;
      case 'end_action': {
        const endAction = resolved.endAction;
        const applied = await call(
          'stripe',
          () => stripe.applyEndAction({ action: endAction, invoiceId: input.invoiceId, subscriptionId, idempotencyKey: `${keyPrefix}/end_action` }),
          { stop: () => false }, // the case is over either way; what matters now is that Stripe hears it
        );
        if (applied.kind !== 'answered') {
          // Stripe refused the end action (a 400): the case still ends, and says so in its outcome.
          log.warn('end action refused', { endAction, error: applied.kind === 'interrupted' ? 'interrupted' : applied.error });
          emit('dunning.exhausted', { endAction, endActionRefused: true });
          return finish('exhausted', `${endAction}_refused`);
        }
        if (!accessRestricted) emit('access.restricted');
        accessRestricted = true;
        if (endAction !== 'leave_past_due') await sendEmail('email:subscription_ended', 'subscription_ended', { ending: true });
        emit('dunning.exhausted', { endAction });
        return finish('exhausted', endAction);
      }
    }
    publishSearchAttributes();
  }
}

function hasDeclineFacts(d: DeclineDetails | DeclineFacts): boolean {
  return Boolean(d.code || d.declineCode || d.adviceCode || d.networkAdviceCode || d.networkDeclineCode);
}

const iso = (ms: number): string => new Date(ms).toISOString();
const maybeIso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : iso(ms));
