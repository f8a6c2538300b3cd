/**
 * The record a case writes when it ends (workflows/caseEndRecord.ts, through the activity
 * `recordCaseEnd`): what experiment results need and Temporal visibility cannot give. Visibility
 * counts cases per arm, but cannot sum amounts, charges or emails, and a closed case leaves it
 * after the namespace's retention; these records stay. One per case (its workflow id), written
 * once however often the activity is retried. Pure: built from the case's record.
 */
import type { CaseRecord, FinalState } from './caseRecord';
import type { ExperimentArm, ExperimentSettings } from './experiment';
import type { AttemptOutcome } from './types';

export interface CaseEndRecord {
  /** The case's workflow id (`dunning-<invoiceId>`): the key that makes the write idempotent. */
  caseId: string;
  invoiceId: string;
  customerId: string;
  /** Absent for a case outside any experiment. */
  experiment?: ExperimentArm;
  state: FinalState;
  outcome: string;
  amountDue: number;
  currency: string;
  /** The amount the case recovered (its amount due when recovered, else 0), minor units. */
  recoveredAmount: number;
  /** Charges made (Stripe answered a payment attempt): skipped attempts and refused requests are not charges. */
  charges: number;
  /** Emails sent (those the provider refused for good are not counted). */
  emails: number;
  startedAt: string;
  endedAt: string;
  /** From the first failure to the recovery, in days (fractional); absent unless recovered. */
  daysToRecovery?: number;
}

/** Attempts that reached the card: what the networks count and the processor bills. */
const CHARGED: ReadonlySet<AttemptOutcome> = new Set(['succeeded', 'declined', 'requires_action', 'processing']);

const DAY_MS = 86_400_000;

/** The end record of an ended case; undefined while it is still open. */
export function caseEndRecordOf(record: CaseRecord, caseId: string): CaseEndRecord | undefined {
  const { state, outcome, endedAt } = record;
  if (state === 'active' || state === 'processing' || outcome === undefined || endedAt === undefined) return undefined;
  const recovered = state === 'recovered';
  return {
    caseId,
    invoiceId: record.invoiceId,
    customerId: record.customerId,
    ...(record.experiment ? { experiment: { ...record.experiment } } : {}),
    state,
    outcome,
    amountDue: record.amountDue,
    currency: record.currency,
    recoveredAmount: recovered ? record.amountDue : 0,
    charges: record.attempts.filter((a) => CHARGED.has(a.outcome)).length,
    emails: record.emails.filter((e) => !e.error).length,
    startedAt: new Date(record.startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    ...(recovered ? { daysToRecovery: (endedAt - record.startedAt) / DAY_MS } : {}),
  };
}

/**
 * Where end records are kept: an embedded SQLite file under DATA_DIR by default
 * (src/experiments/caseEndStores.ts), PostgreSQL with CASE_END_DATABASE_URL
 * (src/experiments/postgresCaseEndStore.ts). `write` is idempotent: a record whose case is already
 * stored is not written again (false).
 */
export interface CaseEndStore {
  write(record: CaseEndRecord): Promise<boolean>;
  /** Every stored record of one experiment. */
  ofExperiment(experimentId: string): Promise<CaseEndRecord[]>;
  /** The ids of the experiments that have records, oldest first. */
  experimentIds(): Promise<string[]>;
  /** Keeps an experiment's statistical settings (at each start), so its results read by them once it is stopped. */
  saveExperiment(id: string, settings: ExperimentSettings): Promise<void>;
  experimentSettings(id: string): Promise<ExperimentSettings | undefined>;
  close(): Promise<void>;
}

/** The activity's summary in the Web UI: `record the end: recovered (card_updated), experiment x arm y`. */
export function endRecordSummary(r: CaseEndRecord): string {
  const arm = r.experiment ? `, experiment ${r.experiment.experimentId} arm ${r.experiment.arm}` : '';
  return `record the end: ${r.state} (${r.outcome})${arm}`;
}
