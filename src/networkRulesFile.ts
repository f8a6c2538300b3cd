/**
 * Reading the card networks' rules file (NETWORK_RULES_FILE, default policies/network-rules.json)
 * at the edge: its shape with zod, one message per problem naming the rule and field, as a policy
 * file is read (src/policyFile.ts). The worker reads it at start and its charge activity sends the
 * rules that bind each card to the card's ledger (domain/networkRules.ts); the back-test counts
 * violations against the same file. Zod stays out of the workflow bundle.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CARD_NETWORKS, type CardNetwork, type NetworkRules } from '../domain/networkRules';

export type { NetworkRule, NetworkRules } from '../domain/networkRules';

/** NETWORK_RULES_FILE's default, relative to the working directory (the repository, /app in the image). */
export const DEFAULT_NETWORK_RULES_FILE = 'policies/network-rules.json';
/** The file as shipped, wherever the caller runs from (tests, the back-test). */
export const SHIPPED_NETWORK_RULES_PATH = join(__dirname, '..', 'policies', 'network-rules.json');

const base = {
  id: z.string().regex(/^[a-z0-9_]+$/, 'must be snake_case'),
  network: z.enum(CARD_NETWORKS as [CardNetwork, ...CardNetwork[]]),
  feeCents: z.number().int('must be whole cents').nonnegative('must not be negative'),
  since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD'),
  summary: z.string().min(1, 'must not be empty'),
  sources: z.array(z.string().min(1, 'must not be empty')).min(1, 'every rule names its source'),
};
const windowHours = z.number().positive('must be more than 0 hours');
const max = z.number().int('must be a whole number').positive('must be at least 1');
/** The ledger is one per card: a limit that is not counted per card cannot be kept by it. */
const perCard = <T extends string>(keys: readonly [T, ...T[]]) =>
  z
    .array(z.enum(keys))
    .min(1)
    .refine((per) => per.includes('card' as T), { message: "must include 'card' (the ledger counts per card)" });

const ruleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...base,
      kind: z.literal('never_after_decline'),
      networkDeclineCodes: z.array(z.string().min(1)).optional(),
      networkAdviceCodes: z.array(z.string().regex(/^\d{1,2}$/, 'must be a one- or two-digit code')).optional(),
      /** Unset: never again. */
      windowHours: windowHours.optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('reattempt_limit'),
      max,
      windowHours,
      countedPer: perCard(['card', 'amount', 'currency', 'initiator']),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('wait_after_advice'),
      waitHoursByAdviceCode: z.record(z.string().regex(/^\d{1,2}$/, 'must be a one- or two-digit code'), windowHours),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('decline_limit'),
      max,
      windowHours,
      countedPer: perCard(['card', 'amount', 'currency']),
    })
    .strict(),
]);

const fileSchema: z.ZodType<NetworkRules, z.ZodTypeDef, unknown> = z
  .object({
    version: z.literal(1, { errorMap: () => ({ message: 'must be 1' }) }),
    checkedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD'),
    note: z.string().optional(),
    rules: z.array(ruleSchema).min(1, 'must list at least one rule'),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['rules', i, 'id'], message: `'${r.id}' twice` });
      seen.add(r.id);
      if (r.kind === 'never_after_decline' && !r.networkDeclineCodes?.length && !r.networkAdviceCodes?.length) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['rules', i], message: 'names no decline or advice code' });
      }
    });
  });

export type RulesParseResult = { ok: true; rules: NetworkRules } | { ok: false; errors: string[] };

/** `rules.1.max (visa_reattempts_20_in_30_days): must be at least 1`. */
function describeIssue(issue: z.ZodIssue, input: unknown): string {
  const path = issue.path.join('.') || 'rules file';
  const [top, index] = issue.path;
  const id =
    top === 'rules' && typeof index === 'number'
      ? (input as { rules?: Array<{ id?: unknown }> } | undefined)?.rules?.[index]?.id
      : undefined;
  return `${path}${typeof id === 'string' ? ` (${id})` : ''}: ${issue.message}`;
}

export function parseNetworkRules(input: unknown): RulesParseResult {
  const r = fileSchema.safeParse(input);
  if (r.success) return { ok: true, rules: r.data };
  return { ok: false, errors: r.error.issues.map((i) => describeIssue(i, input)) };
}

/** Reads and checks a rules file: every problem as one line, or the rules. */
export function readNetworkRules(path: string): RulesParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, errors: [`cannot read as JSON (${(err as Error).message})`] };
  }
  return parseNetworkRules(raw);
}

/** Reads and checks the rules file; throws with every problem named. */
export function loadNetworkRules(path: string = SHIPPED_NETWORK_RULES_PATH): NetworkRules {
  const parsed = readNetworkRules(path);
  if (!parsed.ok) throw new Error(`${path}:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.rules;
}
