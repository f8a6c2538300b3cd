/**
 * How a case ends: recovered (with the confirmation email and the app's events), cancelled, or
 * exhausted, and what every end does (pending requests answered, the last publish, the events
 * handed over).
 */
import { allHandlersFinished, condition } from '@temporalio/workflow';
import type { FinalState } from '../domain/caseRecord';
import type { CancelDunningSignal } from '../domain/types';
import type { CaseAppEvents } from './caseAppEvents';
import type { CaseContext } from './caseContext';
import type { CaseEmails } from './caseEmails';
import { writeEndRecord } from './caseEndRecord';

export interface DunningResult {
  state: FinalState;
  outcome: string;
}

export interface CaseEnding {
  finish(state: FinalState, outcome: string): Promise<DunningResult>;
  /** Paid: the customer is told, the app hears it (and that access is back, if it was restricted). */
  recovered(how: string): Promise<DunningResult>;
  cancelled(why: CancelDunningSignal): Promise<DunningResult>;
}

export function caseEnding(ctx: CaseContext, events: CaseAppEvents, emails: CaseEmails): CaseEnding {
  const { record, inbox } = ctx;
  const finish: CaseEnding['finish'] = async (state, outcome) => {
    record.end(state, outcome, Date.now());
    // A customer's retry accepted just before the end: answered, or the case would wait on it forever.
    inbox.settleRetries({ outcome: 'not_possible', reason: 'case_over' });
    inbox.settleLinks({ outcome: 'not_possible', reason: 'case_over' });
    inbox.settleOffers({ outcome: 'not_possible', reason: 'case_over' });
    ctx.blocked.set(undefined);
    ctx.publish();
    await writeEndRecord(ctx);
    await events.started();
    await condition(allHandlersFinished);
    return { state, outcome };
  };
  return {
    finish,
    async recovered(how) {
      await emails.send('email:payment_recovered', 'payment_recovered', { ending: true });
      events.emit('dunning.recovered', { how });
      if (record.accessRestricted) events.emit('access.restored');
      return finish('recovered', how);
    },
    async cancelled(why) {
      events.emit('dunning.cancelled', { reason: why.reason, by: why.by });
      return finish('cancelled', why.reason);
    },
  };
}
