/**
 * The last thing a case does: it writes its end record (domain/caseEndRecord.ts) through the
 * activity `recordCaseEnd`, so experiment results can sum amounts, charges and emails after
 * visibility has forgotten the case. Behind a dated patch: cases that ended before it was
 * deployed replay without it. A store that stays down is waited out for about two hours, then the
 * case ends anyway (the record is missing from the results, and the log says so): a case never
 * fails for its bookkeeping.
 */
import { log, patched } from '@temporalio/workflow';
import { caseEndRecordOf, endRecordSummary } from '../domain/caseEndRecord';
import { endRecords } from './caseActivities';
import type { CaseContext } from './caseContext';
import { datedPatch } from './patchDates';

export async function writeEndRecord(ctx: CaseContext): Promise<void> {
  if (!patched(datedPatch('case-end-record'))) return;
  const record = caseEndRecordOf(ctx.record, ctx.keyPrefix);
  if (!record) return;
  try {
    await endRecords.recordCaseEnd.executeWithOptions({ summary: endRecordSummary(record) }, [record]);
  } catch (err) {
    log.warn('case end record not written: the experiment results will miss this case', { error: String(err) });
  }
}
