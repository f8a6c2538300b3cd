/**
 * Stripe subscription statuses after which nothing is owed through dunning any more: the
 * subscription was deleted (`canceled`) or never started (`incomplete_expired`).
 */
const ENDED_SUBSCRIPTION_STATUSES: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);

export const isEndedSubscription = (status: string): boolean => ENDED_SUBSCRIPTION_STATUSES.has(status);
