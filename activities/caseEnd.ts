/**
 * `recordCaseEnd`: a case's end record into the store (domain/caseEndRecord.ts). Idempotent: the
 * store keeps the first record of a case, so a retried activity (a lost completion, a worker
 * restart) writes once.
 */
import type { CaseEndRecord, CaseEndStore } from '../domain/caseEndRecord';

export async function recordCaseEnd(store: CaseEndStore, record: CaseEndRecord): Promise<{ written: boolean }> {
  return { written: await store.write(record) };
}
