/**
 * The case's events to the SaaS app. Each is delivered by a workflow of its own
 * (appEventDelivery.ts), started by a short activity: the case waits only for the start, never
 * for the app.
 */
import { log } from '@temporalio/workflow';
import { appEventSummary } from '../domain/caseNarrative';
import type { AppEventInput } from '../domain/providerTypes';
import { recoveryStep } from '../domain/recoveryStep';
import { appEventStarts } from './caseActivities';
import type { CaseContext } from './caseContext';

export interface CaseAppEvents {
  emit(type: AppEventInput['type'], data?: Record<string, unknown>): void;
  /** Every delivery started (the case ends only after its events are handed over). */
  started(): Promise<void>;
}

export function caseAppEvents({ record, keyPrefix }: CaseContext): CaseAppEvents {
  const pending: Promise<unknown>[] = [];
  return {
    emit(type, data = {}) {
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
      const started = appEventStarts.startAppEventDelivery
        .executeWithOptions({ summary: appEventSummary(type) }, [event])
        .catch((err) => log.warn('app event not started', { type, error: String(err) }));
      pending.push(started);
    },
    async started() {
      await Promise.all(pending);
    },
  };
}
