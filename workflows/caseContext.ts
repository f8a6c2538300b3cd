/**
 * What every effect of a case shares: its record and inbox, the key prefix of its idempotency
 * keys, provider calls under the failure model, and publishing what the case is (search
 * attributes, the Web UI's current details).
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { CaseInbox } from '../domain/caseInbox';
import { blockedWaitSummary, caseCurrentDetails } from '../domain/caseNarrative';
import type { CaseRecord } from '../domain/caseRecord';
import { DunningBlockedOn } from '../domain/searchAttributes';
import type { BlockedOn, Provider } from '../domain/types';
import { callProvider, type BlockedTracker, type CallResult } from './providerCalls';

export interface CallOptions {
  /** Stops waiting out the provider (default: once the case is paid elsewhere or cancelled). */
  stop?: () => boolean;
  /** A refusal is waited out like an outage: for calls the case cannot go on without. */
  waitOnRefusal?: boolean;
}

export interface CaseContext {
  readonly record: CaseRecord;
  readonly inbox: CaseInbox;
  /** Idempotency keys are per case and step (`<keyPrefix>/<step>`), never per run. */
  readonly keyPrefix: string;
  /** A provider call whose answer never fails the case (providerCalls.ts). */
  call<T>(provider: Provider, fn: () => Promise<T>, opts?: CallOptions): Promise<CallResult<T>>;
  /** Records whether the case waits on a provider, in `status` and in `DunningBlockedOn`. */
  blocked: BlockedTracker;
  /** The search attributes and the Web UI's details, as the record now says. */
  publish(): void;
  /** The Web UI's details only. */
  describe(): void;
}

export function caseContext(record: CaseRecord, inbox: CaseInbox, keyPrefix: string): CaseContext {
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

  const blocked: BlockedTracker = {
    set(b: BlockedOn | undefined) {
      if (b?.provider !== record.blockedOn?.provider) {
        upsertSearchAttributes([{ key: DunningBlockedOn, value: b ? b.provider : null }]);
      }
      record.waitOn(b);
      describe();
    },
    waitSummary: (b: BlockedOn) => blockedWaitSummary(b, record.timeZone()),
  };
  describe();

  return {
    record,
    inbox,
    keyPrefix,
    blocked,
    describe,
    // The happy path is a plain activity call; a failure goes to the failure model.
    async call<T>(provider: Provider, fn: () => Promise<T>, opts: CallOptions = {}): Promise<CallResult<T>> {
      try {
        return { kind: 'answered', value: await fn() };
      } catch (err) {
        const stop = opts.stop ?? (() => inbox.endingSignaled());
        return callProvider(provider, fn, blocked, stop, { error: err }, opts.waitOnRefusal);
      }
    },
    publish() {
      upsertSearchAttributes(record.searchAttributes());
      describe();
    },
  };
}
