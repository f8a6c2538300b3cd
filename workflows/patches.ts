/**
 * Behaviour changes that running cases must not see mid-flight (their histories recorded the old
 * behaviour; replaying them with the new one would fail with a nondeterminism error). Each becomes
 * deprecatePatch() once no case started before it is running (a case lasts endAfter, 14 days by
 * default), and is removed after that. test/workflows/replay.test.ts replays the older histories.
 */
export const KEEP_OWED_STEPS_PATCH = 'replan-keeps-owed-steps';
export const SAME_CARD_UPDATE_ONCE_PATCH = 'same-card-update-once';
export const RETRY_MIN_GAP_PATCH = 'retry-min-gap-12h';
export const REFETCH_DECLINE_ON_JOIN_PATCH = 'refetch-decline-on-join';
/** A provider's answer never fails the case: it waits out outages, records refusals, goes on. */
export const FAILURE_MODEL_PATCH = 'provider-answers-never-fail-case';
/** Events to the app are delivered by workflows of their own, never holding the case open. */
export const DETACHED_APP_EVENTS_PATCH = 'app-events-detached';
/** Failures signaled while the facts were loading are acted upon, not dropped. */
export const KEEP_FAILURES_DURING_LOAD_PATCH = 'keep-failures-during-load';
/** A card that declined in this case is not charged again because it was reported again. */
export const DECLINED_CARD_ONCE_PATCH = 'declined-card-once';
/** The card ledger: Visa's 20 reattempts per 30 days per counter (customer, merchant) since 19 May 2025. */
export const VISA_2025_LIMIT_PATCH = 'visa-20-per-initiator';
/** Several cards reported before the case acts: each is considered in turn, not only the last. */
export const EVERY_REPORTED_CARD_PATCH = 'every-reported-card';
/** The end action stays planned even when the case plans after its end (facts that came late). */
export const END_ACTION_ALWAYS_PLANNED_PATCH = 'end-action-always-planned';
/** The card added before the case started is queued beside cards already reported, not dropped. */
export const CARD_ADDED_BEFORE_START_QUEUED_PATCH = 'card-added-before-start-queued';
/** A subscription deleted before the case learned its facts ends the case. */
export const SUBSCRIPTION_ENDED_PATCH = 'subscription-ended-at-start';
/**
 * Stripe is asked, just before the end action, whether the invoice or subscription has settled: a
 * late or lost webhook must never get a paid customer's subscription cancelled.
 */
export const STRIPE_CHECKED_BEFORE_END_PATCH = 'stripe-checked-before-end-action';
