/**
 * A case as a visibility list shows it: the search attributes every list of cases reads (the
 * API's and the CLI's list, the dashboard), read in one place. A row whose memo could not be
 * decrypted still has them (src/temporal/visibilityRows.ts).
 */
import {
  DunningAmountDue,
  DunningCurrency,
  DunningCustomerId,
  DunningDeclineCategory,
  DunningInvoiceId,
  DunningNextActionAt,
  DunningState,
} from '../domain/searchAttributes';
import type { VisibilityRow } from './temporal/visibilityRows';

export interface VisibleCase {
  workflowId: string;
  invoiceId?: string;
  customerId?: string;
  /** `DunningState`: one of CASE_STATES (domain/types.ts); missing for a case not yet published. */
  state?: string;
  declineCategory?: string;
  /** Minor units of `currency`. */
  amountDue?: number;
  currency?: string;
  /** ISO time of the next step, open cases only. */
  nextActionAt?: string;
  startedAt: string;
  /** When the run closed; undefined while it runs. */
  closedAt?: string;
  /** Its memo is under an encryption key no longer configured: search attributes only. */
  undecryptable?: true;
}

export function visibleCase(wf: VisibilityRow): VisibleCase {
  const sa = wf.typedSearchAttributes;
  return {
    workflowId: wf.workflowId,
    invoiceId: sa.get(DunningInvoiceId),
    customerId: sa.get(DunningCustomerId),
    state: sa.get(DunningState),
    declineCategory: sa.get(DunningDeclineCategory),
    amountDue: sa.get(DunningAmountDue),
    currency: sa.get(DunningCurrency),
    nextActionAt: sa.get(DunningNextActionAt)?.toISOString(),
    startedAt: wf.startTime.toISOString(),
    closedAt: wf.closeTime?.toISOString(),
    ...(wf.undecryptable ? { undecryptable: true as const } : {}),
  };
}
