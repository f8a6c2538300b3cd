/**
 * The worker's own metrics (the API's are in src/metrics.ts). A registry of its own, so that a
 * worker beside the API in `npm start` never collides with the API's; one per process (module
 * state), so several workers in one test process add up, as they would in one worker process.
 *
 * Every counter here is incremented by an activity (or a workflow sink, which is not called on
 * replay), never by workflow code itself (which replays).
 * Amounts are in the currency's minor units (cents), like `DunningAmountDue`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Counter, Registry } from 'prom-client';
import { classifyDecline } from '../domain/declines';
import { classifyFailure } from '../domain/providerFailures';
import type { RetryChargeResult } from '../domain/providerTypes';
import type { Provider } from '../domain/types';

export const workerRegistry = new Registry();

const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  new Counter<L>({ name, help, labelNames, registers: [workerRegistry] });

/**
 * Incremented by the workers' sink (src/worker.ts), which workflow code calls through proxySinks:
 * a sink is not called when a history replays, so each ignored payload counts once.
 */
export const unencryptedPayloadsIgnored = counter(
  'dunning_unencrypted_payloads_ignored_total',
  'Starts, signals and Updates ignored in production because their payload was not encrypted (sent without the codec), by kind and workflow type or message name',
  ['kind', 'name'],
);

export const appEventsUndelivered = counter(
  'dunning_app_events_undelivered_total',
  'Events to the SaaS app given up on after their delivery window (about three days), by event type',
  ['type'],
);

// ---- cases: counted once each, when their app event's delivery starts (caseEvents.ts) ----------
export const casesOpened = counter(
  'dunning_cases_opened_total',
  'Cases that started dunning (dunning.started), by currency and decline category',
  ['currency', 'decline_category'],
);
export const casesRecovered = counter(
  'dunning_cases_recovered_total',
  'Cases recovered, by currency, decline category and how (scheduled_retry, card_update, customer_retry, paid_elsewhere) at which step',
  ['currency', 'decline_category', 'how', 'step'],
);
export const amountRecovered = counter(
  'dunning_amount_recovered_minor_units_total',
  'Amount recovered in minor units, by currency, decline category and how at which step',
  ['currency', 'decline_category', 'how', 'step'],
);
export const casesExhausted = counter(
  'dunning_cases_exhausted_total',
  'Cases that ran out of steps and got their end action, by currency and decline category',
  ['currency', 'decline_category'],
);
export const casesCancelled = counter(
  'dunning_cases_cancelled_total',
  'Cases cancelled (invoice voided or uncollectible, subscription deleted, an operator), by currency and decline category',
  ['currency', 'decline_category'],
);
export const casesSavedByOffer = counter(
  'dunning_cases_saved_by_offer_total',
  'Cases that ended saved_by_offer (the customer accepted the last-chance offer), by currency, decline category and offer',
  ['currency', 'decline_category', 'offer'],
);

// ---- provider calls: counted per activity attempt ---------------------------------------------
export const emails = counter(
  'dunning_emails_total',
  'Email send attempts by template and result (sent, retrying: a failure Temporal retries, refused: will never be sent)',
  ['template', 'result'],
);
export const charges = counter(
  'dunning_charges_total',
  'Charge attempts by outcome (succeeded, declined, budget_exhausted, …), initiator and decline category of a decline',
  ['outcome', 'initiator', 'decline_category'],
);
export const providerErrors = counter(
  'dunning_provider_errors_total',
  'Failed provider calls by provider, class (wait, not_found, refused: domain/providerFailures.ts) and failure type',
  ['provider', 'class', 'type'],
);

/** The failure's class as the case will see it; counted, then rethrown unchanged. */
export function countProviderError(provider: Provider, err: unknown): void {
  const failure = err instanceof ApplicationFailure ? err : undefined;
  const type = failure?.type ?? 'other';
  providerErrors.inc({ provider, class: classifyFailure(failure?.type ?? undefined, failure?.nonRetryable ?? undefined), type });
}

/** Runs a provider call, counting its failure (per attempt) before it propagates. */
export async function countingErrors<T>(provider: Provider, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    countProviderError(provider, err);
    throw err;
  }
}

export function countCharge(result: RetryChargeResult, initiator: string = 'merchant'): void {
  const decline = 'decline' in result ? classifyDecline(result.decline).category : '';
  charges.inc({ outcome: result.outcome, initiator, decline_category: decline });
}

/** A send attempt: `template` as resolved when sent, else as asked (the failure knows no better). */
export async function countingEmail<T extends { template: string }>(template: string, send: () => Promise<T>): Promise<T> {
  try {
    const sent = await send();
    emails.inc({ template: sent.template, result: 'sent' });
    return sent;
  } catch (err) {
    const refused = err instanceof ApplicationFailure && err.nonRetryable;
    emails.inc({ template, result: refused ? 'refused' : 'retrying' });
    throw err;
  }
}
