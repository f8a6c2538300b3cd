/**
 * `recordCaseEnd`: the end record of a case in an experiment into the store (domain/caseEndRecord.ts). Idempotent: the
 * store keeps the first record of a case, so a retried activity (a lost completion, a worker
 * restart) writes once.
 */
import type { CaseEndRecord, CaseEndStore } from '../domain/caseEndRecord';

export async function recordCaseEnd(store: CaseEndStore, record: CaseEndRecord): Promise<{ written: boolean }> {
  // Only a case in an experiment has an arm to compare: the others keep nothing, so a deployment
  // that runs no experiment writes nothing to DATA_DIR (docs/production.md).
  if (!record.experiment) return { written: false };
  return { written: await store.write(record) };
}
