/**
 * Counts network-rule violations in the charges a back-test made: every transaction that reached
 * the network (the renewal's first decline included, the ledger's refusals not), per card, against
 * the rules file. Pure: the simulator records the transactions, this only counts.
 */
import type { NetworkRule, NetworkRules } from './networkRules';

export interface NetworkTransaction {
  /** The card (fingerprint). */
  card: string;
  brand: string;
  amount: number;
  currency: string;
  at: number;
  initiator: 'merchant' | 'customer';
  /** The renewal charge that failed and opened the case: a decline, not a reattempt. */
  initial: boolean;
  approved: boolean;
  networkDeclineCode?: string;
  networkAdviceCode?: string;
}

export interface RuleCount {
  id: string;
  violations: number;
  feeCents: number;
}

const HOUR = 3_600_000;

const keyOf = (t: NetworkTransaction, per: readonly string[]) =>
  per.map((p) => (p === 'card' ? t.card : p === 'amount' ? t.amount : p === 'currency' ? t.currency : t.initiator)).join('|');

function countRule(rule: NetworkRule, txs: NetworkTransaction[]): number {
  const mine = txs.filter((t) => t.brand === rule.network).sort((a, b) => a.at - b.at);
  let n = 0;
  switch (rule.kind) {
    case 'never_after_decline': {
      const matches = (t: NetworkTransaction) =>
        !t.approved &&
        ((t.networkDeclineCode !== undefined && (rule.networkDeclineCodes ?? []).includes(t.networkDeclineCode)) ||
          (t.networkAdviceCode !== undefined && (rule.networkAdviceCodes ?? []).includes(t.networkAdviceCode)));
      mine.forEach((t, i) => {
        if (t.initial) return;
        const window = rule.windowHours === undefined ? Infinity : rule.windowHours * HOUR;
        if (mine.slice(0, i).some((d) => d.card === t.card && matches(d) && t.at - d.at < window)) n++;
      });
      return n;
    }
    case 'reattempt_limit': {
      const byKey = new Map<string, number[]>();
      for (const t of mine) {
        if (t.initial) continue;
        const k = keyOf(t, rule.countedPer);
        const times = byKey.get(k) ?? [];
        times.push(t.at);
        byKey.set(k, times);
        if (times.filter((x) => t.at - x < rule.windowHours * HOUR).length > rule.max) n++;
      }
      return n;
    }
    case 'wait_after_advice': {
      mine.forEach((t, i) => {
        if (t.initial) return;
        const prev = mine
          .slice(0, i)
          .filter((d) => d.card === t.card && !d.approved)
          .pop();
        const wait = prev?.networkAdviceCode ? rule.waitHoursByAdviceCode[prev.networkAdviceCode] : undefined;
        if (prev && wait !== undefined && t.at - prev.at < wait * HOUR) n++;
      });
      return n;
    }
    case 'decline_limit': {
      const byKey = new Map<string, number[]>();
      for (const t of mine) {
        if (t.approved) continue;
        const k = keyOf(t, rule.countedPer);
        const times = byKey.get(k) ?? [];
        times.push(t.at);
        byKey.set(k, times);
        if (times.filter((x) => t.at - x < rule.windowHours * HOUR).length > rule.max) n++;
      }
      return n;
    }
  }
}

export function countViolations(rules: NetworkRules, txs: NetworkTransaction[]): RuleCount[] {
  return rules.rules.map((rule) => {
    const violations = countRule(rule, txs);
    return { id: rule.id, violations, feeCents: violations * rule.feeCents };
  });
}
