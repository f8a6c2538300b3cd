/**
 * The case's text messages (policy `sms` steps, domain/sms.ts): the step's text is sent, or
 * recorded as not sent and why (no consent, opted out, the cap, Twilio's refusal). A text never
 * stops or fails the case: it is one more nudge beside the emails.
 */
import { ActivityFailure } from '@temporalio/workflow';
import type { PlannedStep } from '../domain/schedule';
import { sms } from './caseActivities';
import type { CaseContext } from './caseContext';

export interface CaseSms {
  /** An sms step is due. */
  send(step: PlannedStep): Promise<void>;
}

export function caseSms(ctx: CaseContext): CaseSms {
  const { record, keyPrefix } = ctx;
  return {
    async send(step) {
      const at = Date.now();
      const input = record.smsInput(step, `${keyPrefix}/${step.key}`, at);
      if (!input) return;
      try {
        const result = await sms.sendDunningSms.executeWithOptions({ summary: `SMS: ${input.template.replace(/_/g, ' ')}` }, [
          input,
        ]);
        record.recordSms(at, input.template, result);
      } catch (err) {
        const cause = err instanceof ActivityFailure ? err.cause : err;
        record.recordSms(at, input.template, { error: cause instanceof Error ? cause.message : String(cause) });
      }
    },
  };
}
