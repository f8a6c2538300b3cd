/**
 * What signals have told a case and it has not acted upon yet. Signal handlers only record here;
 * the case's loop acts on the news one item at a time, so a signal that lands while an activity
 * runs, or as a timer fires, is handled once, after the running step. Pure: no Temporal calls.
 */
import type { Initiator } from './cardBudgetLedger';
import type { OfferOutcome, OfferRequest } from './offers';
import type {
  CancelDunningSignal,
  OperatorRequest,
  PaymentFailedSignal,
  PaymentMethodUpdatedSignal,
  PaymentSucceededSignal,
  ResendLinkOutcome,
  RetryOutcome,
  RetryRequest,
} from './types';

/**
 * A retry asked for now that the loop has yet to carry out; the Update's handler waits for
 * `outcome`. `customer`: the customer's own (retryRequested); `merchant`: an operator's (retryNowRequested).
 */
export interface PendingRetry {
  request: RetryRequest | OperatorRequest;
  initiator: Initiator;
  outcome?: RetryOutcome;
}

/** An operator's request for a fresh link email, waiting for the loop; the handler waits for `outcome`. */
export interface PendingLink {
  request: OperatorRequest;
  outcome?: ResendLinkOutcome;
}

/** The customer's acceptance of the offer, waiting for the loop; the Update's handler waits for `outcome`. */
export interface PendingOffer {
  request: OfferRequest;
  outcome?: OfferOutcome;
}

export class CaseInbox {
  /** Failed attempts, oldest first (Stripe's own retries, or our retries echoed back). */
  readonly failures: PaymentFailedSignal[] = [];
  /** The latest card report (set while any report waits). */
  cardUpdate: PaymentMethodUpdatedSignal | undefined;
  /**
   * The cards reported and not acted upon yet, one entry per payment method, in the order first
   * reported. Stripe's events arrive in any order: a late re-report of the card that failed must
   * not hide the new card reported just before it.
   */
  private readonly cardReports: PaymentMethodUpdatedSignal[] = [];
  paidElsewhere: PaymentSucceededSignal | undefined;
  cancellation: CancelDunningSignal | undefined;
  private readonly seenEvents = new Set<string>();
  private readonly retries: PendingRetry[] = [];
  private readonly links: PendingLink[] = [];
  private readonly offers: PendingOffer[] = [];

  paymentFailed(s: PaymentFailedSignal): void {
    if (s.eventId) {
      if (this.seenEvents.has(s.eventId)) return; // a duplicate delivery of the same Stripe event
      this.seenEvents.add(s.eventId);
    }
    this.failures.push(s);
  }

  paymentMethodUpdated(s: PaymentMethodUpdatedSignal): void {
    this.cardUpdate = s;
    const i = this.cardReports.findIndex((r) => r.paymentMethodId === s.paymentMethodId);
    if (i < 0) this.cardReports.push(s);
    else
      this.cardReports[i] = {
        ...s,
        ...(this.cardReports[i]!.cardDataChanged || s.cardDataChanged ? { cardDataChanged: true } : {}),
      };
  }

  /**
   * The card Stripe would charge now differs from the one that failed (added before the case
   * started): the card to act on when nothing was reported, else queued beside the reports.
   */
  cardAddedBeforeStart(s: PaymentMethodUpdatedSignal): void {
    if (this.cardUpdate === undefined) this.cardUpdate = s;
    else if (s.paymentMethodId !== this.cardUpdate.paymentMethodId) this.paymentMethodUpdated(s);
  }

  paymentSucceeded(s: PaymentSucceededSignal): void {
    this.paidElsewhere ??= s;
  }

  cancel(s: CancelDunningSignal): void {
    this.cancellation ??= s;
  }

  /** Paid elsewhere or cancelled: nothing a provider says matters any more. */
  endingSignaled(): boolean {
    return this.paidElsewhere !== undefined || this.cancellation !== undefined;
  }

  /** Anything the loop must act on before its next planned step. */
  hasNews(): boolean {
    return (
      this.failures.length > 0 ||
      this.cardUpdate !== undefined ||
      this.endingSignaled() ||
      this.retries.length > 0 ||
      this.links.length > 0 ||
      this.offers.length > 0
    );
  }

  /** The customer (or an operator) asked to retry now: the loop carries it out between two steps. */
  requestRetry(request: RetryRequest | OperatorRequest, initiator: Initiator = 'customer'): PendingRetry {
    const pending: PendingRetry = { request, initiator };
    this.retries.push(pending);
    return pending;
  }

  retryPending(): boolean {
    return this.retries.length > 0;
  }

  takeRetry(): PendingRetry | undefined {
    return this.retries.shift();
  }

  /** The case ends: retries still waiting get `outcome` (their Update handlers must finish first). */
  settleRetries(outcome: RetryOutcome): void {
    for (const pending of this.retries.splice(0)) pending.outcome = outcome;
  }

  /** An operator asked for a fresh link email: the loop sends it between two steps. */
  requestLink(request: OperatorRequest): PendingLink {
    const pending: PendingLink = { request };
    this.links.push(pending);
    return pending;
  }

  linkPending(): boolean {
    return this.links.length > 0;
  }

  takeLink(): PendingLink | undefined {
    return this.links.shift();
  }

  /** The case ends: link requests still waiting get `outcome`. */
  settleLinks(outcome: ResendLinkOutcome): void {
    for (const pending of this.links.splice(0)) pending.outcome = outcome;
  }

  /** The customer accepted the offer: the loop applies it between two steps. */
  acceptOffer(request: OfferRequest): PendingOffer {
    const pending: PendingOffer = { request };
    this.offers.push(pending);
    return pending;
  }

  takeOffer(): PendingOffer | undefined {
    return this.offers.shift();
  }

  /** The case ends: acceptances still waiting get `outcome`. */
  settleOffers(outcome: OfferOutcome): void {
    for (const pending of this.offers.splice(0)) pending.outcome = outcome;
  }

  /** The newest failure; the older ones it supersedes are dropped. */
  takeLatestFailure(): PaymentFailedSignal | undefined {
    const latest = this.failures.at(-1);
    this.failures.length = 0;
    return latest;
  }

  /** The next card to act on: with several cards reported, each in turn, oldest first. */
  takeCardUpdate(): PaymentMethodUpdatedSignal | undefined {
    if (this.cardReports.length > 1) {
      const next = this.cardReports.shift();
      this.cardUpdate = this.cardReports.at(-1);
      return next;
    }
    const update = this.cardUpdate;
    this.dropCardReports();
    return update;
  }

  /** Forgets every card report waiting (the same card reported while it was being charged). */
  dropCardReports(): void {
    this.cardUpdate = undefined;
    this.cardReports.length = 0;
  }
}
