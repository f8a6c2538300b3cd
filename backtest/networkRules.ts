/**
 * The card networks' rules file is the service's (src/networkRulesFile.ts, validated at worker
 * start, enforced by the live card ledger); the back-test counts violations against the same file.
 */
export {
  loadNetworkRules,
  parseNetworkRules,
  SHIPPED_NETWORK_RULES_PATH as DEFAULT_NETWORK_RULES_PATH,
  type NetworkRule,
  type NetworkRules,
  type RulesParseResult,
} from '../src/networkRulesFile';
