/**
 * Reading a policy file (DUNNING_POLICY) at the edge: its shape with zod, then the policy's own
 * rules (domain/policy.ts `policyProblems`), with one message per problem naming the field. Zod
 * stays out of the workflow bundle: workflows get an already valid policy.
 */
import { z } from 'zod';
import { POLICY_1_0, durationError, durationMs, policyProblems, type DunningPolicy } from '../domain/policy';
import { DECLINE_CATEGORIES, type DeclineCategory } from '../domain/types';
import { FAILED_INVOICE_TREATMENTS, PAUSE_BEHAVIORS } from '../domain/offers';

export type PolicyParseResult = { ok: true; policy: DunningPolicy } | { ok: false; errors: string[] };

const STEP_ACTIONS = ['email', 'retry', 'final_notice', 'offer', 'sms'] as const;
const END_ACTIONS = ['cancel_subscription', 'mark_uncollectible', 'pause_collection', 'leave_past_due'] as const;
/** Email steps take the first two; sms steps all three (policyProblems says which goes where). */
const TEMPLATES = ['payment_failed', 'reminder', 'final_notice'] as const;

const durationSchema = z.string().superRefine((s, ctx) => {
  if (durationMs(s) === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: durationError(s) });
});

/** The last-chance offer (domain/offers.ts): its own rules are checked by policyProblems. */
const failedInvoice = z.enum(FAILED_INVOICE_TREATMENTS).optional();
const offerSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('pause'), for: z.string(), behavior: z.enum(PAUSE_BEHAVIORS).optional(), failedInvoice }).strict(),
    z
      .object({
        kind: z.literal('coupon'),
        coupon: z.string(),
        percentOff: z.number().positive('must be more than 0').max(100, 'must be at most 100').optional(),
        months: z
          .number()
          .int('must be a whole number of months')
          .min(1, 'must be at least 1')
          .max(36, 'must be at most 36')
          .optional(),
        failedInvoice,
      })
      .strict(),
    z
      .object({ kind: z.literal('downgrade'), price: z.string(), planName: z.string().min(1).max(80).optional(), failedInvoice })
      .strict(),
  ],
  {
    errorMap: (issue, ctx) => ({
      message: issue.code === 'invalid_union_discriminator' ? "kind must be 'pause', 'coupon' or 'downgrade'" : ctx.defaultError,
    }),
  },
);

const stepSchema = z
  .object({
    at: durationSchema,
    action: z.enum(STEP_ACTIONS),
    template: z.enum(TEMPLATES).optional(),
    offer: offerSchema.optional(),
  })
  .strict();

const overrideSchema = z
  .object({
    steps: z.array(stepSchema).optional(),
    endAfter: durationSchema.optional(),
    endAction: z.enum(END_ACTIONS).optional(),
    grace: durationSchema.optional(),
  })
  .strict();

const byCategorySchema = z
  .object(
    Object.fromEntries(DECLINE_CATEGORIES.map((c) => [c, overrideSchema.optional()])) as Record<
      DeclineCategory,
      z.ZodOptional<typeof overrideSchema>
    >,
  )
  .strict();

const amountSchema = z.number().int('must be an integer in minor units').nonnegative('must not be negative');

const matchSchema = z
  .object({
    plans: z.array(z.string().min(1, 'must not be empty')).min(1, 'must list at least one plan').optional(),
    minAmount: amountSchema.optional(),
    maxAmount: amountSchema.optional(),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO 4217 code such as "usd"')
      .optional(),
  })
  .strict();

const policySchema = z
  .object({
    version: z.literal(1, { errorMap: () => ({ message: 'must be 1' }) }),
    steps: z.array(stepSchema),
    endAfter: durationSchema,
    endAction: z.enum(END_ACTIONS),
    grace: durationSchema.optional(),
    paydays: z
      .array(z.number().int('must be a whole day of the month').min(1, 'must be 1..31').max(31, 'must be 1..31'))
      .min(1, 'must list at least one day')
      .optional(),
    retryHour: z.number().int('must be a whole hour').min(0, 'must be 0..23').max(23, 'must be 0..23').nullable().optional(),
    minRetryGap: durationSchema.optional(),
    customerRetryCooldown: durationSchema.optional(),
    defaultTimeZone: z.string().optional(),
    byCategory: byCategorySchema.optional(),
    overrides: z.array(z.object({ match: matchSchema, policy: overrideSchema }).strict()).optional(),
    failedSignups: z
      .object({ steps: z.array(stepSchema), endAfter: durationSchema })
      .strict()
      .optional(),
    otherCards: z.object({ afterDeclines: z.number(), maxCards: z.number().optional() }).strict().optional(),
    noticeSeverity: z.object({ warning: durationSchema.optional(), wall: durationSchema.optional() }).strict().optional(),
    expiryReminders: z.object({ daysBefore: z.number(), recheckEvery: durationSchema.optional() }).strict().optional(),
    sms: z
      .object({
        maxPerCase: z.number().optional(),
        quietHours: z.object({ start: z.number(), end: z.number() }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function formatIssues(error: z.ZodError): string[] {
  const errors: string[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      for (const key of issue.keys) {
        const at = path ? `${path}.${key}` : key;
        errors.push(
          path === 'byCategory'
            ? `${at}: '${key}' is not a decline category (one of ${DECLINE_CATEGORIES.join(', ')})`
            : `${at}: unknown key`,
        );
      }
    } else {
      errors.push(`${path || 'policy'}: ${issue.message}`);
    }
  }
  return errors;
}

/** Validates a policy (e.g. the JSON file named by DUNNING_POLICY) and fills in defaults. */
export function parsePolicy(input: unknown): PolicyParseResult {
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error) };
  const d = parsed.data;
  const policy: DunningPolicy = {
    version: 1,
    steps: d.steps,
    endAfter: d.endAfter,
    endAction: d.endAction,
    grace: d.grace ?? d.endAfter,
    // A field left out means what it meant at 1.0, whatever the default policy becomes.
    paydays: d.paydays ?? [...POLICY_1_0.paydays],
    retryHour: d.retryHour === undefined ? POLICY_1_0.retryHour : d.retryHour,
    defaultTimeZone: d.defaultTimeZone ?? POLICY_1_0.defaultTimeZone,
  };
  if (d.minRetryGap !== undefined) policy.minRetryGap = d.minRetryGap;
  if (d.customerRetryCooldown !== undefined) policy.customerRetryCooldown = d.customerRetryCooldown;
  if (d.byCategory) policy.byCategory = d.byCategory;
  if (d.overrides) policy.overrides = d.overrides;
  if (d.failedSignups) policy.failedSignups = d.failedSignups;
  if (d.otherCards) policy.otherCards = d.otherCards;
  if (d.noticeSeverity) policy.noticeSeverity = d.noticeSeverity;
  if (d.expiryReminders) policy.expiryReminders = d.expiryReminders;
  if (d.sms) policy.sms = d.sms;
  const errors = policyProblems(policy);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policy };
}
