/**
 * The contract's custom search attributes. Defined once: the workflow upserts them, the API
 * filters on them, and the embedded dev server registers them from this list.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DunningCustomerId = defineSearchAttributeKey('DunningCustomerId', SearchAttributeType.KEYWORD);
export const DunningInvoiceId = defineSearchAttributeKey('DunningInvoiceId', SearchAttributeType.KEYWORD);
export const DunningState = defineSearchAttributeKey('DunningState', SearchAttributeType.KEYWORD);
export const DunningDeclineCategory = defineSearchAttributeKey('DunningDeclineCategory', SearchAttributeType.KEYWORD);
export const DunningAmountDue = defineSearchAttributeKey('DunningAmountDue', SearchAttributeType.INT);
export const DunningCurrency = defineSearchAttributeKey('DunningCurrency', SearchAttributeType.KEYWORD);
export const DunningNextActionAt = defineSearchAttributeKey('DunningNextActionAt', SearchAttributeType.DATETIME);
/** `stripe`, `resend` or empty: the provider an open case is waiting for (an outage, a refused key). */
export const DunningBlockedOn = defineSearchAttributeKey('DunningBlockedOn', SearchAttributeType.KEYWORD);
/**
 * How a recovered case was recovered (its outcome: `retry_succeeded`, `card_updated`,
 * `customer_retry`, `paid_stripe`, …); unset on every other case. The recovery dashboard groups by it.
 */
export const DunningRecoveredBy = defineSearchAttributeKey('DunningRecoveredBy', SearchAttributeType.KEYWORD);
/**
 * The policy experiment's arm a case runs in (`holdout`, or an arm of DUNNING_EXPERIMENT), and the
 * experiment's id: set when the case starts, unset outside any experiment. Visibility counts cases
 * per arm with them (docs/policy.md, "Experiments with a holdout").
 */
export const DunningArm = defineSearchAttributeKey('DunningArm', SearchAttributeType.KEYWORD);
export const DunningExperiment = defineSearchAttributeKey('DunningExperiment', SearchAttributeType.KEYWORD);

/** Name and CLI type of each attribute, as `temporal server start-dev --search-attribute` takes them. */
export const SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; cliType: 'Keyword' | 'Int' | 'Datetime' }> = [
  { name: DunningCustomerId.name, cliType: 'Keyword' },
  { name: DunningInvoiceId.name, cliType: 'Keyword' },
  { name: DunningState.name, cliType: 'Keyword' },
  { name: DunningDeclineCategory.name, cliType: 'Keyword' },
  { name: DunningAmountDue.name, cliType: 'Int' },
  { name: DunningCurrency.name, cliType: 'Keyword' },
  { name: DunningNextActionAt.name, cliType: 'Datetime' },
  { name: DunningBlockedOn.name, cliType: 'Keyword' },
  { name: DunningRecoveredBy.name, cliType: 'Keyword' },
  { name: DunningArm.name, cliType: 'Keyword' },
  { name: DunningExperiment.name, cliType: 'Keyword' },
];
