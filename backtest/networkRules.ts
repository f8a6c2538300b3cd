/**
 * The card networks' retry rules as data (policies/network-rules.json), checked with zod when read:
 * a rule with a wrong shape stops the back-test with one line per problem, as a policy file does.
 * The types are what backtest/violations.ts counts against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const base = {
  id: z.string().regex(/^[a-z0-9_]+$/, 'must be snake_case'),
  network: z.enum(['visa', 'mastercard']),
  feeCents: z.number().int().nonnegative(),
  since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD'),
  summary: z.string().min(1),
  sources: z.array(z.string().min(1)).min(1, 'every rule names its source'),
};

const ruleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...base,
      kind: z.literal('never_after_decline'),
      networkDeclineCodes: z.array(z.string()).optional(),
      networkAdviceCodes: z.array(z.string()).optional(),
      /** Unset: never again. */
      windowHours: z.number().positive().optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('reattempt_limit'),
      max: z.number().int().positive(),
      windowHours: z.number().positive(),
      countedPer: z.array(z.enum(['card', 'amount', 'currency', 'initiator'])).min(1),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('wait_after_advice'),
      waitHoursByAdviceCode: z.record(z.string(), z.number().positive()),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal('decline_limit'),
      max: z.number().int().positive(),
      windowHours: z.number().positive(),
      countedPer: z.array(z.enum(['card', 'amount', 'currency'])).min(1),
    })
    .strict(),
]);

const fileSchema = z
  .object({
    version: z.literal(1),
    checkedOn: z.string(),
    note: z.string().optional(),
    rules: z.array(ruleSchema).min(1),
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

export type NetworkRules = z.infer<typeof fileSchema>;
export type NetworkRule = NetworkRules['rules'][number];

export const DEFAULT_NETWORK_RULES_PATH = join(__dirname, '..', 'policies', 'network-rules.json');

export type RulesParseResult = { ok: true; rules: NetworkRules } | { ok: false; errors: string[] };

export function parseNetworkRules(input: unknown): RulesParseResult {
  const r = fileSchema.safeParse(input);
  if (r.success) return { ok: true, rules: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.') || 'rules'}: ${i.message}`) };
}

/** Reads and checks the rules file; throws with every problem named. */
export function loadNetworkRules(path: string = DEFAULT_NETWORK_RULES_PATH): NetworkRules {
  const parsed = parseNetworkRules(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.ok) throw new Error(`${path}:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.rules;
}
