/**
 * The card networks' retry rules as data (policies/network-rules.json, read and checked at the edge
 * by src/networkRulesFile.ts), and what the card ledger takes from them. Pure and deterministic:
 * workflow code imports it, and only ever sees rules that reached it through recorded history
 * (a reservation's arguments), so that editing the file changes decisions made after the edit and
 * never a replayed one.
 */

export type CardNetwork = 'visa' | 'mastercard';
export const CARD_NETWORKS: readonly CardNetwork[] = ['visa', 'mastercard'];
/** What a limit counts apart. `card`: the ledger is per card (and per merchant: one deployment). */
export type CountingKey = 'card' | 'amount' | 'currency' | 'initiator';

interface RuleBase {
  /** snake_case, unique in the file: names the rule in refusals, blocks and the back-test. */
  id: string;
  network: CardNetwork;
  /** The network's fee for each attempt that breaks the rule, in US cents. */
  feeCents: number;
  /** YYYY-MM-DD: when the rule took effect. */
  since: string;
  summary: string;
  /** Where the rule was read: every rule names at least one. */
  sources: string[];
}

/** An issuer's answer after which the card may not be tried again (within `windowHours`, or ever). */
export interface NeverAfterDeclineRule extends RuleBase {
  kind: 'never_after_decline';
  networkDeclineCodes?: string[];
  networkAdviceCodes?: string[];
  /** Unset: never again. */
  windowHours?: number;
}

/** At most `max` reattempts in `windowHours`, counted apart per `countedPer`. */
export interface ReattemptLimitRule extends RuleBase {
  kind: 'reattempt_limit';
  max: number;
  windowHours: number;
  countedPer: CountingKey[];
}

/** An advice code names the wait before the next attempt. */
export interface WaitAfterAdviceRule extends RuleBase {
  kind: 'wait_after_advice';
  waitHoursByAdviceCode: Record<string, number>;
}

/** At most `max` declines in `windowHours`, counted apart per `countedPer`. */
export interface DeclineLimitRule extends RuleBase {
  kind: 'decline_limit';
  max: number;
  windowHours: number;
  countedPer: Array<Exclude<CountingKey, 'initiator'>>;
}

export type NetworkRule = NeverAfterDeclineRule | ReattemptLimitRule | WaitAfterAdviceRule | DeclineLimitRule;

export interface NetworkRules {
  version: 1;
  /** YYYY-MM-DD: when the rules were last checked against their sources. */
  checkedOn: string;
  note?: string;
  rules: NetworkRule[];
}

/**
 * One limit as the card ledger applies it. The charge activity computes these from the worker's
 * loaded rules and sends them with each reservation, so they are part of the ledger's recorded
 * history: a ledger replays with the limits it decided under, whatever the file says today.
 */
export interface AttemptLimit {
  /** The rule's id, named when the limit refuses an attempt. */
  rule: string;
  max: number;
  windowMs: number;
  /** Counted apart by these (besides the card, which is the ledger's own key). */
  per: Array<Exclude<CountingKey, 'card'>>;
  /**
   * Places in this counter taken by an attempt the ledger never sees: a limit on declines counts
   * the renewal charge's own decline, the one that opened the case (Stripe's attempt, not ours).
   * Absent (reattempt limits; requests recorded before it was sent): none.
   */
  outsideLedger?: number;
}

const HOUR_MS = 3_600_000;

/** A Stripe card brand (`visa`, `mastercard`, `amex`, …) as one of the networks the file has rules for. */
export function networkOfBrand(brand: string | undefined): CardNetwork | undefined {
  const b = brand?.trim().toLowerCase();
  return CARD_NETWORKS.find((n) => n === b);
}

/**
 * The rules that bind a card of this brand. A card whose brand is unknown, or one of a network the
 * file has no rules for, gets every network's rules: we cannot tell which network's limits bind it,
 * and the strictest reading costs a few retries where a wrong guess costs fees.
 */
export function rulesForBrand(rules: NetworkRules, brand: string | undefined): NetworkRule[] {
  const network = networkOfBrand(brand);
  const own = network ? rules.rules.filter((r) => r.network === network) : [];
  return own.length > 0 ? own : rules.rules;
}

/**
 * The attempt limits of a card of this brand. Visa's limit counts reattempts; Mastercard's count
 * declines, which the ledger cannot know before the charge: every attempt it grants is counted as
 * a potential decline, the conservative reading (an approved attempt ends the case anyway).
 */
export function attemptLimitsFor(rules: NetworkRules, brand: string | undefined): AttemptLimit[] {
  const limits: AttemptLimit[] = [];
  for (const r of rulesForBrand(rules, brand)) {
    if (r.kind !== 'reattempt_limit' && r.kind !== 'decline_limit') continue;
    const per = (r.countedPer as CountingKey[]).filter((k): k is Exclude<CountingKey, 'card'> => k !== 'card');
    const limit: AttemptLimit = { rule: r.id, max: r.max, windowMs: r.windowHours * HOUR_MS, per };
    // Mastercard counts every decline of the card, the renewal's included: one place is gone before
    // the first reattempt. (It stays taken after that decline leaves a 24-hour window: one place
    // too few then, never one too many.)
    if (r.kind === 'decline_limit') limit.outsideLedger = 1;
    limits.push(limit);
  }
  return limits;
}

/** The network codes of a decline, as Stripe reports them. */
export interface NetworkDeclineCodes {
  networkDeclineCode?: string;
  networkAdviceCode?: string;
}

/**
 * The rule, if any, that forbids retrying a card of this brand after this decline (Visa category 1,
 * Mastercard MAC 03/21). Advice codes are compared as two digits (Stripe may send `3` for `03`).
 */
export function neverRetryRuleFor(
  rules: NetworkRules,
  brand: string | undefined,
  decline: NetworkDeclineCodes,
): NeverAfterDeclineRule | undefined {
  const code = decline.networkDeclineCode?.trim().toUpperCase();
  const advice = decline.networkAdviceCode?.trim().padStart(2, '0');
  return rulesForBrand(rules, brand).find(
    (r): r is NeverAfterDeclineRule =>
      r.kind === 'never_after_decline' &&
      ((code !== undefined && code !== '' && (r.networkDeclineCodes ?? []).some((c) => c.toUpperCase() === code)) ||
        (advice !== undefined && advice !== '00' && (r.networkAdviceCodes ?? []).some((c) => c.padStart(2, '0') === advice))),
  );
}

/**
 * The wait an issuer named for this card (Mastercard MAC 24-30) under the rules file, if any: the
 * ledger holds every case off the card for that long.
 */
export function waitAfterDecline(
  rules: NetworkRules,
  brand: string | undefined,
  decline: NetworkDeclineCodes,
): { rule: string; ms: number } | undefined {
  const advice = decline.networkAdviceCode?.trim().padStart(2, '0');
  if (advice === undefined || advice === '00') return undefined;
  for (const r of rulesForBrand(rules, brand)) {
    if (r.kind !== 'wait_after_advice') continue;
    const key = Object.keys(r.waitHoursByAdviceCode).find((c) => c.padStart(2, '0') === advice);
    if (key !== undefined) return { rule: r.id, ms: r.waitHoursByAdviceCode[key]! * HOUR_MS };
  }
  return undefined;
}

/** How long a never-retry rule keeps the card blocked; undefined when the rule says "never". */
export const blockWindowMs = (rule: NeverAfterDeclineRule): number | undefined =>
  rule.windowHours === undefined ? undefined : rule.windowHours * HOUR_MS;

const PER_KEYS: ReadonlyArray<AttemptLimit['per'][number]> = ['amount', 'currency', 'initiator'];

/**
 * What is wrong with a reservation's limits, if anything: the ledger's Update validator refuses a
 * malformed request before it enters the history (our activity sends well-formed ones; this
 * guards against a hand-made Update).
 */
export function attemptLimitsProblem(limits: unknown): string | undefined {
  if (limits === undefined) return undefined;
  if (!Array.isArray(limits)) return 'limits must be an array';
  for (const [i, l] of (limits as unknown[]).entries()) {
    const x = l as Partial<Record<keyof AttemptLimit, unknown>> | null;
    if (typeof x !== 'object' || x === null) return `limits[${i}] must be an object`;
    if (typeof x.rule !== 'string' || x.rule === '') return `limits[${i}].rule must name a rule`;
    if (typeof x.max !== 'number' || !Number.isInteger(x.max) || x.max < 0) return `limits[${i}].max must be a whole number`;
    if (typeof x.windowMs !== 'number' || !Number.isFinite(x.windowMs) || x.windowMs <= 0)
      return `limits[${i}].windowMs must be a positive number`;
    if (!Array.isArray(x.per) || !x.per.every((k) => PER_KEYS.includes(k as AttemptLimit['per'][number])))
      return `limits[${i}].per must list only ${PER_KEYS.join(', ')}`;
    if (
      x.outsideLedger !== undefined &&
      (typeof x.outsideLedger !== 'number' || !Number.isInteger(x.outsideLedger) || x.outsideLedger < 0)
    )
      return `limits[${i}].outsideLedger must be a whole number`;
  }
  return undefined;
}
