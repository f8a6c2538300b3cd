/**
 * The record of one dunning case: what the `status` query returns and the search attributes
 * publish, and the bookkeeping that turns provider answers into the next step (classification,
 * schedule, attempts, emails, the cards that declined). Pure and deterministic: time comes in as
 * epoch milliseconds. It owns its state: the workflow reads the fields and changes them only
 * through the methods below, each named for what happened to the case.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type {
  CardFacts,
  CaseFacts,
  DeclineDetails,
  DunningEmailInput,
  RetryChargeResult,
  StripeCollection,
} from './providerTypes';
import { classifyDecline, type DeclineClassification } from './declines';
import { DEFAULT_OTHER_CARDS_MAX, type OtherCardExclusions, type SavedCard } from './otherCards';
import { POLICY_1_0, resolvePolicy, type DunningPolicy, type EndAction, type ResolvedPolicy } from './policy';
import { caseTimeZone, planSchedule, type PlannedStep } from './schedule';
import { pickLocale } from './presentation';
import {
  DunningAmountDue,
  DunningCurrency,
  DunningDeclineCategory,
  DunningNextActionAt,
  DunningRecoveredBy,
  DunningState,
} from './searchAttributes';
import type { ExperimentArm } from './experiment';
import { stripeRetryingFrom } from './stripeRetries';
import type { Offer, OfferNotPossible, OfferStatus } from './offers';
import { isEndedSubscription } from './subscriptions';
import {
  DEFAULT_QUIET_HOURS,
  DEFAULT_SMS_MAX_PER_CASE,
  type SmsInput,
  type SmsRecord,
  type SmsSendResult,
  type SmsTemplate,
} from './sms';
import { SETTLED_OUTCOME, SETTLEMENT_RECHECK_MS, SETTLEMENT_WAIT_MS } from './settlement';
import type {
  AttemptRecord,
  AttemptTrigger,
  BlockedOn,
  CancelDunningSignal,
  DisputeOpenedSignal,
  PaymentMethodDetachedSignal,
  CaseState,
  DeclineFacts,
  DunningStatus,
  EmailRecord,
  EmailUndeliverable,
  EmailUndeliverableSignal,
  PaymentFailedSignal,
  PaymentMethodUpdatedSignal,
  PaymentSucceededSignal,
  LinkNotPossible,
  OtherCardsTurn,
  ResendLinkOutcome,
  RetryNotPossible,
  RetryOutcome,
  StripeRetrying,
} from './types';

export type FinalState = Exclude<CaseState, 'active' | 'processing'>;

/**
 * What Stripe's current facts say that the webhooks may not have said yet: the invoice paid, voided
 * or written off, or the subscription ended. Read just before the end action, so that a late or
 * lost webhook never gets a paid customer's subscription cancelled. The same news a webhook brings,
 * in the same form, so the case ends exactly as the webhook would have ended it.
 */
export function endingNewsInFacts(
  f: CaseFacts,
  now: number,
): { paid: PaymentSucceededSignal } | { cancel: CancelDunningSignal } | undefined {
  if (f.invoice.status === 'paid') return { paid: { source: 'stripe', occurredAt: iso(now) } };
  if (f.invoice.status === 'void') return { cancel: { reason: 'invoice_voided', by: 'stripe' } };
  if (f.invoice.status === 'uncollectible') return { cancel: { reason: 'invoice_marked_uncollectible', by: 'stripe' } };
  if (f.subscription && isEndedSubscription(f.subscription.status)) {
    return { cancel: { reason: 'subscription_deleted', by: 'stripe' } };
  }
  return undefined;
}

/** What a charge's answer means for the case. */
export type ChargeVerdict = { settled: true } | { settled: false; closedBy?: CancelDunningSignal };

/** One charge attempt as the case saw it: Stripe's answer, or that Stripe refused, or that the case ended meanwhile. */
export interface ChargeReport {
  settled: boolean;
  result?: RetryChargeResult;
  error?: string;
  interrupted?: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Email addresses compare case-insensitively (in practice mailbox names are too). */
const sameAddress = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

export class CaseRecord {
  private _state: CaseState = 'active';
  private _endedAt: number | undefined;
  private _outcome: string | undefined;
  private _amountDue = 0;
  private _currency = 'usd';
  private _subscriptionId: string | undefined;
  private _classification: DeclineClassification = { category: 'unknown', reason: 'pending', retryable: false };
  private _blockedOn: BlockedOn | undefined;
  private _accessRestricted = false;
  readonly attempts: AttemptRecord[] = [];
  readonly emails: EmailRecord[] = [];
  private _facts: CaseFacts | undefined;
  private _lastCard: CardFacts | undefined;
  /** Card updates charged so far: numbers their steps' idempotency keys. */
  private cardUpdates = 0;
  /** The customer's own retries so far (numbers their keys), and when the last one was made. */
  private customerRetries = 0;
  private lastCustomerRetryAt: number | undefined;
  /** A charge of this case is under way (the customer's retry waits for it to end). */
  private charging = false;
  private _cardGone: string | undefined;
  private _dispute: DunningStatus['dispute'];
  private _stripeCollection: StripeCollection | undefined;
  private _stripeRetrying: StripeRetrying | undefined;
  private _emailUndeliverable: EmailUndeliverable | undefined;
  private schedule: PlannedStep[] = [];
  private readonly done = new Set<string>();
  /** Payment methods that declined in this case: reporting one again is no reason to charge it again. */
  private readonly declinedCards = new Set<string>();
  private resolved: ResolvedPolicy | undefined;
  private lastFailureAt: number;
  /** While `processing`: the debit under way (see domain/settlement.ts). */
  private settling: { since: number; checkAt: number; trigger: AttemptTrigger; paymentIntentId?: string } | undefined;
  /** Time spent processing debits that failed: the schedule moves on by as much (0: as planned). */
  private pausedMs = 0;
  /** Fingerprints of the cards that declined in this case: the same physical card is never "another card". */
  private readonly declinedFingerprints = new Set<string>();
  /** Another saved card: the case's one look at the customer's other cards, once taken. */
  private _otherCards: OtherCardsTurn | undefined;
  /** The ids and fingerprints of the cards charged as another saved card: their declines are theirs alone. */
  private readonly otherCardsCharged = new Set<string>();
  /** The last-chance offer: `due` while its email is being sent, then what was offered and what came of it. */
  private offerDue: { key: string; offer: Offer } | undefined;
  private _offer: (OfferStatus & { key: string }) | undefined;
  /** The case's texts (policy sms steps), as status.sms shows them. */
  private readonly _sms: SmsRecord[] = [];

  constructor(
    readonly invoiceId: string,
    readonly customerId: string,
    readonly startedAt: number,
    // No policy in the input: a case started before the input carried one, which ran 1.0's default.
    private readonly policy: DunningPolicy = POLICY_1_0,
    /** The experiment arm the case was started in (domain/experiment.ts); undefined outside any experiment. */
    readonly experiment?: ExperimentArm,
  ) {
    this.lastFailureAt = startedAt;
  }

  // ---- what the case is (read-only outside: each change goes through a method below) -----------

  get state(): CaseState {
    return this._state;
  }
  get endedAt(): number | undefined {
    return this._endedAt;
  }
  get outcome(): string | undefined {
    return this._outcome;
  }
  get amountDue(): number {
    return this._amountDue;
  }
  get currency(): string {
    return this._currency;
  }
  get subscriptionId(): string | undefined {
    return this._subscriptionId;
  }
  get classification(): DeclineClassification {
    return this._classification;
  }
  /** The provider the case waits on (status.blockedOn), while it waits. */
  get blockedOn(): BlockedOn | undefined {
    return this._blockedOn;
  }
  /** Set once a grace shorter than the case has run out (access.restricted was sent). */
  get accessRestricted(): boolean {
    return this._accessRestricted;
  }
  get facts(): CaseFacts | undefined {
    return this._facts;
  }
  get lastCard(): CardFacts | undefined {
    return this._lastCard;
  }
  /** The case's card, detached from the customer (`paymentMethodDetached`) until a new card is reported. */
  get cardGone(): string | undefined {
    return this._cardGone;
  }
  /** Set by `disputeOpened`: the case charges no more. */
  get dispute(): DunningStatus['dispute'] {
    return this._dispute;
  }
  /** Stripe's own collection attempts on the invoice, as the start read left them (then as the end left them). */
  get stripeCollection(): StripeCollection | undefined {
    return this._stripeCollection;
  }
  /** Stripe's own retry schedule still charged the invoice (its attempt beyond the first, no request of ours). */
  get stripeRetrying(): StripeRetrying | undefined {
    return this._stripeRetrying;
  }
  /** Resend could not deliver to this address: the case sends it nothing more. */
  get emailUndeliverable(): EmailUndeliverable | undefined {
    return this._emailUndeliverable;
  }

  // ---- what the case shows --------------------------------------------------------------------

  nextStep(): PlannedStep | undefined {
    return this.state === 'active' ? this.schedule.find((s) => !this.done.has(s.key)) : undefined;
  }

  /** `retryWaiting`: a customer's retry is accepted and waits for the loop (the inbox knows). */
  status(now: number = Date.now(), retryWaiting = false): DunningStatus {
    const next = this.nextStep();
    const card =
      this.lastCard?.brand || this.lastCard?.last4 ? { brand: this.lastCard.brand, last4: this.lastCard.last4 } : undefined;
    return {
      invoiceId: this.invoiceId,
      customerId: this.customerId,
      subscriptionId: this.subscriptionId,
      state: this.state,
      amountDue: this.amountDue,
      currency: this.currency,
      declineCategory: this.classification.category,
      attempts: [...this.attempts],
      emails: [...this.emails],
      nextAction: next ? { kind: next.kind, at: iso(next.at) } : undefined,
      startedAt: iso(this.startedAt),
      endedAt: this.endedAt === undefined ? undefined : iso(this.endedAt),
      outcome: this.outcome,
      blockedOn: this.blockedOn,
      card,
      customerRetry: this.customerRetryVerdict(now, retryWaiting),
      timeZone: this.facts ? this.timeZone() : undefined,
      ...(this.dispute ? { dispute: { ...this.dispute } } : {}),
      ...(this.experiment ? { experiment: { ...this.experiment } } : {}),
      ...(this.stripeCollection ? { stripeCollection: this.stripeCollection } : {}),
      ...(this.stripeRetrying ? { stripeRetrying: this.stripeRetrying } : {}),
      ...(this.emailUndeliverable ? { emailUndeliverable: this.emailUndeliverable } : {}),
      ...(this._otherCards ? { otherCards: { ...this._otherCards } } : {}),
      ...(this._offer ? { offer: offerStatus(this._offer) } : {}),
      ...(this._sms.length ? { sms: this._sms.map((r) => ({ ...r })), smsCost: this.smsCost() } : {}),
      processing: this.settling && {
        since: iso(this.settling.since),
        checkAt: iso(this.settling.checkAt),
        paymentIntentId: this.settling.paymentIntentId,
      },
      // For the in-app notice (src/notice/): read-only, nothing the case does depends on them.
      ...(this.facts ? { locale: pickLocale(this.facts.customer.preferredLocales) } : {}),
      ...(this.resolved ? { graceEndsAt: iso(this.graceEndsAt()) } : {}),
    };
  }

  /** When the customer's access is restricted: the grace's own step, else the end action (which implies it). */
  private graceEndsAt(): number {
    return this.schedule.find((s) => s.kind === 'restrict_access')?.at ?? this.endAt();
  }

  /** The customer disputed a payment: the first dispute is kept; every charge is refused from now on. */
  recordDispute(s: DisputeOpenedSignal): void {
    if (this.state !== 'active' || this.dispute) return;
    this._dispute = { disputeId: s.disputeId, ...(s.reason ? { reason: s.reason } : {}), at: s.occurredAt };
  }

  /**
   * A card of the customer was detached: when it is the case's card (the one that declined, else
   * the customer's default), charging it again cannot work, so the case waits for a new card.
   */
  recordCardDetached(s: PaymentMethodDetachedSignal): void {
    const caseCard = this.lastCard?.paymentMethodId ?? this.facts?.customer.defaultPaymentMethodId;
    if (this.state === 'active' && caseCard === s.paymentMethodId) this._cardGone = s.paymentMethodId;
  }

  /** A scheduled retry not made: the case's card is gone. */
  recordCardDetachedSkip(now: number): void {
    this.attempts.push({ at: iso(now), trigger: 'schedule', outcome: 'skipped_card_detached' });
  }

  /** A charge the case would have made, not made because of the dispute. */
  recordDisputedSkip(trigger: AttemptTrigger, now: number): void {
    this.attempts.push({ at: iso(now), trigger, outcome: 'skipped_disputed' });
  }

  /**
   * May the customer retry with the same card now? Only while the case is open, for declines the
   * same card can get past (insufficient funds, temporary, unknown), once per cooldown, and not
   * while another charge of the case runs or another retry waits (`retryWaiting`).
   */
  customerRetryVerdict(now: number, retryWaiting: boolean): { allowed: true } | RetryNotPossible {
    const verdict = this.operatorRetryVerdict(retryWaiting);
    if (!verdict.allowed) return verdict;
    const cooldownEnds =
      this.lastCustomerRetryAt === undefined ? undefined : this.lastCustomerRetryAt + this.resolved!.customerRetryCooldownMs;
    if (cooldownEnds !== undefined && cooldownEnds > now)
      return { allowed: false, reason: 'cooldown', retryAt: iso(cooldownEnds) };
    return { allowed: true };
  }

  /**
   * May an operator retry the card on file now? As the customer may, without the customer's
   * cooldown (an operator's decision); the card's network budget is still the ledger's to grant.
   */
  operatorRetryVerdict(retryWaiting: boolean): { allowed: true } | RetryNotPossible {
    // A debit is settling: a second charge could take the money twice.
    if (this.state === 'processing') return { allowed: false, reason: 'processing' };
    if (this.state !== 'active') return { allowed: false, reason: 'case_over' };
    if (this.dispute || this.cardGone) return { allowed: false, reason: 'not_retryable' };
    // Busy: not planned yet, charging, another retry waiting, or waiting out a provider (the
    // customer would wait on a page for an outage to end).
    if (!this.resolved || this.charging || retryWaiting || this.blockedOn) return { allowed: false, reason: 'busy' };
    if (this.classification.category === 'never_retry') return { allowed: false, reason: 'card_blocked' };
    if (!this.classification.retryable) return { allowed: false, reason: 'not_retryable' };
    return { allowed: true };
  }

  /** May the case send a fresh email with the update link now? */
  linkVerdict(): { allowed: true } | LinkNotPossible {
    if (this.state === 'processing') return { allowed: false, reason: 'processing' };
    if (this.state !== 'active') return { allowed: false, reason: 'case_over' };
    if (!this.facts || !this.resolved) return { allowed: false, reason: 'busy' };
    if (!this.facts.customer.email) return { allowed: false, reason: 'no_email_address' };
    if (this.undeliverableTo(this.facts.customer.email)) return { allowed: false, reason: 'email_undeliverable' };
    return { allowed: true };
  }

  /** What the operator is told of a link email the case tried to send (as `status.emails` has it). */
  linkOutcome(email: EmailRecord | undefined): ResendLinkOutcome {
    if (!email) {
      const address = this.facts?.customer.email;
      return {
        outcome: 'not_possible',
        reason: address && this.undeliverableTo(address) ? 'email_undeliverable' : 'no_email_address',
      };
    }
    if (email.error) return { outcome: 'failed', at: email.at, template: email.template, error: email.error };
    return { outcome: 'sent', at: email.at, template: email.template, messageId: email.messageId };
  }

  /** Counts a customer's retry as it starts; returns its number (for its idempotency key). */
  startCustomerRetry(now: number): number {
    this.lastCustomerRetryAt = now;
    return (this.customerRetries += 1);
  }

  /** What the customer's retry page shows for a charge's answer. */
  retryOutcome(charge: ChargeReport): RetryOutcome {
    if (charge.settled) return { outcome: 'succeeded' };
    const r = charge.result;
    switch (r?.outcome) {
      case 'declined':
        return {
          outcome: 'declined',
          declineCategory: this.classification.category,
          declineCode: r.decline.declineCode ?? r.decline.code,
        };
      case 'requires_action':
        return { outcome: 'requires_action', hostedInvoiceUrl: this.facts?.invoice.hostedInvoiceUrl };
      case 'processing':
        return { outcome: 'processing' };
      case 'budget_exhausted':
        return { outcome: 'not_possible', reason: 'budget', retryAt: r.retryAt || undefined };
      case 'card_blocked':
        return { outcome: 'not_possible', reason: 'card_blocked' };
      case 'invoice_closed':
      case 'subscription_ended':
        return { outcome: 'not_possible', reason: 'case_over' };
      default:
        // Stripe refused the request itself, or the case ended while Stripe was unavailable.
        return { outcome: 'not_possible', reason: charge.interrupted ? 'case_over' : 'not_retryable' };
    }
  }

  /** The zone the case's times are planned and shown in (the customer's, else the policy's). */
  timeZone(): string {
    return caseTimeZone(this.facts?.customer.timeZone, this.resolved?.defaultTimeZone ?? this.policy.defaultTimeZone);
  }

  /** The language the customer's emails are written in. */
  emailLocale(): string {
    return pickLocale(this.facts?.customer.preferredLocales);
  }

  /** A planned retry's place among the case's planned retries: the 2nd of 4. */
  retryOrdinal(step: PlannedStep): { n: number; of: number } {
    const retries = this.schedule.filter((s) => s.kind === 'retry');
    return { n: retries.findIndex((s) => s.key === step.key) + 1, of: retries.length };
  }

  /** The policy's end action once the case has a plan (undefined before: nothing to show yet). */
  plannedEndAction(): EndAction | undefined {
    return this.resolved?.endAction;
  }

  searchAttributes(): SearchAttributeUpdatePair[] {
    const next = this.nextStep();
    return [
      { key: DunningState, value: this.state },
      { key: DunningDeclineCategory, value: this.classification.category },
      { key: DunningAmountDue, value: this.amountDue },
      { key: DunningCurrency, value: this.currency },
      { key: DunningNextActionAt, value: next ? new Date(next.at) : null },
      // Only once recovered, so every earlier upsert stays exactly as running cases recorded it.
      ...(this.state === 'recovered' && this.outcome ? [{ key: DunningRecoveredBy, value: this.outcome }] : []),
    ];
  }

  // ---- facts ------------------------------------------------------------------------------------

  /** What the webhook told us, so `status` is right while the fuller facts are fetched. */
  learnFromWebhook(first: PaymentFailedSignal | undefined): void {
    if (!first) return;
    this._amountDue = first.amountDue;
    this._currency = first.currency;
    this._subscriptionId = first.subscriptionId;
  }

  learnFacts(facts: CaseFacts): void {
    this._facts = facts;
    this._amountDue = facts.invoice.amountRemaining || facts.invoice.amountDue;
    this._currency = facts.invoice.currency;
    this._subscriptionId = facts.invoice.subscriptionId;
    this._lastCard = facts.lastDecline?.card;
    this._stripeCollection = facts.stripeCollection;
  }

  /** Events arrive in any order: the invoice may be settled before its failure reached us. */
  settledBeforeStart(): { state: FinalState; outcome: string } | undefined {
    const f = this.requireFacts();
    if (f.invoice.status === 'paid') return { state: 'recovered', outcome: 'paid_before_case_started' };
    if (f.invoice.status === 'void' || f.invoice.status === 'uncollectible') {
      return { state: 'cancelled', outcome: `invoice_${f.invoice.status}` };
    }
    if (f.subscription && isEndedSubscription(f.subscription.status)) {
      return { state: 'cancelled', outcome: 'subscription_deleted' };
    }
    return undefined;
  }

  /** The first classification, from the PaymentIntent's decline (else the webhook's). */
  classifyFirst(firstSignal: PaymentFailedSignal | undefined, now: number): void {
    const f = this.requireFacts();
    this.lastFailureAt = now;
    // A case that starts on one of Stripe's own retries (the service came in mid-schedule).
    if (firstSignal) this._stripeRetrying = stripeRetryingFrom(firstSignal, now);
    this.reclassify(f.lastDecline ?? firstSignal);
    const failedCard = f.lastDecline?.card?.paymentMethodId;
    if (failedCard) this.declinedCards.add(failedCard);
    this.rememberDeclinedFingerprint(f.lastDecline?.card?.fingerprint);
  }

  /**
   * A card added before the failure reached us: worth trying at once instead of on day 3. The card
   * Stripe would charge now is compared, not the customer's default: a subscription with its own
   * card is charged that card whatever the customer's default is (the default when Stripe names
   * no card it would charge).
   */
  cardAddedBeforeStart(now: number): PaymentMethodUpdatedSignal | undefined {
    const f = this.requireFacts();
    const failedCard = f.lastDecline?.card?.paymentMethodId;
    const current = f.effectivePaymentMethodId ?? f.customer.defaultPaymentMethodId;
    return current && failedCard && current !== failedCard
      ? { source: 'stripe', paymentMethodId: current, occurredAt: iso(now) }
      : undefined;
  }

  reclassify(decline: DeclineFacts | undefined): void {
    this._classification = classifyDecline(decline ?? {});
  }

  // ---- the schedule -----------------------------------------------------------------------------

  /** Plans the steps from now on; the schedule keeps its origin, and what lies in the past stays done. */
  replan(now: number): void {
    const f = this.requireFacts();
    const resolved = resolvePolicy(this.policy, {
      category: this.classification.category,
      planId: f.invoice.planId,
      amountDue: this.amountDue,
      currency: this.currency,
    });
    this.resolved = resolved;
    // Steps already due but not yet run: those planned at the same instant as the retry that just
    // declined (the day-12 final notice; the day-3 reminder of a temporary decline whose retry
    // hour had passed). They are still owed; dropping them as "past" lost the final notice.
    const owed = new Set(this.schedule.filter((s) => s.at <= now && !this.done.has(s.key)).map((s) => s.key));
    this.schedule = planSchedule(resolved, {
      startedAt: this.startedAt + this.pausedMs,
      category: this.classification.category,
      timeZone: f.customer.timeZone,
      networkRetryAfterMs: this.classification.networkRetryAfterMs,
      lastFailureAt: this.lastFailureAt,
      minRetryGapMs: resolved.minRetryGapMs,
    }).filter(
      (s) =>
        s.at > now ||
        this.done.has(s.key) ||
        s.at === this.startedAt ||
        owed.has(s.key) ||
        // A case that learned its facts after its end (a long outage) ends with its end action,
        // not with a schedule that has nothing left in it.
        s.kind === 'end_action',
    );
  }

  markDone(step: PlannedStep): void {
    this.done.add(step.key);
  }

  endAction(): ResolvedPolicy['endAction'] {
    return this.requireResolved().endAction;
  }

  endAt(): number {
    return (
      this.schedule.find((s) => s.kind === 'end_action')?.at ?? this.startedAt + this.pausedMs + this.requireResolved().endAfterMs
    );
  }

  // ---- signals ----------------------------------------------------------------------------------

  /**
   * A failure Stripe reported (its own retry, or ours echoed back). Returns whether its decline
   * must be read from the PaymentIntent (the webhook carries no codes).
   */
  applyFailure(latest: PaymentFailedSignal, now: number): { needsDecline: boolean } {
    if (latest.amountDue) this._amountDue = latest.amountDue;
    this.lastFailureAt = now;
    this._stripeRetrying = stripeRetryingFrom(latest, now) ?? this.stripeRetrying;
    if (!hasDeclineFacts(latest)) return { needsDecline: true };
    this.reclassify(latest);
    return { needsDecline: false };
  }

  /**
   * The decline read back from Stripe after a failure without codes. A charge of another saved
   * card fails the invoice too, and Stripe's `invoice.payment_failed` for it comes back here: its
   * decline is that card's, which says nothing about what the default card may do.
   */
  applyDeclineRead(decline: DeclineDetails): void {
    if (this.chargedAsOtherCard(decline.card)) return;
    this.reclassify(decline);
    this._lastCard = decline.card ?? this.lastCard;
  }

  /**
   * After a failure was applied: a new decline reason from Stripe is news about every card (one
   * reported again may be tried); returns whether the schedule must be planned again.
   */
  afterFailure(before: DeclineClassification): { replan: boolean } {
    if (this.classification.reason !== before.reason) this.declinedCards.clear();
    return { replan: this.classification.category !== before.category || Boolean(this.classification.networkRetryAfterMs) };
  }

  /**
   * A card was reported (taken from the inbox): what the case does with it. Not charged while a
   * dispute is open (recorded as skipped) or when it is a card that already declined here; else
   * it is the case's card now, charged as the `n`-th card update (its idempotency key).
   */
  cardReported(
    update: PaymentMethodUpdatedSignal,
    now: number,
  ): { charge: true; n: number } | { charge: false; why: 'disputed' | 'declined_before' } {
    if (this.dispute) {
      this.recordDisputedSkip('payment_method_updated', now);
      return { charge: false, why: 'disputed' };
    }
    this._cardGone = undefined;
    if (this.isDeclinedCardReportedAgain(update)) return { charge: false, why: 'declined_before' };
    return { charge: true, n: (this.cardUpdates += 1) };
  }

  /**
   * Stripe reports one new card several times (payment_method.attached, then customer.updated as
   * it becomes the default) and the billing page may call the API too: a card that declined in
   * this case is charged again only with new card data (payment_method.automatically_updated).
   */
  isDeclinedCardReportedAgain(update: PaymentMethodUpdatedSignal): boolean {
    if (!update.paymentMethodId) return false;
    if (update.cardDataChanged) {
      this.declinedCards.delete(update.paymentMethodId);
      return false;
    }
    return this.declinedCards.has(update.paymentMethodId);
  }

  // ---- charges and emails -----------------------------------------------------------------------

  /** What a charge answered (a decline plans the steps again). */
  applyChargeResult(
    trigger: AttemptTrigger,
    result: RetryChargeResult,
    now: number,
    chargedPaymentMethod: string | undefined,
  ): ChargeVerdict {
    const at = iso(now);
    switch (result.outcome) {
      case 'succeeded':
        this.attempts.push({ at, trigger, outcome: 'succeeded' });
        return { settled: true };
      case 'already_paid':
        this.attempts.push({ at, trigger, outcome: 'skipped_already_paid' });
        return { settled: true };
      case 'invoice_closed':
        this.attempts.push({ at, trigger, outcome: 'skipped_invoice_closed' });
        return { settled: false, closedBy: { reason: `invoice_${result.status}`, by: 'stripe' } };
      case 'subscription_ended':
        this.attempts.push({ at, trigger, outcome: 'skipped_subscription_ended' });
        return { settled: false, closedBy: { reason: 'subscription_deleted', by: 'stripe' } };
      case 'budget_exhausted':
        this.attempts.push({ at, trigger, outcome: 'skipped_budget' });
        return { settled: false };
      case 'card_blocked':
        // Another case heard "never retry" for this card: this case stops charging it too, and
        // its messages now ask for another card.
        this.attempts.push({ at, trigger, outcome: 'skipped_never_retry' });
        this._classification = { category: 'never_retry', reason: result.reason, retryable: false };
        this.replan(now);
        return { settled: false };
      case 'processing':
        // Accepted, not paid: the case waits for the bank (domain/settlement.ts).
        this.attempts.push({ at, trigger, outcome: 'processing' });
        this.startSettling(now, trigger, result.paymentIntentId);
        return { settled: false };
      case 'requires_action':
      case 'declined': {
        this.attempts.push({
          at,
          trigger,
          outcome: result.outcome === 'declined' ? 'declined' : 'requires_action',
          declineCode: result.decline.declineCode ?? result.decline.code,
        });
        this._lastCard = result.decline.card ?? this.lastCard;
        const declined = result.decline.card?.paymentMethodId ?? chargedPaymentMethod;
        if (declined) this.declinedCards.add(declined);
        this.rememberDeclinedFingerprint(result.decline.card?.fingerprint);
        this.lastFailureAt = now;
        this.reclassify(result.decline);
        this.replan(now);
        return { settled: false };
      }
    }
  }

  // ---- another saved card (domain/otherCards.ts) ---------------------------------------------------

  private rememberDeclinedFingerprint(fingerprint: string | undefined): void {
    if (fingerprint) this.declinedFingerprints.add(fingerprint);
  }

  /** Whether `card` is one this case charged as another saved card (by id, or the same fingerprint). */
  private chargedAsOtherCard(card: { paymentMethodId?: string; fingerprint?: string } | undefined): boolean {
    if (!card) return false;
    return [card.paymentMethodId, card.fingerprint].some((x) => x !== undefined && this.otherCardsCharged.has(x));
  }

  /**
   * Is it time to look at the customer's other saved cards? Only with the policy's `otherCards`,
   * once per case, while the case may charge, and once the default card has declined
   * `afterDeclines` times (the renewal's decline is the first; the case's own charges of it count
   * after it), or at once when its decline forbids charging it again. Consent is Stripe's to say,
   * read when the case looks (workflows/caseOtherCards.ts).
   */
  otherCardDue(): boolean {
    const o = this.policy.otherCards;
    if (!o || this._otherCards || this.state !== 'active' || !this.resolved) return false;
    if (this.dispute || this.charging || this.blockedOn) return false;
    if (!this.classification.retryable) return true;
    const declines = this.attempts.filter(
      (a) =>
        a.trigger !== 'other_card' &&
        a.trigger !== 'payment_method_updated' &&
        (a.outcome === 'declined' || a.outcome === 'requires_action'),
    ).length;
    return 1 + declines >= o.afterDeclines;
  }

  /** At most this many other cards are charged. */
  otherCardsMax(): number {
    return this.policy.otherCards?.maxCards ?? DEFAULT_OTHER_CARDS_MAX;
  }

  /** The cards never charged as "another card": every card that declined here, and those tried. */
  otherCardExclusions(): OtherCardExclusions {
    const f = this.facts;
    // The card Stripe charges this invoice is "the default card". The customer's default is another
    // card when the subscription has its own (which declined): a good one to try, with consent.
    const charged = f?.effectivePaymentMethodId ?? f?.customer.defaultPaymentMethodId;
    const defaults = [charged, this.lastCard?.paymentMethodId];
    const prints = [this.lastCard?.fingerprint, f?.lastDecline?.card?.fingerprint];
    const present = (xs: Array<string | undefined>): string[] => xs.filter((x): x is string => Boolean(x));
    return {
      paymentMethodIds: [...new Set([...this.declinedCards, ...present(defaults)])],
      fingerprints: [...new Set([...this.declinedFingerprints, ...present(prints)])],
    };
  }

  /** The case looked at the other cards: what it found (`tried`: how many it is about to charge). */
  otherCardsLooked(now: number, outcome: OtherCardsTurn['outcome'], tried = 0): void {
    this._otherCards = { at: iso(now), outcome, tried };
  }

  /**
   * What a charge of another saved card answered. Unlike a charge of the case's card, a decline
   * here does not reclassify the case or move its schedule: the default card's decline still says
   * what the default card may do. The card is never charged again in this case.
   */
  applyOtherCardResult(card: SavedCard, result: RetryChargeResult, now: number): ChargeVerdict {
    const at = iso(now);
    const shown = { ...(card.brand ? { brand: card.brand } : {}), ...(card.last4 ? { last4: card.last4 } : {}) };
    const push = (outcome: AttemptRecord['outcome'], declineCode?: string) =>
      this.attempts.push({ at, trigger: 'other_card', outcome, card: shown, ...(declineCode ? { declineCode } : {}) });
    this.declinedCards.add(card.paymentMethodId);
    this.rememberDeclinedFingerprint(card.fingerprint);
    for (const x of [card.paymentMethodId, card.fingerprint]) if (x) this.otherCardsCharged.add(x);
    switch (result.outcome) {
      case 'succeeded':
        push('succeeded');
        // The receipt names the card that paid.
        this._lastCard = {
          paymentMethodId: card.paymentMethodId,
          fingerprint: card.fingerprint,
          brand: card.brand,
          last4: card.last4,
        };
        return { settled: true };
      case 'already_paid':
        push('skipped_already_paid');
        return { settled: true };
      case 'invoice_closed':
        push('skipped_invoice_closed');
        return { settled: false, closedBy: { reason: `invoice_${result.status}`, by: 'stripe' } };
      case 'subscription_ended':
        push('skipped_subscription_ended');
        return { settled: false, closedBy: { reason: 'subscription_deleted', by: 'stripe' } };
      case 'budget_exhausted':
        push('skipped_budget');
        return { settled: false };
      case 'card_blocked':
        push('skipped_never_retry');
        return { settled: false };
      case 'processing':
        // Cards only are listed; a debit would be a bank account. Waited for like any other.
        push('processing');
        this.startSettling(now, 'other_card', result.paymentIntentId);
        return { settled: false };
      case 'requires_action':
      case 'declined':
        push(result.outcome, result.decline.declineCode ?? result.decline.code);
        return { settled: false };
    }
  }

  /** Stripe refused the charge of another card (a 400: detached meanwhile, say): recorded, the case goes on. */
  recordOtherCardError(card: SavedCard, now: number, error: string): void {
    this.declinedCards.add(card.paymentMethodId);
    this.rememberDeclinedFingerprint(card.fingerprint);
    const shown = { ...(card.brand ? { brand: card.brand } : {}), ...(card.last4 ? { last4: card.last4 } : {}) };
    this.attempts.push({ at: iso(now), trigger: 'other_card', outcome: 'error', error, card: shown });
  }

  /** The recovery came from another saved card: the receipt says so. */
  recoveredByOtherCard(): boolean {
    return this.attempts.some((a) => a.trigger === 'other_card' && a.outcome === 'succeeded');
  }

  // ---- a debit that settles later ------------------------------------------------------------------

  /** A debit of this case is settling (the case is `processing`). */
  isProcessing(): boolean {
    return this.state === 'processing';
  }

  /**
   * A debit is settling: one this case made (`trigger`: its step), or one Stripe's facts show
   * (`stripe`: the hosted page, Stripe's own retry). The case waits in `processing`.
   */
  startSettling(now: number, trigger: AttemptTrigger, paymentIntentId?: string): void {
    this._state = 'processing';
    this.settling = { since: now, checkAt: now + SETTLEMENT_WAIT_MS, trigger, paymentIntentId };
  }

  /** A step taken but not carried out (the end action, while a debit settles): due again. */
  reopen(step: PlannedStep): void {
    this.done.delete(step.key);
  }

  /** When the case asks Stripe whether the debit settled, if the bank's answer has not come by then. */
  settlementCheckAt(): number | undefined {
    return this.settling?.checkAt;
  }

  /** Stripe still says processing at the check (or could not say): asked again later. */
  stillSettling(now: number): void {
    if (this.settling) this.settling.checkAt = now + SETTLEMENT_RECHECK_MS;
  }

  /** The debit settled (invoice.paid): the outcome names the step that made it. */
  debitSettled(): string {
    const outcome = SETTLED_OUTCOME[this.settling?.trigger ?? 'stripe'];
    this.settling = undefined;
    return outcome;
  }

  /**
   * The bank returned the debit: the case is active again, with the decline Stripe recorded, and
   * its schedule moves on by the time spent waiting (no reminders owed for the days it processed).
   * The payment method that failed is not debited again for a mere re-report.
   */
  debitFailed(now: number, decline: DeclineDetails | DeclineFacts | undefined, amountDue?: number): void {
    if (amountDue) this._amountDue = amountDue;
    if (this.settling) this.pausedMs += now - this.settling.since;
    this.settling = undefined;
    this._state = 'active';
    this.lastFailureAt = now;
    this.reclassify(decline);
    const card = decline && 'card' in decline ? decline.card : undefined;
    if (card?.paymentMethodId) this.declinedCards.add(card.paymentMethodId);
  }

  /** A charge of the case runs (`charging`: the customer's retry waits for it to end). */
  chargeStarted(): void {
    this.charging = true;
  }

  chargeEnded(): void {
    this.charging = false;
  }

  /** Stripe refused the charge request itself (a 400): recorded, and the schedule goes on. */
  recordChargeError(trigger: AttemptTrigger, now: number, error: string): void {
    this.attempts.push({ at: iso(now), trigger, outcome: 'error', error });
  }

  /** A scheduled retry the decline forbids (never retry the same card). */
  recordSkippedRetry(now: number): void {
    this.attempts.push({ at: iso(now), trigger: 'schedule', outcome: 'skipped_never_retry' });
  }

  recordPaidElsewhere(now: number): void {
    this.attempts.push({ at: iso(now), trigger: 'stripe', outcome: 'skipped_already_paid' });
  }

  /** The email's input, or undefined when the customer has no address (recorded). */
  emailInput(template: string, idempotencyKey: string, now: number): DunningEmailInput | undefined {
    const f = this.requireFacts();
    if (!f.customer.email) {
      this.emails.push({ at: iso(now), template, error: 'customer has no email address' });
      return undefined;
    }
    const undeliverable = this.undeliverableTo(f.customer.email);
    if (undeliverable) {
      // Skipped and recorded: emailing an address that bounced or complained harms the sender's
      // reputation, and Resend would suppress it anyway. A new address (a customer who changed it) is emailed.
      this.emails.push({ at: iso(now), template, error: `not sent: email undeliverable (${undeliverable.event})` });
      return undefined;
    }
    const resolved = this.requireResolved();
    const nextRetry = this.schedule.find((s) => s.kind === 'retry' && !this.done.has(s.key))?.at;
    return {
      template,
      to: f.customer.email,
      preferredLocales: f.customer.preferredLocales,
      declineCategory: this.classification.category,
      idempotencyKey,
      issuedAt: iso(now),
      invoiceId: this.invoiceId,
      customerId: this.customerId,
      customerName: f.customer.name,
      amountDue: this.amountDue,
      currency: this.currency,
      invoiceNumber: f.invoice.number,
      timeZone: f.customer.timeZone,
      nextRetryAt: nextRetry === undefined ? undefined : iso(nextRetry),
      endsAt: iso(this.endAt()),
      endAction: resolved.endAction,
      declineReason: this.classification.reason,
      cardBrand: this.lastCard?.brand,
      cardLast4: this.lastCard?.last4,
      ...(this.recoveredByOtherCard() ? { chargedOtherCard: true as const } : {}),
      ...(template === 'last_chance_offer' && this.offerDue ? { offer: this.offerDue.offer } : {}),
    };
  }

  /**
   * Resend could not deliver to an address (signal `emailUndeliverable`). The first event for an
   * address is kept (a complaint after a bounce says nothing new); one for another address (the
   * customer's new one) replaces it.
   */
  markEmailUndeliverable(s: EmailUndeliverableSignal): void {
    if (this.emailUndeliverable && sameAddress(this.emailUndeliverable.address, s.address)) return;
    this._emailUndeliverable = { ...s, address: s.address.toLowerCase() };
  }

  /** The undeliverable record when it is about `address`. */
  undeliverableTo(address: string): EmailUndeliverable | undefined {
    const u = this.emailUndeliverable;
    return u && sameAddress(u.address, address) ? u : undefined;
  }

  recordEmail(at: number, email: { template: string; messageId?: string; error?: string }): EmailRecord {
    const record = { at: iso(at), ...email };
    this.emails.push(record);
    return record;
  }

  // ---- waiting on providers, access, the end -----------------------------------------------------

  /** The case waits on a provider (`b`), or no longer does (undefined). */
  waitOn(b: BlockedOn | undefined): void {
    this._blockedOn = b;
  }

  /** The customer's access is restricted (the grace ran out, or the end action); true the first time. */
  restrictAccess(): boolean {
    const first = !this._accessRestricted;
    this._accessRestricted = true;
    return first;
  }

  // ---- text messages (domain/sms.ts) ------------------------------------------------------------

  /**
   * The text's input for a due sms step, or undefined when the case's cap is reached (recorded as
   * skipped). Consent, opt-out and the number are the activity's to read: they live on the customer.
   */
  smsInput(step: PlannedStep, idempotencyKey: string, now: number): SmsInput | undefined {
    const template = (step.template ?? 'reminder') as SmsTemplate;
    const cap = this.resolved?.sms?.maxPerCase ?? DEFAULT_SMS_MAX_PER_CASE;
    if (this._sms.filter((r) => r.sid).length >= cap) {
      this._sms.push({ at: iso(now), template, skipped: 'cap_reached' });
      return undefined;
    }
    const f = this.requireFacts();
    return {
      key: idempotencyKey,
      template,
      customerId: this.customerId,
      invoiceId: this.invoiceId,
      amountDue: this.amountDue,
      currency: this.currency,
      invoiceNumber: f.invoice.number,
      preferredLocales: f.customer.preferredLocales,
      ...(f.customer.timeZone ? { timeZone: f.customer.timeZone } : {}),
      quiet: { ...(this.resolved?.sms?.quietHours ?? DEFAULT_QUIET_HOURS), timeZone: this.timeZone() },
      endsAt: iso(this.endAt()),
      stepStartedAt: iso(now),
    };
  }

  /** What became of a text: sent (its cost counted), not sent and why, or the provider's refusal. */
  recordSms(at: number, template: SmsTemplate, result: SmsSendResult | { error: string }): SmsRecord {
    const base = { at: iso(at), template };
    const r: SmsRecord =
      'error' in result
        ? { ...base, error: result.error }
        : result.kind === 'sent'
          ? { ...base, sid: result.sid, to: result.to, segments: result.segments, costMicroUsd: result.costMicroUsd }
          : { ...base, skipped: result.kind === 'opted_out' ? 'opted_out' : result.reason };
    this._sms.push(r);
    return r;
  }

  /** Texts sent in this case, their segments and their cost. */
  smsCost(): { messages: number; segments: number; microUsd: number } {
    const sent = this._sms.filter((r) => r.sid);
    return {
      messages: sent.length,
      segments: sent.reduce((n, r) => n + (r.segments ?? 0), 0),
      microUsd: sent.reduce((n, r) => n + (r.costMicroUsd ?? 0), 0),
    };
  }

  // ---- the last-chance offer (domain/offers.ts) ------------------------------------------------

  /** The offer step is due: its email carries the offer (emailInput). */
  offerEmailDue(step: PlannedStep): void {
    if (step.offer) this.offerDue = { key: step.key, offer: step.offer };
  }

  /** The offer's email went (or not: no address, refused): only a sent one opens the offer. */
  offerEmailed(sent: EmailRecord | undefined): void {
    const due = this.offerDue;
    this.offerDue = undefined;
    if (due && sent && !sent.error) this._offer = { key: due.key, offer: due.offer, offeredAt: sent.at };
  }

  /** The offer made, with its step's key (the idempotency keys of its Stripe calls are built from it). */
  get offer(): (OfferStatus & { key: string }) | undefined {
    return this._offer;
  }

  /** May the customer accept the offer now? */
  offerVerdict(): { allowed: true } | OfferNotPossible {
    if (this.state === 'processing') return { allowed: false, reason: 'processing' };
    if (this.state !== 'active') return { allowed: false, reason: 'case_over' };
    if (!this._offer) return { allowed: false, reason: 'not_offered' };
    if (this._offer.error) return { allowed: false, reason: 'failed' };
    return { allowed: true };
  }

  offerApplied(now: number, resumesAt: number | undefined): void {
    if (!this._offer) return;
    this._offer.appliedAt = iso(now);
    if (resumesAt !== undefined) this._offer.resumesAt = iso(resumesAt);
  }

  /** Stripe refused the offer (a coupon or price that does not exist): recorded; the case goes on. */
  offerFailed(error: string): void {
    if (this._offer) this._offer.error = error;
  }

  /** Stripe applied the end action; it may have given Stripe's own collection back to it. */
  endActionApplied(stripeCollection: StripeCollection | undefined): void {
    if (stripeCollection) this._stripeCollection = stripeCollection;
  }

  end(state: FinalState, outcome: string, now: number): void {
    this._state = state;
    this._outcome = outcome;
    this._endedAt = now;
  }

  private requireFacts(): CaseFacts {
    if (!this.facts) throw new Error('case facts are not known yet');
    return this.facts;
  }

  private requireResolved(): ResolvedPolicy {
    if (!this.resolved) throw new Error('the case has no plan yet');
    return this.resolved;
  }
}

/** `status.offer`: the offer as the customer and operators see it (its step key stays inside). */
function offerStatus({ key: _key, ...shown }: OfferStatus & { key: string }): OfferStatus {
  return { ...shown };
}

function hasDeclineFacts(d: DeclineDetails | DeclineFacts): boolean {
  return Boolean(d.code || d.declineCode || d.adviceCode || d.networkAdviceCode || d.networkDeclineCode);
}
