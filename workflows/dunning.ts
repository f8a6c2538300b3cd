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
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
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
import type { CaseFacts, DeclineDetails, DunningEmailInput, RetryChargeResult } from '../activities/types';
import { classifyDecline, type DeclineClassification } from './declines';
import {
  cancelDunningSignal,
  paymentFailedSignal,
  paymentMethodUpdatedSignal,
  paymentSucceededSignal,
  statusQuery,
} from './messages';
import { DEFAULT_POLICY, resolvePolicy, type DunningPolicy, type ResolvedPolicy } from './policy';
import { planSchedule, type PlannedStep } from './schedule';
import {
  DunningAmountDue,
  DunningCurrency,
  DunningCustomerId,
  DunningDeclineCategory,
  DunningInvoiceId,
  DunningNextActionAt,
  DunningState,
} from './searchAttributes';
import type {
  AttemptRecord,
  AttemptTrigger,
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

const stripe = proxyActivities<DunningActivities>({
  startToCloseTimeout: '45 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    // Stripe outages can last: keep trying for a day, then surface the failure on the case.
    nonRetryableErrorTypes: ['StripeInvalidRequest', 'StripeAuthentication', 'StripePermission'],
  },
  scheduleToCloseTimeout: '1 day',
});

const appEvents = proxyActivities<DunningActivities>({
  startToCloseTimeout: '30 seconds',
  // Events to the SaaS app are retried until delivered (the app may be down for a while).
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
});

/** Emails run on their own task queue, whose worker is rate-limited to the provider's limit. */
function emailActivities() {
  return proxyActivities<EmailActivities>({
    taskQueue: `${workflowInfo().taskQueue}-email`,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '1 day',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '15 minutes',
      // Refusals that time cannot fix (quota, bad address, bad key) arrive already non-retryable.
    },
  });
}

export async function dunningWorkflow(input: DunningInput): Promise<DunningResult> {
  const info = workflowInfo();
  const keyPrefix = `${info.workflowId}/${info.firstExecutionRunId.slice(0, 8)}`;
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
    };
  });

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

  // Events to the app are delivered in the background, retried until they land, and awaited
  // before the workflow ends, so a slow app never holds up the customer's case.
  const pendingEvents: Promise<unknown>[] = [];
  const emit = (type: Parameters<DunningActivities['emitAppEvent']>[0]['type'], data: Record<string, unknown> = {}) => {
    pendingEvents.push(
      appEvents
        .emitAppEvent({
          type,
          id: `${keyPrefix}/${type}`,
          occurredAt: iso(Date.now()),
          data: { invoiceId: input.invoiceId, customerId: input.customerId, subscriptionId, amountDue, currency, ...data },
        })
        .catch((err) => log.warn('app event not delivered', { type, error: String(err) })),
    );
  };

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

  const facts: CaseFacts = await stripe.loadCaseFacts(input.invoiceId);
  amountDue = facts.invoice.amountRemaining || facts.invoice.amountDue;
  currency = facts.invoice.currency;
  subscriptionId = facts.invoice.subscriptionId;
  // In the memo so that visibility listings can tell which subscription a case belongs to.
  if (subscriptionId) upsertMemo({ subscriptionId });
  let lastCard = facts.lastDecline?.card;

  const finish = async (final: Exclude<CaseState, 'active'>, why: string): Promise<DunningResult> => {
    state = final;
    outcome = why;
    endedAt = Date.now();
    publishSearchAttributes();
    await Promise.all(pendingEvents);
    await condition(allHandlersFinished);
    return { state: final, outcome: why };
  };

  // Events arrive in any order: the invoice may be settled before its failure reached us.
  if (facts.invoice.status === 'paid') return finish('recovered', 'paid_before_case_started');
  if (facts.invoice.status === 'void' || facts.invoice.status === 'uncollectible') {
    return finish('cancelled', `invoice_${facts.invoice.status}`);
  }

  const reclassify = (decline: DeclineFacts | undefined) => {
    classification = classifyDecline(decline ?? {});
  };
  const firstSignal = failures[0];
  reclassify(facts.lastDecline ?? firstSignal);
  failures.length = 0;

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

  const sendEmail = async (key: string, template: string, extra: Partial<DunningEmailInput> = {}) => {
    const at = iso(Date.now());
    if (!facts.customer.email) {
      emails.push({ at, template, error: 'customer has no email address' });
      return;
    }
    try {
      const sent = await email.sendDunningEmail({
        template,
        to: facts.customer.email,
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
        ...extra,
      });
      emails.push({ at, template: sent.template, messageId: sent.messageId });
    } catch (err) {
      // A refused email (quota, bad address) must not stop the case: it is recorded and visible.
      emails.push({ at, template, error: failureMessage(err) });
    }
  };

  /** One charge attempt. Returns true when the invoice is settled. */
  const attempt = async (trigger: AttemptTrigger, key: string, paymentMethodId?: string): Promise<boolean> => {
    const result: RetryChargeResult = await stripe.retryCharge({
      invoiceId: input.invoiceId,
      idempotencyKey: `${keyPrefix}/${key}`,
      paymentMethodId,
    });
    const at = iso(Date.now());
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
        lastFailureAt = Date.now();
        reclassify(result.decline);
        replan();
        return false;
    }
  };

  let accessRestricted = false;
  const recovered = async (why: string) => {
    await sendEmail('email:payment_recovered', 'payment_recovered');
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
      const before = classification.category;
      if (latest.amountDue) amountDue = latest.amountDue;
      lastFailureAt = Date.now();
      if (hasDeclineFacts(latest)) reclassify(latest);
      else if (patched(REFETCH_DECLINE_ON_JOIN_PATCH)) {
        // The webhook carries no decline codes (they live on the PaymentIntent): read them, so a
        // "never retry" answer to an attempt Stripe made on its own still stops our retries.
        const latestDecline = (await stripe.loadCaseFacts(input.invoiceId)).lastDecline;
        if (latestDecline) {
          reclassify(latestDecline);
          lastCard = latestDecline.card ?? lastCard;
        }
      }
      if (classification.category !== before || classification.networkRetryAfterMs) replan();
      publishSearchAttributes();
      continue;
    }
    if (cardUpdate) {
      const update = cardUpdate;
      cardUpdate = undefined;
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
      case 'end_action':
        await stripe.applyEndAction({
          action: resolved.endAction,
          invoiceId: input.invoiceId,
          subscriptionId,
          idempotencyKey: `${keyPrefix}/end_action`,
        });
        if (!accessRestricted) emit('access.restricted');
        accessRestricted = true;
        if (resolved.endAction !== 'leave_past_due') await sendEmail('email:subscription_ended', 'subscription_ended');
        emit('dunning.exhausted', { endAction: resolved.endAction });
        return finish('exhausted', resolved.endAction);
    }
    publishSearchAttributes();
  }
}

function hasDeclineFacts(d: DeclineDetails | DeclineFacts): boolean {
  return Boolean(d.code || d.declineCode || d.adviceCode || d.networkAdviceCode || d.networkDeclineCode);
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return `${err.cause.type ?? 'Error'}: ${err.cause.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

const iso = (ms: number): string => new Date(ms).toISOString();
const maybeIso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : iso(ms));
