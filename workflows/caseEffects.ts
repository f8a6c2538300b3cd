/**
 * What a case does to the world: provider calls under the failure model, emails, charges, events
 * to the app, search attributes and the end. Workflow code (activities, timers, upserts), kept
 * apart from the case's record (caseRecord.ts, pure) and from its process (dunning.ts).
 */
import {
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DunningActivities, EmailActivities } from '../activities';
import type { AppEventInput, LoadCaseFactsOptions } from '../domain/providerTypes';

type StripeDeclineCount = NonNullable<LoadCaseFactsOptions['countStripeDecline']>;
import type { CaseInbox, PendingLink, PendingRetry } from '../domain/caseInbox';
import type { Initiator } from '../domain/cardBudgetLedger';
import { endingNewsInFacts, type CaseRecord, type ChargeReport, type FinalState } from '../domain/caseRecord';
import {
  DETACHED_APP_EVENTS_PATCH,
  END_ACTION_ALWAYS_PLANNED_PATCH,
  FAILURE_MODEL_PATCH,
  KEEP_OWED_STEPS_PATCH,
  RETRY_MIN_GAP_PATCH,
} from './patches';
import { callProvider, failureText, type CallResult } from './providerCalls';
import { DunningBlockedOn } from '../domain/searchAttributes';
import {
  appEventSummary,
  blockedWaitSummary,
  caseCurrentDetails,
  chargeSummary,
  emailSummary,
  endActionSummary,
  factsReadSummary,
  settlementWaitSummary,
  type ChargeReason,
  type FactsRead,
} from '../domain/caseNarrative';
import { recoveryStep } from '../domain/recoveryStep';
import { emailPriorityKey, emailTaskQueue } from '../domain/taskQueues';
import type { AttemptTrigger, BlockedOn, EmailRecord, EmailUndeliverableSignal, Provider } from '../domain/types';

export interface DunningResult {
  state: FinalState;
  outcome: string;
}

/**
 * Each Stripe call gives up within minutes (8 attempts, about 3 minutes of backoff; the time a
 * task waits in a queue does not count, so a backlog is not mistaken for an outage). A longer
 * outage comes back to the case, which records it and waits (providerCalls.ts). Refusals that
 * time cannot fix arrive non-retryable from the activities.
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
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8 },
  });
}

export type CaseEffects = ReturnType<typeof caseEffects>;

/** `keyPrefix`: idempotency keys are per case and step (`<keyPrefix>/<step>`), never per run. */
export function caseEffects(record: CaseRecord, inbox: CaseInbox, keyPrefix: string) {
  const email = emailActivities();
  const pendingEvents: Promise<unknown>[] = [];

  /**
   * The case's current details in the Web UI (the decline, what it waits for next and why): kept
   * with what `status` says. Not a command: no trace in the history, nothing to replay.
   */
  const describe = (): void =>
    setCurrentDetails(
      caseCurrentDetails({
        state: record.state,
        outcome: record.outcome,
        endedAt: record.endedAt,
        classification: record.facts ? record.classification : undefined,
        card: record.lastCard,
        next: record.nextStep(),
        endAction: record.plannedEndAction(),
        blockedOn: record.blockedOn,
        emailUndeliverable: record.emailUndeliverable,
        timeZone: record.timeZone(),
        attempts: record.attempts.length,
        emails: record.emails.length,
        stripeRetrying: record.stripeRetrying,
        stripeCollection: record.stripeCollection,
        settlementCheckAt: record.settlementCheckAt(),
      }),
    );

  /** Records whether the case waits on a provider, in `status` and in `DunningBlockedOn`. */
  const blocked = {
    set(b: BlockedOn | undefined) {
      if (b?.provider !== record.blockedOn?.provider) {
        upsertSearchAttributes([{ key: DunningBlockedOn, value: b ? b.provider : null }]);
      }
      record.blockedOn = b;
      describe();
    },
    waitSummary: (b: BlockedOn) => blockedWaitSummary(b, record.timeZone()),
  };
  describe();

  /**
   * A provider call under the failure model. Cases that started before it (their histories
   * recorded the old behaviour) get the old one: the failure propagates.
   */
  const call = async <T>(
    provider: Provider,
    fn: () => Promise<T>,
    opts: { stop?: () => boolean; waitOnRefusal?: boolean } = {},
  ): Promise<CallResult<T>> => {
    try {
      return { kind: 'answered', value: await fn() };
    } catch (err) {
      if (!patched(FAILURE_MODEL_PATCH)) throw err;
      return callProvider(provider, fn, blocked, opts.stop ?? (() => inbox.endingSignaled()), { error: err }, opts.waitOnRefusal);
    }
  };

  const publish = (): void => {
    upsertSearchAttributes(record.searchAttributes());
    describe();
  };

  const replan = (): void =>
    record.replan(Date.now(), {
      minRetryGap: () => patched(RETRY_MIN_GAP_PATCH),
      keepOwedSteps: () => patched(KEEP_OWED_STEPS_PATCH),
      keepEndAction: () => patched(END_ACTION_ALWAYS_PLANNED_PATCH),
    });

  /**
   * Each event to the app is delivered by a workflow of its own (appEventDelivery.ts), started by
   * a short activity: the case waits only for the start, never for the app.
   */
  const emit = (type: AppEventInput['type'], data: Record<string, unknown> = {}): void => {
    const event: AppEventInput = {
      type,
      id: `${keyPrefix}/${type}`,
      occurredAt: new Date().toISOString(),
      data: {
        invoiceId: record.invoiceId,
        customerId: record.customerId,
        subscriptionId: record.subscriptionId,
        amountDue: record.amountDue,
        currency: record.currency,
        // The worker's business metrics count cases from these events (activities/caseEvents.ts).
        declineCategory: record.classification.category,
        ...(type === 'dunning.recovered' ? { recovery: recoveryStep(String(data.how), record.attempts, record.emails) } : {}),
        ...data,
      },
    };
    const summary = { summary: appEventSummary(type) };
    const started = patched(DETACHED_APP_EVENTS_PATCH)
      ? appEvents.startAppEventDelivery
          .executeWithOptions(summary, [event])
          .catch((err) => log.warn('app event not started', { type, error: String(err) }))
      : appEvents.emitAppEvent
          .executeWithOptions(summary, [event])
          .catch((err) => log.warn('app event not delivered', { type, error: String(err) }));
    pendingEvents.push(started);
  };

  const finish = async (state: FinalState, outcome: string): Promise<DunningResult> => {
    record.end(state, outcome, Date.now());
    // A customer's retry accepted just before the end: answered, or the case would wait on it forever.
    inbox.settleRetries({ outcome: 'not_possible', reason: 'case_over' });
    inbox.settleLinks({ outcome: 'not_possible', reason: 'case_over' });
    blocked.set(undefined);
    publish();
    await Promise.all(pendingEvents);
    await condition(allHandlersFinished);
    return { state, outcome };
  };

  /**
   * `ending`: the case's last email (recovered, subscription ended), sent whatever is signaled
   * meanwhile. Returns the email as recorded in `status.emails` (undefined: no address, recorded too).
   */
  const sendEmail = async (key: string, template: string, opts: { ending?: boolean } = {}): Promise<EmailRecord | undefined> => {
    const at = Date.now();
    const input = record.emailInput(template, `${keyPrefix}/${key}`, at);
    if (!input) return undefined;
    let sent: CallResult<{ messageId: string; template: string }>;
    // The first email and confirmations go before reminders in a backlog (domain/taskQueues.ts).
    const options = {
      summary: emailSummary(template, record.emailLocale()),
      priority: { priorityKey: emailPriorityKey(template) },
    };
    try {
      sent = await call(
        'resend',
        () => email.sendDunningEmail.executeWithOptions(options, [input]),
        opts.ending ? { stop: () => false } : {},
      );
    } catch (err) {
      // Cases started before the failure model: a failed email was recorded and the case went on.
      return record.recordEmail(at, { template, error: failureText(err) });
    }
    // A refused email (quota, bad address) must not stop the case: it is recorded and visible.
    if (sent.kind === 'answered')
      return record.recordEmail(at, { template: sent.value.template, messageId: sent.value.messageId });
    if (sent.kind === 'interrupted')
      return record.recordEmail(at, { template, error: 'not sent: the case ended while the email provider was unavailable' });
    return record.recordEmail(at, { template, error: sent.error });
  };

  /**
   * Resend could not deliver to the customer's address: recorded (`status.emailUndeliverable`,
   * the Web UI's details) and in the memo, where the dashboard reads it from visibility. The case's
   * later emails to that address are skipped and recorded (CaseRecord.emailInput).
   */
  const emailUndeliverable = (s: EmailUndeliverableSignal): void => {
    const before = record.emailUndeliverable;
    record.markEmailUndeliverable(s);
    if (record.emailUndeliverable && record.emailUndeliverable !== before) {
      upsertMemo({ emailUndeliverable: record.emailUndeliverable.event });
    }
    describe();
  };

  /** One charge attempt; `settled` when the invoice is paid. `why` names it in the history. */
  const attempt = async (
    trigger: AttemptTrigger,
    key: string,
    why: ChargeReason,
    paymentMethodId?: string,
    initiator?: Initiator,
  ): Promise<ChargeReport> => {
    record.charging = true;
    const input = {
      invoiceId: record.invoiceId,
      idempotencyKey: `${keyPrefix}/${key}`,
      paymentMethodId,
      ...(initiator ? { initiator } : {}),
      // Only the activity's input changes: replay-safe.
      ...(trigger === 'payment_method_updated' ? { cardUpdate: true as const } : {}),
    };
    const summary = chargeSummary(record.lastCard, why);
    const charged = await call('stripe', () => stripe.retryCharge.executeWithOptions({ summary }, [input])).finally(
      () => (record.charging = false),
    );
    // Paid elsewhere or cancelled meanwhile: the loop ends the case.
    if (charged.kind === 'interrupted') return { settled: false, interrupted: true };
    if (charged.kind !== 'answered') {
      record.recordChargeError(trigger, Date.now(), charged.error);
      return { settled: false, error: charged.error };
    }
    const verdict = record.applyChargeResult(trigger, charged.value, Date.now(), paymentMethodId, replan);
    if (!verdict.settled && verdict.closedBy) inbox.cancel(verdict.closedBy);
    return { settled: verdict.settled, result: charged.value };
  };

  /**
   * Carries out a retry asked for now, taken from the inbox (the customer's own, or an operator's);
   * true when the invoice is paid.
   */
  const requestedRetry = async (retry: PendingRetry): Promise<boolean> => {
    const byOperator = retry.initiator === 'merchant';
    // Checked again: the case may have moved on since the request was validated.
    const verdict = byOperator ? record.operatorRetryVerdict(false) : record.customerRetryVerdict(Date.now(), false);
    if (!verdict.allowed) {
      retry.outcome = { outcome: 'not_possible', reason: verdict.reason, retryAt: verdict.retryAt };
      return false;
    }
    let charged: ChargeReport;
    if (byOperator) {
      // Keyed by the request: each operator's request is a charge of its own, a repeated one the same.
      const key = `retry:operator_${retry.request.requestId}`;
      charged = await attempt('operator_retry', key, { kind: 'operator_retry' }, undefined, 'merchant');
    } else {
      const n = record.startCustomerRetry(Date.now());
      charged = await attempt('customer_retry', `retry:customer_${n}`, { kind: 'customer_retry', n }, undefined, 'customer');
    }
    retry.outcome = record.retryOutcome(charged);
    if (!charged.settled) publish();
    return charged.settled;
  };

  /** An operator's fresh link email, taken from the inbox: a reminder with links signed now. */
  const resendLink = async (link: PendingLink): Promise<void> => {
    const verdict = record.linkVerdict();
    if (!verdict.allowed) {
      link.outcome = { outcome: 'not_possible', reason: verdict.reason };
      return;
    }
    const email = await sendEmail(`email:link_${link.request.requestId}`, 'reminder');
    link.outcome = record.linkOutcome(email);
    publish();
  };

  /**
   * Reads the case's facts: at the start, for the decline of an attempt Stripe made on its own, before the end.
   * The start read also turns Stripe's own retries off on the invoice (an input, not a new command:
   * recorded cases replay as before), unless the case is already ending.
   */
  const loadFacts = (why: FactsRead, opts: { waitOnRefusal?: boolean; countStripeDecline?: StripeDeclineCount } = {}) => {
    const input: LoadCaseFactsOptions = {
      ...(why === 'start' && !inbox.endingSignaled()
        ? { pauseStripeCollection: { idempotencyKey: `${keyPrefix}/stripe_collection_pause` } }
        : {}),
      ...(opts.countStripeDecline ? { countStripeDecline: opts.countStripeDecline } : {}),
    };
    return call(
      'stripe',
      () =>
        stripe.loadCaseFacts.executeWithOptions(
          { summary: factsReadSummary(record.invoiceId, why) },
          Object.keys(input).length > 0 ? [record.invoiceId, input] : [record.invoiceId],
        ),
      opts,
    );
  };

  /**
   * One turn of the wait while a debit settles (the case is `processing`). Retries and link emails
   * asked for meanwhile are answered "not possible" (the verdicts say why); card updates wait in
   * the inbox. The bank's answer comes as invoice.paid (the loop ends the case) or as
   * invoice.payment_failed; past the wait (domain/settlement.ts) Stripe is asked. Either way
   * Stripe's facts decide: a failure from before the debit, delivered late, does not end the wait.
   */
  const awaitSettlement = async (): Promise<void> => {
    const retry = inbox.takeRetry();
    if (retry) {
      await requestedRetry(retry);
      return;
    }
    const link = inbox.takeLink();
    if (link) {
      await resendLink(link);
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
      publish();
      return;
    }
    const ending = endingNewsInFacts(read.value, Date.now());
    if (ending && 'paid' in ending) inbox.paymentSucceeded(ending.paid);
    else if (ending) inbox.cancel(ending.cancel);
    else if (read.value.paymentProcessing) {
      if (!failure) record.stillSettling(Date.now());
    } else {
      if (failure?.amountDue) record.amountDue = failure.amountDue;
      record.debitFailed(Date.now(), read.value.lastDecline ?? failure);
      replan();
    }
    publish();
  };

  /** The policy's end action, whatever is signaled meanwhile: what matters now is that Stripe hears it. */
  const applyEndAction = () =>
    call(
      'stripe',
      async () => {
        const applied = await stripe.applyEndAction.executeWithOptions({ summary: endActionSummary(record.endAction()) }, [
          {
            action: record.endAction(),
            invoiceId: record.invoiceId,
            subscriptionId: record.subscriptionId,
            idempotencyKey: `${keyPrefix}/end_action`,
            ...(record.stripeCollection === 'paused_by_case' ? { releaseStripeCollection: true } : {}),
          },
        ]);
        if (applied.stripeCollection) record.stripeCollection = applied.stripeCollection;
        return applied;
      },
      { stop: () => false },
    );

  /** Resolves once every app event emitted so far is started (before a run hands over to the next). */
  const eventsStarted = () => Promise.all(pendingEvents);

  return {
    eventsStarted,
    publish,
    replan,
    emit,
    finish,
    sendEmail,
    emailUndeliverable,
    attempt,
    requestedRetry,
    resendLink,
    loadFacts,
    applyEndAction,
    awaitSettlement,
  };
}
