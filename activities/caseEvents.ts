/**
 * Case-level business metrics, counted from the case's own events to the app (dunning.started,
 * .recovered, .exhausted, .cancelled) when their delivery workflow is started. Each event's
 * delivery workflow ID is unique per case and event, so a retried activity finds it started and
 * counts nothing: each case is counted once, by an activity, never by workflow code that replays.
 * A case that ends before it starts dunning (an invoice Stripe does not know, paid before the
 * first step) sends none of these and is in none of the counters.
 */
import type { AppEventInput } from '../domain/providerTypes';
import type { RecoveryStep } from '../domain/recoveryStep';
import { amountRecovered, casesCancelled, casesExhausted, casesOpened, casesRecovered, casesSavedByOffer } from './metrics';

export function countCaseEvent(event: AppEventInput): void {
  const d = event.data;
  const labels = { currency: String(d.currency ?? 'unknown'), decline_category: String(d.declineCategory ?? 'unknown') };
  switch (event.type) {
    case 'dunning.started':
      casesOpened.inc(labels);
      break;
    case 'dunning.recovered': {
      // Cases that recovered before the workflow said how (older runs): counted, as `other`.
      const r = (d.recovery as RecoveryStep | undefined) ?? { how: 'other', step: 'unknown' };
      const byHow = { ...labels, how: r.how, step: r.step };
      casesRecovered.inc(byHow);
      if (typeof d.amountDue === 'number') amountRecovered.inc(byHow, d.amountDue);
      break;
    }
    case 'dunning.exhausted':
      casesExhausted.inc(labels);
      break;
    case 'dunning.cancelled':
      casesCancelled.inc(labels);
      break;
    case 'dunning.saved_by_offer':
      casesSavedByOffer.inc({ ...labels, offer: String(d.offer ?? 'unknown') });
      break;
  }
}
