/**
 * Reading an experiment file (DUNNING_EXPERIMENT) at the edge, with zod: its id, its arms (each a
 * policy file and a weight), the holdout's weight (the holdout runs DUNNING_POLICY, the merchant's
 * baseline) and the statistical settings of its results. A bad file stops the process with one
 * line per problem naming the field, as a bad policy file does. Policy paths are relative to the
 * experiment file. docs/policy.md, "Experiments with a holdout", shows one.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import {
  ARM_NAME_PATTERN,
  DEFAULT_EXPERIMENT_SETTINGS,
  HOLDOUT_ARM,
  type ExperimentPlan,
  type ExperimentSettings,
} from '../domain/experiment';
import type { DunningPolicy } from '../domain/policy';
import { parsePolicy } from './policyFile';

/** An experiment in force: new cases are assigned to its arms (src/dunningClient.ts). */
export interface RunningExperiment {
  plan: ExperimentPlan;
  /** The policy of each arm but the holdout (which runs the baseline). */
  policies: Record<string, DunningPolicy>;
  settings: ExperimentSettings;
}

export type ExperimentParseResult = { ok: true; experiment: RunningExperiment } | { ok: false; errors: string[] };

const weight = z.number().positive('must be a positive number').finite('must be finite');

const experimentSchema = z
  .object({
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
        'must be 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit',
      ),
    holdout: z.object({ weight }).strict(),
    arms: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(ARM_NAME_PATTERN, 'must be 1 to 63 lowercase letters, digits, "_" or "-", starting with a letter or digit')
              .refine((n) => n !== HOLDOUT_ARM, `"${HOLDOUT_ARM}" is the baseline's arm: name this one otherwise`),
            policy: z.string().min(1, 'must name a policy file'),
            weight,
          })
          .strict(),
      )
      .min(1, 'must list at least one arm besides the holdout'),
    minimumEffect: z.number().gt(0, 'must be above 0').lt(1, 'must be below 1 (0.05 = 5 points)').optional(),
    alpha: z.number().gt(0, 'must be above 0').max(0.5, 'must be at most 0.5').optional(),
    power: z.number().min(0.5, 'must be at least 0.5').lt(1, 'must be below 1').optional(),
  })
  .strict();

const pathOf = (path: ReadonlyArray<string | number>): string =>
  path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p), '') || 'experiment';

/** Validates an experiment; `readPolicy` reads an arm's policy file (relative paths already resolved). */
export function parseExperiment(input: unknown, readPolicy: (path: string) => unknown, baseDir: string): ExperimentParseResult {
  const parsed = experimentSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.flatMap((i) =>
        i.code === z.ZodIssueCode.unrecognized_keys
          ? i.keys.map((k) => `${pathOf([...i.path, k])}: unknown key`)
          : [`${pathOf(i.path)}: ${i.message}`],
      ),
    };
  }
  const d = parsed.data;
  const errors: string[] = [];
  const policies: Record<string, DunningPolicy> = {};
  const names = new Set<string>();
  d.arms.forEach((arm, i) => {
    if (names.has(arm.name)) errors.push(`arms[${i}].name: "${arm.name}" is named twice`);
    names.add(arm.name);
    const file = resolve(baseDir, arm.policy);
    let raw: unknown;
    try {
      raw = readPolicy(file);
    } catch (err) {
      errors.push(`arms[${i}].policy: cannot read ${file} as JSON (${(err as Error).message})`);
      return;
    }
    const policy = parsePolicy(raw);
    if (policy.ok) policies[arm.name] = policy.policy;
    else errors.push(...policy.errors.map((m) => `arms[${i}].policy ${arm.policy}: ${m}`));
  });
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    experiment: {
      plan: {
        id: d.id,
        arms: [{ name: HOLDOUT_ARM, weight: d.holdout.weight }, ...d.arms.map((a) => ({ name: a.name, weight: a.weight }))],
      },
      policies,
      settings: {
        minimumEffect: d.minimumEffect ?? DEFAULT_EXPERIMENT_SETTINGS.minimumEffect,
        alpha: d.alpha ?? DEFAULT_EXPERIMENT_SETTINGS.alpha,
        power: d.power ?? DEFAULT_EXPERIMENT_SETTINGS.power,
      },
    },
  };
}

/** Reads and validates the file; errors are prefixed by the caller (`DUNNING_EXPERIMENT <path>: …`). */
export function readExperimentFile(path: string): ExperimentParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, errors: [`cannot read it as JSON (${(err as Error).message})`] };
  }
  return parseExperiment(raw, (file) => JSON.parse(readFileSync(file, 'utf8')), dirname(resolve(path)));
}
