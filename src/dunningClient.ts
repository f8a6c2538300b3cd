/**
 * What the HTTP edge and the CLI do to cases, in Temporal terms. The names (workflow type, IDs,
 * signals, search attributes) come from workflows/, defined once.
 */
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { ApplicationFailure, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import type { DunningInput } from '../workflows/dunning';
import { listRows, NOT_HANDED_OVER, quote, type VisibilityRow } from './temporal/visibilityRows';
import { visibleCase, type VisibleCase } from './visibleCase';
import { isUndecryptable } from './temporal/payloadCodec';
import type { RunningExperiment } from './experimentFile';
import {
  cancelDunningSignal,
  disputeOpenedSignal,
  paymentMethodDetachedSignal,
  emailUndeliverableSignal,
  paymentFailedSignal,
  paymentMethodUpdatedSignal,
  paymentSucceededSignal,
  LINK_NOT_POSSIBLE,
  REENCRYPT_NOT_POSSIBLE,
  reencryptRequestedUpdate,
  resendLinkRequestedUpdate,
  RETRY_NOT_POSSIBLE,
  retryNowRequestedUpdate,
  retryRequestedUpdate,
  statusQuery,
  offerAcceptedUpdate,
  OFFER_NOT_POSSIBLE,
  WORKFLOW_TYPE,
  workflowIdForInvoice,
} from '../domain/messages';
import { assignArm, type ExperimentArm } from '../domain/experiment';
import { failedSignupPolicy, type DunningPolicy } from '../domain/policy';
import { caseStaticDetails, caseSummary } from '../domain/caseNarrative';
import {
  DunningAmountDue,
  DunningBlockedOn,
  DunningArm,
  DunningCurrency,
  DunningExperiment,
  DunningCustomerId,
  DunningInvoiceId,
  DunningState,
} from '../domain/searchAttributes';
import { OPEN_STATES } from '../domain/types';
import type { OfferNotPossible, OfferOutcome, OfferRefusal } from '../domain/offers';
import type {
  CancelDunningSignal,
  DisputeOpenedSignal,
  PaymentMethodDetachedSignal,
  EmailUndeliverableSignal,
  CaseState,
  DunningStatus,
  LinkNotPossible,
  LinkRefusal,
  OperatorRequest,
  PaymentFailedSignal,
  PaymentMethodUpdatedSignal,
  PaymentSucceededSignal,
  Provider,
  ResendLinkOutcome,
  RetryNotPossible,
  RetryOutcome,
  RetryRefusal,
} from '../domain/types';

/**
 * A case in a list (API, CLI). `undecryptable`: its memo was written under an encryption key this
 * process no longer has, so there is no `subscriptionId` (docs/production/key-rotation.md).
 */
export interface CaseSummary extends VisibleCase {
  runId: string;
  subscriptionId?: string;
  /** The provider the case waits for (`DunningBlockedOn`), while it waits. */
  blockedOn?: string;
  status: string;
}

/** What a customer's retry came to, as the retry page shows it. */
export type RetryAnswer =
  /** The Update ran: the charge's outcome (or what stopped it while charging). */
  | { kind: 'outcome'; outcome: RetryOutcome }
  /** The Update's validator refused at once (cooldown, budget, a hard decline, a charge under way). */
  | { kind: 'refused'; refusal: RetryNotPossible }
  /** The case has ended (or ends as the request arrives): the page shows its outcome. */
  | { kind: 'ended'; status: DunningStatus }
  /** No case for this invoice (never opened, or gone past the namespace's retention). */
  | { kind: 'no_case' };

/**
 * The case exists but its status cannot be read: its history or the worker's answer is under an
 * encryption key this process (or the worker) does not have. `summary` is what visibility still
 * tells (search attributes), when it lists the case.
 */
export class CaseUndecryptableError extends Error {
  constructor(
    readonly invoiceId: string,
    readonly summary: CaseSummary | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `The case of invoice ${invoiceId} was encrypted with a key this service no longer has; put the old key back in PAYLOAD_ENCRYPTION_KEYS after the current one (docs/production/key-rotation.md)`,
      options,
    );
  }
}

// Every refusal, so a new one in domain/types.ts fails to compile here until it is parsed too.
const REFUSALS = {
  case_over: true,
  not_retryable: true,
  card_blocked: true,
  cooldown: true,
  budget: true,
  busy: true,
  processing: true,
} satisfies Record<RetryRefusal, true>;

/** A validator's refusal, as the workflow puts it in the failure's details: one of `reasons`. */
const refusalDetails = <R extends string>(reasons: Record<R, true>) =>
  z.object({ allowed: z.literal(false), reason: z.enum(Object.keys(reasons) as [R, ...R[]]) });

const RetryNotPossibleDetails = refusalDetails(REFUSALS).extend({ retryAt: z.string().optional() });

/** The validator's refusal in a failed Update: a failure of `type` whose details `schema` reads. */
function refusalOf<T>(err: unknown, type: string, schema: z.ZodType<T>): T | undefined {
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  if (err.cause.type !== type) return undefined;
  const details = schema.safeParse(err.cause.details?.[0]);
  return details.success ? details.data : undefined;
}

/** The refusal in a failed Update, when that is what it is (type RETRY_NOT_POSSIBLE with readable details). */
export const retryRefusalOf = (err: unknown): RetryNotPossible | undefined =>
  refusalOf(err, RETRY_NOT_POSSIBLE, RetryNotPossibleDetails);

const OFFER_REFUSALS = { case_over: true, not_offered: true, processing: true, failed: true } satisfies Record<
  OfferRefusal,
  true
>;
const OfferNotPossibleDetails = refusalDetails(OFFER_REFUSALS);

/** The refusal in a failed `offerAccepted` Update (type OFFER_NOT_POSSIBLE with readable details). */
export const offerRefusalOf = (err: unknown): OfferNotPossible | undefined =>
  refusalOf(err, OFFER_NOT_POSSIBLE, OfferNotPossibleDetails);

/** What the customer's acceptance of the last-chance offer came to (the offer page shows it). */
export type OfferAnswer =
  | { kind: 'outcome'; outcome: OfferOutcome }
  | { kind: 'refused'; refusal: OfferNotPossible }
  | { kind: 'ended'; status: DunningStatus }
  | { kind: 'no_case' };

/**
 * What an operator's action (retry now, resend the link) came to. `accepted`: the case took it but
 * has not finished it within the wait (a charge or an email waiting out a slow provider); the
 * case's status shows it once done.
 */
export type OperatorAnswer<T, R> =
  | { kind: 'done'; result: T }
  | { kind: 'accepted' }
  | { kind: 'refused'; refusal: R }
  | { kind: 'ended'; status: DunningStatus }
  | { kind: 'no_case' };

const LINK_REFUSALS = {
  case_over: true,
  busy: true,
  no_email_address: true,
  email_undeliverable: true,
  processing: true,
} satisfies Record<LinkRefusal, true>;
const LinkNotPossibleDetails = refusalDetails(LINK_REFUSALS);

/** The refusal of a link email in a failed Update (type LINK_NOT_POSSIBLE with readable details). */
export const linkRefusalOf = (err: unknown): LinkNotPossible | undefined =>
  refusalOf(err, LINK_NOT_POSSIBLE, LinkNotPossibleDetails);

/** What a request to re-encrypt a case came to (`DunningClient.reencrypt`). */
export type ReencryptAnswer =
  /** Taken: the case continues as new at its next wait; `fromRunId` is the run it leaves. */
  | { kind: 'requested'; fromRunId: string }
  /** The case is over (or ends as the request comes): nothing runs on, nothing to re-encrypt. */
  | { kind: 'ended' }
  | { kind: 'no_case' };

export class DunningClient {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    /** The policy the service runs now: new cases start with it; the in-app notice reads its levels. */
    readonly policy: DunningPolicy,
    /** Bound on every call, so a dead cluster answers 503 in seconds, not minutes. */
    private readonly deadlineMs = 10_000,
    /** DUNNING_EXPERIMENT: new cases are assigned to its arms by customer (undefined: all run `policy`). */
    readonly experiment?: RunningExperiment,
  ) {}

  /**
   * The policy of a new case, and its experiment arm: chosen here, at the edge, from a hash of
   * the customer id (domain/experiment.ts), so it is the same for every invoice of the customer
   * and reaches the workflow as input (nothing to replay). Failed sign-ups run their own schedule
   * and take no part in experiments.
   */
  private policyFor(
    customerId: string,
    failedSignup: boolean | undefined,
  ): { policy: DunningPolicy; experiment?: ExperimentArm } {
    if (failedSignup) return { policy: failedSignupPolicy(this.policy) || this.policy };
    if (!this.experiment) return { policy: this.policy };
    const experiment = assignArm(this.experiment.plan, customerId);
    return { policy: this.experiment.policies[experiment.arm] ?? this.policy, experiment };
  }

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + this.deadlineMs, fn);
  }

  /**
   * Signal-with-start: the first failure opens the case, later ones (retries, duplicates) join it.
   * One case per invoice: once a case has ended (recovered, exhausted, cancelled), a late or
   * repeated delivery does not open a second one (`ended: true`); only a run that failed or was
   * terminated may be started again.
   */
  async paymentFailed(s: PaymentFailedSignal): Promise<string> {
    return (await this.failureTaken(s)).workflowId;
  }

  /** Whether the policy duns failed sign-ups (`failedSignups`); when not, the webhook skips them. */
  get dunsFailedSignups(): boolean {
    return failedSignupPolicy(this.policy) !== undefined;
  }

  /**
   * `paymentFailed`, telling also whether the invoice's case had already ended. A failed sign-up's
   * case runs the policy's `failedSignups` schedule (it must end before Stripe expires the
   * subscription); a case already running keeps the policy it started with.
   */
  async failureTaken(
    s: PaymentFailedSignal,
    opts: { failedSignup?: boolean } = {},
  ): Promise<{ workflowId: string; ended?: true }> {
    const workflowId = workflowIdForInvoice(s.invoiceId);
    const { policy, experiment } = this.policyFor(s.customerId, opts.failedSignup);
    const input: DunningInput = {
      invoiceId: s.invoiceId,
      customerId: s.customerId,
      policy,
      ...(experiment ? { experiment } : {}),
    };
    try {
      await this.signalWithStart(workflowId, input, s);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, ended: true };
      throw err;
    }
    return { workflowId };
  }

  private async signalWithStart(workflowId: string, input: DunningInput, s: PaymentFailedSignal): Promise<void> {
    await this.withDeadline(() =>
      this.client.workflow.signalWithStart(WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.taskQueue,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        args: [input],
        signal: paymentFailedSignal,
        signalArgs: [s],
        // What the Web UI shows for the case from its first moment (ids and the amount only: the
        // decline is not known until the case reads it from Stripe).
        staticSummary: caseSummary({ ...s, experiment: input.experiment }),
        staticDetails: caseStaticDetails({ ...s, experiment: input.experiment }),
        // Set at start, so the case is findable by customer before its first workflow task runs.
        typedSearchAttributes: [
          { key: DunningInvoiceId, value: s.invoiceId },
          { key: DunningCustomerId, value: s.customerId },
          { key: DunningState, value: 'active' },
          { key: DunningAmountDue, value: s.amountDue },
          { key: DunningCurrency, value: s.currency },
          ...(input.experiment
            ? [
                { key: DunningExperiment, value: input.experiment.experimentId },
                { key: DunningArm, value: input.experiment.arm },
              ]
            : []),
        ],
      }),
    );
  }

  /** Signals one invoice's case; false when there is no running case. */
  async signalInvoice(
    invoiceId: string,
    signal:
      | { name: 'paymentSucceeded'; payload: PaymentSucceededSignal }
      | { name: 'paymentMethodUpdated'; payload: PaymentMethodUpdatedSignal }
      | { name: 'cancelDunning'; payload: CancelDunningSignal }
      | { name: 'emailUndeliverable'; payload: EmailUndeliverableSignal },
  ): Promise<boolean> {
    switch (signal.name) {
      case 'paymentSucceeded':
        return this.signalCase(invoiceId, paymentSucceededSignal, signal.payload);
      case 'paymentMethodUpdated':
        return this.signalCase(invoiceId, paymentMethodUpdatedSignal, signal.payload);
      case 'cancelDunning':
        return this.signalCase(invoiceId, cancelDunningSignal, signal.payload);
      case 'emailUndeliverable':
        return this.signalCase(invoiceId, emailUndeliverableSignal, signal.payload);
    }
  }

  /** `paymentMethodDetached` to one invoice's case; false when there is no running case. */
  signalCardDetached(invoiceId: string, payload: PaymentMethodDetachedSignal): Promise<boolean> {
    return this.signalCase(invoiceId, paymentMethodDetachedSignal, payload);
  }

  /** `disputeOpened` to one invoice's case; false when there is no running case. */
  signalDispute(invoiceId: string, payload: DisputeOpenedSignal): Promise<boolean> {
    return this.signalCase(invoiceId, disputeOpenedSignal, payload);
  }

  /** One signal to one invoice's case; false when there is no running case (none, or it has ended). */
  private async signalCase<P>(invoiceId: string, signal: SignalDefinition<[P]>, payload: P): Promise<boolean> {
    try {
      await this.withDeadline(() => this.client.workflow.getHandle(workflowIdForInvoice(invoiceId)).signal(signal, payload));
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Throws `CaseUndecryptableError` when the case's payloads are under a key no longer configured. */
  async status(invoiceId: string): Promise<DunningStatus | undefined> {
    try {
      return await this.withDeadline(() => this.client.workflow.getHandle(workflowIdForInvoice(invoiceId)).query(statusQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      if (isUndecryptable(err)) throw new CaseUndecryptableError(invoiceId, await this.visibleCase(invoiceId), { cause: err });
      throw err;
    }
  }

  /** The case's latest run as visibility lists it (search attributes, no decryption needed); undefined if unlisted. */
  async visibleCase(invoiceId: string): Promise<CaseSummary | undefined> {
    const query = `WorkflowType = ${quote(WORKFLOW_TYPE)} AND WorkflowId = ${quote(workflowIdForInvoice(invoiceId))} AND ${NOT_HANDED_OVER}`;
    return this.withDeadline(async () => {
      for await (const wf of listRows(this.client, { query, list: 'case', pageSize: 1 })) return summarize(wf);
      return undefined;
    }).catch(() => undefined);
  }

  /**
   * The customer's own retry with the same card: the Update `retryRequested`, `requestId` as its
   * Update id, so the same request sent twice (a double-click, a repeated POST) is one Update and
   * one charge, answered with the first one's outcome. A refusal by the validator comes back as
   * its `RetryNotPossible`; a case that has ended (before or as the request came) as its status.
   * Throws what Temporal throws when it cannot answer in time (see `isTemporalUnavailable`).
   *
   * Waits three times as long as other calls (30 s by default): the Update returns only once Stripe
   * has answered the charge, which a slow Stripe (retried in the activity) can take.
   */
  async requestRetry(invoiceId: string, requestId: string, deadlineMs = 3 * this.deadlineMs): Promise<RetryAnswer> {
    const handle = this.client.workflow.getHandle(workflowIdForInvoice(invoiceId));
    try {
      const outcome = await this.client.withDeadline(Date.now() + deadlineMs, () =>
        handle.executeUpdate(retryRequestedUpdate, { args: [{ requestId }], updateId: requestId }),
      );
      return { kind: 'outcome', outcome };
    } catch (err) {
      const answer = await this.refusedOrEnded(invoiceId, err, retryRefusalOf(err));
      if (answer) return answer;
      throw err;
    }
  }

  /**
   * The customer accepts the last-chance offer: the Update `offerAccepted`, `requestId` (the page's
   * nonce) as its Update id, so a double-click or a replayed POST is one request, applied once.
   * Waits as long as a retry (Stripe answers twice: the subscription, then the invoice).
   */
  async acceptOffer(invoiceId: string, requestId: string, deadlineMs = 3 * this.deadlineMs): Promise<OfferAnswer> {
    const handle = this.client.workflow.getHandle(workflowIdForInvoice(invoiceId));
    try {
      const outcome = await this.client.withDeadline(Date.now() + deadlineMs, () =>
        handle.executeUpdate(offerAcceptedUpdate, { args: [{ requestId }], updateId: requestId }),
      );
      return { kind: 'outcome', outcome };
    } catch (err) {
      const answer = await this.refusedOrEnded(invoiceId, err, offerRefusalOf(err));
      if (answer) return answer;
      throw err;
    }
  }

  /**
   * An operator's retry now: the Update `retryNowRequested` (a merchant-initiated charge through
   * the card's ledger), `requestId` as its Update id, so a repeated request charges once. Waits up
   * to `waitMs` for the charge's outcome; longer, and the answer is `accepted`.
   */
  retryNow(
    invoiceId: string,
    request: OperatorRequest,
    waitMs = 3 * this.deadlineMs,
  ): Promise<OperatorAnswer<RetryOutcome, RetryNotPossible>> {
    return this.operatorUpdate(invoiceId, request, waitMs, retryRefusalOf, retryNowRequestedUpdate);
  }

  /** A fresh email with the update link: the Update `resendLinkRequested`, as `retryNow`. */
  resendLink(
    invoiceId: string,
    request: OperatorRequest,
    waitMs = this.deadlineMs,
  ): Promise<OperatorAnswer<ResendLinkOutcome, LinkNotPossible>> {
    return this.operatorUpdate(invoiceId, request, waitMs, linkRefusalOf, resendLinkRequestedUpdate);
  }

  /**
   * Starts an operator's Update (accepted: the validator let it through, or refused it), then
   * waits for its result a while. A case that has ended (before or as the request came) answers
   * with its status; a Temporal that cannot answer throws (see `isTemporalUnavailable`).
   */
  private async operatorUpdate<T, R extends { reason: string }>(
    invoiceId: string,
    request: OperatorRequest,
    waitMs: number,
    refusalOf: (err: unknown) => R | undefined,
    update: UpdateDefinition<T, [OperatorRequest]>,
  ): Promise<OperatorAnswer<T, R>> {
    const handle = this.client.workflow.getHandle(workflowIdForInvoice(invoiceId));
    let started: { result(): Promise<T> } | undefined;
    try {
      // `requestId` as the Update id: a repeated request is the same Update, carried out once.
      started = await this.withDeadline(() =>
        handle.startUpdate(update, { args: [request], updateId: request.requestId, waitForStage: WorkflowUpdateStage.ACCEPTED }),
      );
      const accepted = started;
      return { kind: 'done', result: await this.client.withDeadline(Date.now() + waitMs, () => accepted.result()) };
    } catch (err) {
      // Accepted, not finished yet: the case carries it out all the same.
      if (started && err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { kind: 'accepted' };
      const answer = await this.refusedOrEnded(invoiceId, err, refusalOf(err));
      if (answer) return answer;
      throw err;
    }
  }

  /**
   * What a failed Update says: refused by the validator, or the case has ended (a refusal as
   * `case_over`, or a closed run, which answers an Update with "not found" while its status query
   * still answers), or there is no case; undefined: another failure, for the caller to rethrow.
   */
  private async refusedOrEnded<R extends { reason: string }>(
    invoiceId: string,
    err: unknown,
    refusal: R | undefined,
  ): Promise<{ kind: 'refused'; refusal: R } | { kind: 'ended'; status: DunningStatus } | { kind: 'no_case' } | undefined> {
    if (refusal && refusal.reason !== 'case_over') return { kind: 'refused', refusal };
    if (!refusal && !(err instanceof WorkflowNotFoundError)) return undefined;
    const status = await this.status(invoiceId);
    return status ? { kind: 'ended', status } : { kind: 'no_case' };
  }

  /**
   * Asks the case to re-encrypt itself under the current key (the Update `reencryptRequested`,
   * docs/production/key-rotation.md), `requestId` as the Update's id: a repeated request is the same.
   */
  async reencrypt(invoiceId: string, request: OperatorRequest): Promise<ReencryptAnswer> {
    const handle = this.client.workflow.getHandle(workflowIdForInvoice(invoiceId));
    try {
      const { fromRunId } = await this.withDeadline(() =>
        handle.executeUpdate(reencryptRequestedUpdate, { args: [request], updateId: request.requestId }),
      );
      return { kind: 'requested', fromRunId };
    } catch (err) {
      const refused =
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === REENCRYPT_NOT_POSSIBLE;
      // A closed run answers an Update with "not found": ended, or never opened.
      if (refused || err instanceof WorkflowNotFoundError) {
        return refused || (await this.visibleCase(invoiceId)) ? { kind: 'ended' } : { kind: 'no_case' };
      }
      throw err;
    }
  }

  async list(filter: {
    customerId?: string;
    /** One state, or any of several. */
    state?: CaseState | readonly CaseState[];
    running?: boolean;
    /** Only cases waiting on a provider (`DunningBlockedOn` set). */
    blocked?: boolean;
    limit?: number;
    /** Only cases whose run started before this instant (a key rotation's time T). */
    startedBefore?: Date;
  }): Promise<CaseSummary[]> {
    const clauses = [`WorkflowType = ${quote(WORKFLOW_TYPE)}`, NOT_HANDED_OVER];
    if (filter.customerId) clauses.push(`${DunningCustomerId.name} = ${quote(filter.customerId)}`);
    if (typeof filter.state === 'string') clauses.push(`${DunningState.name} = ${quote(filter.state)}`);
    else if (filter.state?.length) clauses.push(`${DunningState.name} IN (${filter.state.map(quote).join(', ')})`);
    if (filter.blocked) {
      const providers: Provider[] = ['stripe', 'resend'];
      clauses.push(`${DunningBlockedOn.name} IN (${providers.map(quote).join(', ')})`);
    }
    if (filter.running) clauses.push(`ExecutionStatus = 'Running'`);
    if (filter.startedBefore) clauses.push(`StartTime < ${quote(filter.startedBefore.toISOString())}`);
    const out: CaseSummary[] = [];
    const limit = filter.limit ?? 500;
    await this.withDeadline(async () => {
      // Row by row: a case the codec cannot decrypt is listed flagged, it does not fail the list.
      for await (const wf of listRows(this.client, { query: clauses.join(' AND '), list: 'cases' })) {
        out.push(summarize(wf));
        if (out.length >= limit) break;
      }
    });
    return out;
  }

  /**
   * The open cases of one customer (visibility), for "a card was updated" signals. Running is
   * not enough: a case that has ended may keep its run open a moment longer (finishing up), and
   * must not be signaled as if it were still dunning. A `processing` case (a bank debit settling)
   * keeps the news for when the bank answers.
   */
  async activeCasesOf(customerId: string): Promise<CaseSummary[]> {
    return this.list({ customerId, state: OPEN_STATES, running: true });
  }

  /**
   * How many running cases of this deployment (task queue) wait on each provider
   * (`DunningBlockedOn`), for the `dunning_cases_blocked` gauge.
   */
  async blockedCaseCounts(deadlineMs = 3000): Promise<Record<Provider, number>> {
    const count = async (provider: Provider) => {
      const query = [
        `WorkflowType = ${quote(WORKFLOW_TYPE)}`,
        `ExecutionStatus = 'Running'`,
        `TaskQueue = ${quote(this.taskQueue)}`,
        `${DunningBlockedOn.name} = ${quote(provider)}`,
      ].join(' AND ');
      return (await this.client.withDeadline(Date.now() + deadlineMs, () => this.client.workflow.count(query))).count;
    };
    const [stripe, resend] = await Promise.all([count('stripe'), count('resend')]);
    return { stripe, resend };
  }
}

function summarize(wf: VisibilityRow): CaseSummary {
  return {
    ...visibleCase(wf),
    runId: wf.runId,
    subscriptionId: typeof wf.memo?.subscriptionId === 'string' ? wf.memo.subscriptionId : undefined,
    blockedOn: wf.typedSearchAttributes.get(DunningBlockedOn),
    status: wf.status.name,
  };
}
