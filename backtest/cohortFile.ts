/**
 * A cohort file (backtest/cohorts/*.json) read at the edge: every number of the cohort model with
 * its source and grade, validated with zod, one message per problem naming the file and the field.
 * A variant names the file it `extends` and replaces whole fields (value, source, grade), with the
 * `reason` for its values: what is not replaced is the base's, so a variant says only what differs.
 *
 * Grades, as in /work/shared/research/recovery-cohort-notes.md: P primary source, S secondary (a
 * processor restating a network), A our assumption.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { BRANDS, CAUSES, FUNDINGS, PAY_FREQUENCIES, type CohortParams } from './cohortParams';

/** The cohort the back-test runs unless told otherwise (model cohort-2, calibrated and frozen). */
export const BASE_COHORT_PATH = join(__dirname, 'cohorts', 'base.json');

export interface Cohort {
  /** The model's name, reported with every figure (e.g. `cohort-2`, `cohort-2/nsf-high`). */
  name: string;
  file: string;
  params: CohortParams;
}

export type CohortParseResult = { ok: true; cohort: Cohort } | { ok: false; errors: string[] };

const share = z.number().min(0, 'must be a share from 0 to 1').max(1, 'must be a share from 0 to 1');
const positive = z.number().positive('must be more than 0');
const nonNegative = z.number().nonnegative('must not be negative');
/** A map with exactly these keys, in this order (the draws pick keys in order). */
const keyed = <K extends string, T extends z.ZodTypeAny>(keys: readonly K[], t: T) =>
  z.object(Object.fromEntries(keys.map((k) => [k, t])) as Record<K, T>).strict();
/** Shares that must add up to 1 (a draw among them). */
const sumsToOne = <T extends z.ZodTypeAny>(t: T) =>
  t.superRefine((v: Record<string, number>, ctx) => {
    const sum = Object.values(v).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-9)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `shares must add up to 1 (they add up to ${sum})` });
  });

/** The value of each field; the keys are the fields of CohortParams. */
const VALUES = {
  fundingShares: sumsToOne(keyed(FUNDINGS, share)),
  brandShares: sumsToOne(keyed(BRANDS, share)),
  causeShares: sumsToOne(keyed(CAUSES, share)),
  nsfByFunding: keyed(FUNDINGS, positive),
  timeZones: z
    .array(z.object({ zone: z.string().min(1), share, offsetHours: z.number().min(-12).max(14) }).strict())
    .min(1, 'must list at least one time zone')
    .superRefine((zs, ctx) => {
      const sum = zs.reduce((a, z) => a + z.share, 0);
      if (Math.abs(sum - 1) > 1e-9)
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `shares must add up to 1 (they add up to ${sum})` });
      if (new Set(zs.map((z) => z.zone)).size !== zs.length)
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a zone is listed twice' });
    }),
  amount: z.object({ medianCents: z.number().int('must be whole cents').positive(), sigma: nonNegative }).strict(),
  payFrequencyShares: sumsToOne(keyed(PAY_FREQUENCIES, share)),
  clearing: keyed(CAUSES, z.object({ clears: share, before: share, after: share }).strict()),
  clearWait: z
    .object({
      generic_decline: z.object({ medianDays: positive, p90Days: positive }).strict(),
      do_not_honor: z.object({ medianDays: positive, p90Days: positive }).strict(),
    })
    .strict()
    .superRefine((w, ctx) => {
      for (const [k, v] of Object.entries(w))
        if (v.p90Days <= v.medianDays)
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: [k], message: 'p90Days must be more than medianDays' });
    }),
  processingClearMeanHours: positive,
  paydayPostingLagMaxDays: nonNegative,
  nsfAfterPayday: z
    .object({ plateau: share, plateauDays: nonNegative, floor: share, floorDays: positive })
    .strict()
    .refine((v) => v.floorDays > v.plateauDays, { message: 'floorDays must be after plateauDays' }),
  accountUpdaterDays: z.array(z.number().int().min(1).max(28, 'must be a day every month has (1-28)')).min(1),
  newCardSuccess: share,
  emailRecoveryByDay: z
    .array(z.tuple([nonNegative, share]))
    .min(1)
    .refine((pts) => pts.every((p, i) => i === 0 || p[0] > pts[i - 1]![0]), { message: 'days must increase' }),
  emailRecoveryScale: nonNegative,
  updateMultiplier: keyed(CAUSES, nonNegative),
  updateDelay: z
    .object({ medianHours: positive, p80Hours: positive })
    .strict()
    .refine((v) => v.p80Hours > v.medianHours, { message: 'p80Hours must be more than medianHours' }),
  paidElsewhere: z.object({ share, withinDays: positive }).strict(),
  processorFeeApproved: z.object({ percent: nonNegative, fixedCents: nonNegative }).strict(),
  processorFeePerDeclineCents: nonNegative,
  networkFeePerAttemptCents: keyed(BRANDS, keyed(FUNDINGS, nonNegative)),
  mastercardAdviceDeclineFeeCents: nonNegative,
} satisfies Record<keyof CohortParams, z.ZodTypeAny>;

type FieldName = keyof typeof VALUES;
const FIELD_NAMES = Object.keys(VALUES) as FieldName[];

const field = z
  .object({
    value: z.unknown(),
    source: z.string().min(1, 'every number names its source (or says it is an assumption)'),
    grade: z.enum(['P', 'S', 'A'], {
      errorMap: () => ({ message: "must be 'P' (primary), 'S' (secondary) or 'A' (assumption)" }),
    }),
    note: z.string().optional(),
  })
  .strict();

const fileSchema = z
  .object({
    $comment: z.string().optional(),
    name: z.string().regex(/^[a-z0-9][a-z0-9./-]*$/, 'must be lower-case letters, digits, . / -'),
    description: z.string().min(1),
    extends: z.string().min(1).optional(),
    reason: z.string().min(1).optional(),
    fields: z.record(z.string(), z.unknown()),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.extends && !f.reason)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['reason'], message: 'a variant says why its values were chosen' });
  });

type Field = z.infer<typeof field>;
type Fields = Partial<Record<FieldName, Field>>;

const issues = (where: string, e: z.ZodError) =>
  e.issues.map((i) => `${where}${i.path.length ? `: ${i.path.join('.')}` : ''}: ${i.message}`);

type Resolved = { ok: true; name: string; fields: Fields } | { ok: false; errors: string[] };

/** Each field's envelope (value, source, grade), every problem at once. */
function ownFields(raw: Record<string, unknown>, file: string): { fields: Fields; errors: string[] } {
  const fields: Fields = {};
  const errors: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (!(FIELD_NAMES as string[]).includes(k)) {
      errors.push(`${file}: fields.${k}: no such field (fields: ${FIELD_NAMES.join(', ')})`);
      continue;
    }
    const f = field.safeParse(v);
    if (f.success) fields[k as FieldName] = f.data;
    else errors.push(...issues(`${file}: fields.${k}`, f.error).map((m) => m.replace(`fields.${k}: `, `fields.${k}.`)));
  }
  return { fields, errors };
}

/** A file's own fields laid over those of the file it extends (and so on), with the joined name. */
function resolveFile(json: unknown, file: string, readBase: (path: string) => unknown, seen: string[]): Resolved {
  const top = fileSchema.safeParse(json);
  // Each field's envelope is checked even when the file's top level is wrong: every problem at once.
  const raw = (json as { fields?: unknown } | null)?.fields;
  const own =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? ownFields(raw as Record<string, unknown>, file)
      : { fields: {}, errors: [] };
  if (!top.success) return { ok: false, errors: [...issues(file, top.error), ...own.errors] };
  if (own.errors.length) return { ok: false, errors: own.errors };
  if (!top.data.extends) return { ok: true, name: top.data.name, fields: own.fields };
  const basePath = resolve(dirname(file), top.data.extends);
  if ([...seen, resolve(file)].includes(basePath))
    return { ok: false, errors: [`${file}: extends: ${top.data.extends} leads back to this file (a cycle)`] };
  let baseJson: unknown;
  try {
    baseJson = readBase(basePath);
  } catch (err) {
    return {
      ok: false,
      errors: [`${file}: extends: cannot read ${basePath}: ${err instanceof Error ? err.message : String(err)}`],
    };
  }
  const base = resolveFile(baseJson, basePath, readBase, [...seen, resolve(file)]);
  if (!base.ok) return base;
  return { ok: true, name: `${base.name}/${top.data.name}`, fields: { ...base.fields, ...own.fields } };
}

/**
 * Parses one cohort file's JSON; `readBase` gives the JSON of the file a variant extends (a path
 * resolved against the variant's directory). Pure apart from `readBase`.
 */
export function parseCohort(json: unknown, file: string, readBase: (path: string) => unknown): CohortParseResult {
  const r = resolveFile(json, file, readBase, []);
  if (!r.ok) return r;
  const errors: string[] = [];
  const params: Record<string, unknown> = {};
  for (const k of FIELD_NAMES) {
    const f = r.fields[k];
    if (!f) {
      errors.push(`${file}: fields.${k}: missing`);
      continue;
    }
    const v = VALUES[k].safeParse(f.value);
    if (v.success) params[k] = v.data;
    else errors.push(...v.error.issues.map((i) => `${file}: fields.${[k, 'value', ...i.path].join('.')}: ${i.message}`));
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, cohort: { name: r.name, file, params: params as unknown as CohortParams } };
}

/** Reads and validates a cohort file, or throws one error listing every problem. */
export function loadCohort(path: string = BASE_COHORT_PATH): Cohort {
  const read = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'));
  let json: unknown;
  try {
    json = read(path);
  } catch (err) {
    throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const r = parseCohort(json, path, read);
  if (!r.ok) throw new Error(`cohort file is not valid:\n  ${r.errors.join('\n  ')}`);
  return r.cohort;
}
